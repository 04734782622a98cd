"""A post's Note as each kind of server should read it when it fetches the post (FEDERATION.md):
threadiverse servers take the title from `name`; microblog servers such as Takahē show a Note's
`name` as a content warning, so a signed GET from them gets the Note without it, the title
leading `content`."""

from __future__ import annotations

import httpx
import pytest

from federation.requester import signer_domain
from server.models import Account, Group
from server.settings import Settings
from tests.helpers import make_account, make_group, make_post, make_remote_actor

AS2 = {"Accept": "application/activity+json"}


def _signed_by(key_id: str) -> dict[str, str]:
    """A Signature header naming `key_id` (the shape is only read, never verified, here)."""
    return {
        **AS2,
        "Signature": f'keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host '
        'date",signature="c2ln"',
    }


@pytest.fixture
async def post_path(client: httpx.AsyncClient) -> str:
    owner: Account = await make_account("ada")
    group: Group = await make_group(owner, "physics")
    post = await make_post(owner, group, title="Entropy", body="Why does it grow?")
    await make_remote_actor("tak", "takahe.example", software="takahe")
    await make_remote_actor("lem", "lemmy.example", software="lemmy")
    return f"/p/{post.id}"


async def test_post_document__a_takahe_fetch_gets_no_name_and_the_title_in_content(
    client: httpx.AsyncClient, post_path: str
) -> None:
    # When Takahē fetches the post with a signed GET
    response = await client.get(
        post_path, headers=_signed_by("https://takahe.example/@tak#main-key")
    )
    note = response.json()
    # Then the Note has no `name` (no content warning there), and `content` leads with the title
    assert response.status_code == 200
    assert "name" not in note
    assert note["content"].startswith("<p><strong>Entropy</strong></p>")


async def test_post_document__an_unknown_signed_fetch_counts_as_microblog(
    client: httpx.AsyncClient, post_path: str
) -> None:
    note = (await client.get(post_path, headers=_signed_by("https://new.example/a#k"))).json()
    assert "name" not in note


async def test_post_document__lemmy_and_unsigned_fetches_keep_the_title_in_name(
    client: httpx.AsyncClient, post_path: str
) -> None:
    # When Lemmy fetches it signed, and a tool fetches it unsigned
    lemmy = await client.get(post_path, headers=_signed_by("https://lemmy.example/u/lem#main-key"))
    unsigned = await client.get(post_path, headers=AS2)
    # Then both read the title in `name`
    assert lemmy.json()["name"] == "Entropy"
    assert unsigned.json()["name"] == "Entropy"


@pytest.mark.parametrize(
    ("headers", "domain"),
    [
        ({"Signature": 'keyId="https://a.example/u#k",signature="x"'}, "a.example"),
        ({"Authorization": 'Signature keyId="https://b.example:8443/k"'}, "b.example:8443"),
        ({"Signature-Input": 'sig1=("@method");keyid="https://c.example/k"'}, "c.example"),
        ({}, None),
        ({"Signature": "garbage"}, None),
    ],
)
def test_signer_domain__reads_the_key_id_of_either_scheme(
    settings: Settings, headers: dict[str, str], domain: str | None
) -> None:
    from starlette.requests import Request

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    assert signer_domain(Request(scope)) == domain
