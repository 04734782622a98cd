"""Remote actors and their keys, as the inbox fetches and stores them (actors.py,
parse_actor.py, server/services/remote.py's upsert)."""

from __future__ import annotations

from starlette.applications import Starlette

from federation.inbox.parse_actor import parse_actor
from server.models import Actor, ActorKind
from server.services.remote import upsert_remote_actor
from server.settings import Settings
from tests.federation._inbox_peer import (
    RSA_PUBLIC,
    PeerActor,
    RemotePeer,
    build_activity,
    build_follow_activity,
    connected_peer,
    deliver,
    group_url,
    post_activity,
)


async def test_key_lookup__stand_alone_key_document_leads_to_its_owner(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given GoToSocial's shape: the key id is its own URL, serving a Key naming its owner
    bob = peer.add_actor("bob")
    key_id = f"{bob.id}/main-key"
    peer.documents[bob.id]["publicKey"]["id"] = key_id
    peer.add_object({"id": key_id, "owner": bob.id, "publicKeyPem": RSA_PUBLIC})
    signer = PeerActor(bob.id, key_id, bob.private_pem, bob.public_pem)
    # When bob signs with it
    response = await post_activity(app, build_follow_activity(bob, group_url("x")), signer)
    # Then the owner's document is fetched and the signature accepted
    assert response.status_code == 202, response.text
    assert (await Actor.get(ap_id=bob.id)).key_id == key_id


async def test_key_lookup__pem_with_crlf_is_tolerated(app: Starlette, peer: RemotePeer) -> None:
    bob = peer.add_actor("bob")
    peer.documents[bob.id]["publicKey"]["publicKeyPem"] = RSA_PUBLIC.replace("\n", "\r\n")
    response = await post_activity(app, build_follow_activity(bob, group_url("x")), bob)
    assert response.status_code == 202, response.text
    assert "\r" not in (await Actor.get(ap_id=bob.id)).public_key_pem


async def test_upsert_remote_actor__reads_the_profile(database: None) -> None:
    # Given a Lemmy community document
    document = {
        "id": "https://lemmy.example:8536/c/main",
        "type": "Group",
        "preferredUsername": "main",
        "name": "Main  community",
        "summary": "<p>Hi</p><script>bad()</script>",
        "inbox": "https://lemmy.example:8536/c/main/inbox",
        "endpoints": {"sharedInbox": "https://lemmy.example:8536/inbox"},
        "icon": {"type": "Image", "url": "https://lemmy.example:8536/pictrs/icon.png"},
        "publicKey": {
            "id": "https://lemmy.example:8536/c/main#main-key",
            "owner": "https://lemmy.example:8536/c/main",
            "publicKeyPem": RSA_PUBLIC,
        },
    }
    # When it is stored
    actor = await upsert_remote_actor(parse_actor(document))
    # Then every field lands, cleaned
    assert (actor.kind, actor.username, actor.domain) == (
        ActorKind.GROUP,
        "main",
        "lemmy.example:8536",
    )
    assert (actor.display_name, actor.summary_html) == ("Main community", "<p>Hi</p>")
    assert actor.shared_inbox_url == "https://lemmy.example:8536/inbox"
    assert actor.icon_url == "https://lemmy.example:8536/pictrs/icon.png"
    assert actor.fetched_at is not None


async def test_upsert_remote_actor__same_name_for_a_user_and_a_community(
    database: None,
) -> None:
    # Given a Lemmy server with a user and a community both called "main"
    def doc(path: str, kind: str) -> dict[str, object]:
        url = f"https://lemmy.example{path}"
        return {"id": url, "type": kind, "preferredUsername": "main", "inbox": f"{url}/inbox"}

    user = await upsert_remote_actor(parse_actor(doc("/u/main", "Person")))
    community = await upsert_remote_actor(parse_actor(doc("/c/main", "Group")))
    # Then both are stored, apart, and storing them again changes no name
    assert user.id != community.id
    assert user.username == "main" and community.username.startswith("main~")
    again = await upsert_remote_actor(parse_actor(doc("/c/main", "Group")))
    assert (again.id, again.username) == (community.id, community.username)


async def test_processor__learns_the_senders_software(app: Starlette, settings: Settings) -> None:
    # Given a Lemmy server that serves NodeInfo
    async with connected_peer(app, settings, "https://lemmy.example", software="lemmy") as peer:
        alice = peer.add_actor("alice")
        # When its first activity is handled
        await deliver(app, peer, build_activity(alice, "Lock", "https://lemmy.example/p/1"), alice)
    # Then its actors are marked as running Lemmy (the outbox picks the Announce shape by it)
    assert (await Actor.get(ap_id=alice.id)).software == "lemmy"
