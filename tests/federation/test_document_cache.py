"""Cached actor documents and WebFinger answers (federation/document_cache.py).

Each test proves first that the answer really comes from the cache (a change written straight
to the database, without a domain event, is not seen), then that the domain change empties it.
"""

from __future__ import annotations

import httpx

from server.models import Actor, Group
from server.services import group_admin, users
from server.services.groups import GroupForm, update_group
from server.services.profiles import ProfileChange, update_profile
from server.settings import Settings
from tests.helpers import make_account, make_group

AS2 = {"Accept": "application/activity+json"}
WEBFINGER = "/.well-known/webfinger?resource=acct:ada@lyceum.test"


async def test_document_cache__actor_has_etag_and_cache_control(client: httpx.AsyncClient) -> None:
    # Given a person
    await make_account("ada")
    # When a peer fetches her twice
    first = await client.get("/u/ada", headers=AS2)
    second = await client.get("/u/ada", headers=AS2)
    # Then both answers carry the same ETag, a public max-age and Vary: Accept
    assert first.status_code == second.status_code == 200
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"].startswith('"')
    assert first.headers["cache-control"] == "public, max-age=60"
    assert second.headers["vary"] == "Accept"
    assert second.headers["content-type"] == "application/activity+json"
    assert second.content == first.content


async def test_document_cache__if_none_match_is_answered_304(client: httpx.AsyncClient) -> None:
    # Given a person whose document a peer fetched
    await make_account("ada")
    etag = (await client.get("/u/ada", headers=AS2)).headers["etag"]
    # When the peer asks again with its ETag (from the cache) and with a stale one
    same = await client.get("/u/ada", headers={**AS2, "If-None-Match": f'W/"x", {etag}'})
    other = await client.get("/u/ada", headers={**AS2, "If-None-Match": '"stale"'})
    # Then the first is a 304 without a body, the second the document
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    assert other.status_code == 200
    assert other.json()["preferredUsername"] == "ada"


async def test_document_cache__a_fresh_rendering_answers_if_none_match_too(
    client: httpx.AsyncClient,
) -> None:
    # Given a person fetched once, and the cache emptied since (as after a restart)
    admin = await make_account("olga", admin=True)
    account = await make_account("ada")
    etag = (await client.get("/u/ada", headers=AS2)).headers["etag"]
    await users.suspend_actor(admin.actor, account.actor, "mistake")
    await users.unsuspend_actor(admin.actor, await Actor.get(id=account.actor_id))
    # When a peer asks with the ETag it kept
    response = await client.get("/u/ada", headers={**AS2, "If-None-Match": etag})
    # Then the freshly rendered document is the same, so the answer is 304
    assert response.status_code == 304


async def test_document_cache__profile_update_is_served_at_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Given a person whose document is cached
    account = await make_account("ada", display_name="Ada")
    before = await client.get("/u/ada", headers=AS2)
    # And a name written to the database without a domain event is not seen: it is the cache
    await Actor.filter(id=account.actor_id).update(display_name="Sneaky")
    assert (await client.get("/u/ada", headers=AS2)).json()["name"] == "Ada"
    # When she changes her profile
    await update_profile(
        account, ProfileChange("Ada Lovelace", "Counts *engines*."), settings.media_dir
    )
    # Then the next fetch shows it, with a new ETag, and her WebFinger answer is fresh too
    after = await client.get("/u/ada", headers=AS2)
    assert after.json()["name"] == "Ada Lovelace"
    assert "<em>engines</em>" in after.json()["summary"]
    assert after.headers["etag"] != before.headers["etag"]
    stale = await client.get("/u/ada", headers={**AS2, "If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200


async def test_document_cache__group_update_is_served_at_once(client: httpx.AsyncClient) -> None:
    # Given a group whose document is cached
    owner = await make_account("ada")
    group = await make_group(owner, "physics", name="Physics")
    assert (await client.get("/g/physics", headers=AS2)).json()["name"] == "Physics"
    # When its organiser renames it
    await update_group(
        await Group.get(id=group.id), GroupForm(handle="physics", name="Physics Circle")
    )
    # Then peers see the new name
    assert (await client.get("/g/physics", headers=AS2)).json()["name"] == "Physics Circle"


async def test_document_cache__suspension_hides_the_actor_at_once(
    client: httpx.AsyncClient,
) -> None:
    # Given a person and a group, both fetched (actor and WebFinger) and so cached
    admin = await make_account("olga", admin=True)
    ada = await make_account("ada")
    await make_group(ada, "physics")
    for path in ("/u/ada", "/g/physics"):
        assert (await client.get(path, headers=AS2)).status_code == 200
    assert (await client.get(WEBFINGER)).status_code == 200
    # When an admin suspends them
    await users.suspend_actor(admin.actor, ada.actor, "spam")
    await group_admin.suspend_group(admin.actor, await Group.get(actor__username="physics"), "spam")
    # Then neither the documents nor the WebFinger answer are served any more
    assert (await client.get("/u/ada", headers=AS2)).status_code == 404
    assert (await client.get("/g/physics", headers=AS2)).status_code == 404
    assert (await client.get(WEBFINGER)).status_code == 404


async def test_document_cache__deleted_account_answers_410(client: httpx.AsyncClient) -> None:
    # Given a person whose document is cached
    admin = await make_account("olga", admin=True)
    ada = await make_account("ada")
    assert (await client.get("/u/ada", headers=AS2)).status_code == 200
    # When an admin deletes her account
    await users.delete_account(admin.actor, ada, "asked to")
    # Then her URL answers the tombstone
    assert (await client.get("/u/ada", headers=AS2)).status_code == 410


async def test_document_cache__webfinger_has_etag_and_304(client: httpx.AsyncClient) -> None:
    # Given a person looked up once
    await make_account("ada")
    first = await client.get(WEBFINGER)
    # When the lookup is repeated with the ETag
    again = await client.get(WEBFINGER, headers={"If-None-Match": first.headers["etag"]})
    # Then it is a 304 that still allows any origin, and the answer is cacheable
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["access-control-allow-origin"] == "*"
    assert again.status_code == 304
    assert again.headers["access-control-allow-origin"] == "*"


async def test_document_cache__browsers_still_get_the_page(client: httpx.AsyncClient) -> None:
    # Given a person whose actor document is cached
    await make_account("ada")
    assert (await client.get("/u/ada", headers=AS2)).status_code == 200
    # When a browser opens the same URL
    page = await client.get("/u/ada", headers={"Accept": "text/html"})
    # Then it gets the HTML profile, not the cached JSON
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


async def test_document_cache__a_missing_person_is_not_remembered(
    client: httpx.AsyncClient,
) -> None:
    # Given a name nobody has, asked for (404)
    assert (await client.get("/u/ada", headers=AS2)).status_code == 404
    assert (await client.get(WEBFINGER)).status_code == 404
    # When someone signs up with it
    await make_account("ada")
    # Then the next fetches find her
    assert (await client.get("/u/ada", headers=AS2)).status_code == 200
    assert (await client.get(WEBFINGER)).status_code == 200
