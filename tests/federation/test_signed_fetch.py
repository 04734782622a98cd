"""Secure mode (`require_signed_fetch`): documents answer signed GETs only, actors stay public."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from federation.httpsig import CavageAuth
from server.app import create_app
from server.models import DomainBlock, DomainBlockSeverity, Post
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.federation._inbox_peer import OTHER_PRIVATE, PeerActor, RemotePeer, connected_peer
from tests.helpers import make_account, make_group, make_post_row

AS2 = "application/activity+json"


@pytest.fixture
async def secure_app(settings: Settings, database: None) -> Starlette:
    return create_app(
        settings.model_copy(update={"require_signed_fetch": True}), manage_database=False
    )


@pytest.fixture
async def peer(secure_app: Starlette, settings: Settings) -> AsyncIterator[RemotePeer]:
    async with connected_peer(secure_app, settings) as peer:
        yield peer


async def _get(app: Starlette, path: str, signer: PeerActor | None = None) -> httpx.Response:
    """A GET asking for ActivityStreams, signed draft-cavage by `signer` (None: unsigned)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as client:
        request = client.build_request("GET", path, headers={"Accept": AS2})
        if signer is not None:
            auth = CavageAuth(signer.key_id, signer.private_pem)
            request = next(auth.sync_auth_flow(request))
        return await client.send(request)


async def _post() -> Post:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    return await make_post_row(owner, group, title="Hello", source="World")


async def test_signed_fetch__unsigned_post_is_refused_with_401(
    secure_app: Starlette, peer: RemotePeer
) -> None:
    # Given secure mode and a published post
    post = await _post()
    # When a peer fetches the post, its Create and the group's outbox without a signature
    responses = [
        await _get(secure_app, path)
        for path in (f"/p/{post.id}", f"/p/{post.id}/create", "/g/physics/outbox")
    ]
    # Then each is refused with a readable reason, and no key was fetched
    for response in responses:
        assert response.status_code == 401
        assert "not signed" in response.json()["error"]
    assert peer.requests == []


async def test_signed_fetch__signed_by_known_key_is_served(
    secure_app: Starlette, peer: RemotePeer
) -> None:
    # Given secure mode, a post, and a remote actor whose key its server publishes
    post = await _post()
    bob = peer.add_actor("bob")
    # When bob fetches the post with a signed GET
    response = await _get(secure_app, f"/p/{post.id}", bob)
    # Then the Note is served, after bob's key was fetched from his server
    assert response.status_code == 200, response.text
    assert response.json()["id"] == f"{BASE_URL}/p/{post.id}"
    assert [str(r.url) for r in peer.requests] == [bob.id]


async def test_signed_fetch__bad_signature_is_refused_with_401(
    secure_app: Starlette, peer: RemotePeer
) -> None:
    # Given secure mode, a post, and a signer whose key is not the one its server publishes
    post = await _post()
    bob = peer.add_actor("bob")
    forger = PeerActor(bob.id, bob.key_id, OTHER_PRIVATE, bob.public_pem)
    # When the forged signature comes
    response = await _get(secure_app, f"/p/{post.id}", forger)
    # Then it is refused with the reason
    assert response.status_code == 401
    assert "signature" in response.json()["error"]


async def test_signed_fetch__suspended_domain_is_refused_with_403(
    secure_app: Starlette, peer: RemotePeer
) -> None:
    # Given secure mode, a post, and the signer's domain suspended
    post = await _post()
    bob = peer.add_actor("bob")
    await DomainBlock.create(domain="remote.example", severity=DomainBlockSeverity.SUSPEND)
    # When bob fetches the post signed
    response = await _get(secure_app, f"/p/{post.id}", bob)
    # Then it is forbidden, and his server was not asked for his key
    assert response.status_code == 403
    assert "remote.example" in response.json()["error"]
    assert peer.requests == []


async def test_signed_fetch__actor_documents_stay_public(
    secure_app: Starlette, peer: RemotePeer
) -> None:
    # Given secure mode, a person and a group
    await _post()
    # When their actor documents, the instance actor and WebFinger are fetched unsigned
    paths = [
        "/u/ada",
        "/g/physics",
        "/actor",
        "/.well-known/webfinger?resource=acct:ada@lyceum.test",
    ]
    responses = [await _get(secure_app, path) for path in paths]
    # Then all are served: peers need our keys to verify us
    assert [response.status_code for response in responses] == [200, 200, 200, 200]
    assert responses[0].json()["publicKey"]["id"] == f"{BASE_URL}/u/ada#main-key"


async def test_signed_fetch__off_serves_unsigned_gets(app: Starlette) -> None:
    # Given the default settings (secure mode off) and a post
    post = await _post()
    # When it is fetched unsigned
    response = await _get(app, f"/p/{post.id}")
    # Then the Note is served
    assert response.status_code == 200
    assert response.json()["type"] == "Note"


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("sig1=(", "sig1=:AAAA:"),
        ('sig1=("@method" "@target-uri");created=1;keyid="k"', "sig2=:AAAA:"),
        ('sig1=("@method" "@target-uri");created=99999999999999999;keyid="k"', "sig1=:AAAA:"),
    ],
    ids=["unclosed", "no-signature-for-label", "huge-created"],
)
async def test_signed_fetch__malformed_signature_input_is_refused_with_401(
    secure_app: Starlette, peer: RemotePeer, signature_input: str, signature: str
) -> None:
    # Given secure mode and a post, When a GET comes with RFC 9421 headers that do not parse
    post = await _post()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=secure_app), base_url=BASE_URL
    ) as client:
        response = await client.get(
            f"/p/{post.id}",
            headers={"Accept": AS2, "Signature-Input": signature_input, "Signature": signature},
        )
    # Then it is refused with a reason (never served), and no key was fetched
    assert response.status_code == 401
    assert response.json()["error"].startswith("This instance answers signed requests only: ")
    assert peer.requests == []
