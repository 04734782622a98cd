"""Actor documents: the group, a person and the instance actor, as peers fetch them."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from server.models import Account, AccountState, Actor, Group, JoinPolicy, PostingPolicy
from server.services.groups import GroupForm, update_group
from server.services.instance_actor import get_or_create_instance_actor
from tests.helpers import make_account, make_group

AS2 = {"Accept": "application/activity+json"}


def _check_common(document: dict[str, object], url: str) -> None:
    """What every actor document must satisfy for Mastodon, Lemmy and Fedify to accept it."""
    context = document["@context"]
    assert isinstance(context, list)
    assert "https://www.w3.org/ns/activitystreams" in context
    assert "https://w3id.org/security/v1" in context
    assert document["id"] == url
    key = document["publicKey"]
    assert isinstance(key, dict)
    assert key["id"] == f"{url}#main-key"
    assert key["owner"] == url
    public_key = load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size >= 2048
    assert document["endpoints"] == {"sharedInbox": "http://lyceum.test/inbox"}


async def _fetch(client: httpx.AsyncClient, path: str) -> dict[str, object]:
    response = await client.get(path, headers=AS2)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/activity+json"
    assert len(response.content) <= 1024 * 1024
    document: dict[str, object] = response.json()
    return document


async def _webfinger_subject(client: httpx.AsyncClient, actor_url: str) -> str:
    response = await client.get("/.well-known/webfinger", params={"resource": actor_url})
    subject: str = response.json()["subject"]
    return subject


async def test_group_actor__has_the_lemmy_and_mastodon_fields(client: httpx.AsyncClient) -> None:
    # Given an approval group where only moderators start threads, with rules
    owner = await make_account("ada")
    await make_group(
        owner,
        "physics",
        name="Physics Circle",
        description="We read *Feynman*.",
        rules="Be kind.",
        join_policy=JoinPolicy.APPROVAL,
        posting_policy=PostingPolicy.MODERATORS,
    )
    # When a peer fetches the group
    document = await _fetch(client, "/g/physics")
    # Then it is a Group with every field FEDERATION.md lists
    url = "http://lyceum.test/g/physics"
    _check_common(document, url)
    assert document["type"] == "Group"
    assert document["preferredUsername"] == "physics"
    assert document["name"] == "Physics Circle"
    assert "<em>Feynman</em>" in str(document["summary"])
    assert "Be kind." in str(document["summary"])
    assert document["inbox"] == f"{url}/inbox"
    assert document["outbox"] == f"{url}/outbox"
    assert document["followers"] == f"{url}/followers"
    assert document["featured"] == f"{url}/featured"
    assert document["moderators"] == f"{url}/moderators"
    assert document["attributedTo"] == f"{url}/moderators"
    assert document["postingRestrictedToMods"] is True
    assert document["manuallyApprovesFollowers"] is True
    assert document["url"] == url
    assert document["discoverable"] is True
    assert str(document["published"]).endswith("Z")
    assert await _webfinger_subject(client, url) == "acct:physics@lyceum.test"


async def test_group_actor__open_group_is_not_locked(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    await group.fetch_related("actor")
    await update_group(group, GroupForm(handle="physics", name="Physics"))
    document = await _fetch(client, "/g/physics")
    assert document["manuallyApprovesFollowers"] is False
    assert document["postingRestrictedToMods"] is False


async def test_group_actor__shows_avatar_and_banner(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    await Group.filter(id=group.id).update(banner_path="b.webp")
    await Actor.filter(id=group.actor_id).update(avatar_path="a.webp")
    document = await _fetch(client, "/g/physics")
    assert document["icon"] == {
        "type": "Image",
        "url": "http://lyceum.test/media/a.webp",
        "mediaType": "image/webp",
    }
    assert document["image"] == {
        "type": "Image",
        "url": "http://lyceum.test/media/b.webp",
        "mediaType": "image/webp",
    }


async def test_person_actor__has_the_basics(client: httpx.AsyncClient) -> None:
    await make_account("ada", display_name="Ada Lovelace")
    document = await _fetch(client, "/u/ada")
    url = "http://lyceum.test/u/ada"
    _check_common(document, url)
    assert document["type"] == "Person"
    assert document["preferredUsername"] == "ada"
    assert document["name"] == "Ada Lovelace"
    assert document["inbox"] == f"{url}/inbox"
    assert document["outbox"] == f"{url}/outbox"
    assert document["followers"] == f"{url}/followers"
    assert await _webfinger_subject(client, url) == "acct:ada@lyceum.test"


async def test_instance_actor__is_an_application_named_by_the_domain(
    client: httpx.AsyncClient,
) -> None:
    # When a peer fetches /actor (with any Accept: only federation serves it)
    document = await _fetch(client, "/actor")
    # Then it is the instance's Application actor, and WebFinger agrees with its name
    url = "http://lyceum.test/actor"
    _check_common(document, url)
    assert document["type"] == "Application"
    assert document["preferredUsername"] == "lyceum.test"
    assert document["inbox"] == "http://lyceum.test/inbox"
    assert await _webfinger_subject(client, url) == "acct:lyceum.test@lyceum.test"
    preferred = f"acct:{document['preferredUsername']}@lyceum.test"
    assert await _webfinger_subject(client, preferred) == preferred


async def test_instance_actor__is_made_once_with_a_reserved_name(database: None) -> None:
    first = await get_or_create_instance_actor()
    second = await get_or_create_instance_actor()
    assert first.id == second.id
    assert first.username == "actor"
    assert await Actor.filter(username="actor", domain="").count() == 1


@pytest.mark.parametrize("path", ["/u/nobody", "/g/nothing"])
async def test_actor__unknown_is_404_json(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=AS2)
    assert response.status_code == 404
    assert "error" in response.json()


async def test_person_actor__suspended_is_404(client: httpx.AsyncClient) -> None:
    # Given a suspended account (a suspension can be lifted: no 410, which Mastodon treats
    # as a deletion)
    account = await make_account("ada")
    await Account.filter(id=account.id).update(state=AccountState.SUSPENDED)
    # When a peer fetches it
    response = await client.get("/u/ada", headers=AS2)
    # Then it is not found, and the account is unchanged
    assert response.status_code == 404
    assert (await Account.get(id=account.id)).state == AccountState.SUSPENDED
