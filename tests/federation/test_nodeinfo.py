"""NodeInfo 2.0 and 2.1: what software we run, usage counts, whether registrations are open."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from server.models import Account, InstanceConfig, RegistrationMode, utcnow
from server.services import instance
from tests.helpers import make_account, make_group, make_post_row


async def test_nodeinfo__well_known_links_both_versions_and_the_application_actor(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    links = {link["rel"]: link["href"] for link in response.json()["links"]}
    assert links == {
        "http://nodeinfo.diaspora.software/ns/schema/2.0": "http://lyceum.test/nodeinfo/2.0",
        "http://nodeinfo.diaspora.software/ns/schema/2.1": "http://lyceum.test/nodeinfo/2.1",
        "https://www.w3.org/ns/activitystreams#Application": "http://lyceum.test/actor",
    }


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_nodeinfo__describes_lyceum_and_counts_usage(
    client: httpx.AsyncClient, version: str
) -> None:
    # Given two people, a group, a post and a reply
    ada = await make_account("ada")
    await make_account("bob")
    group = await make_group(ada, "physics")
    post = await make_post_row(ada, group)
    await make_post_row(ada, group, parent=post, source="Reply")
    # When a peer reads NodeInfo
    response = await client.get(f"/nodeinfo/{version}")
    # Then it names Lyceum, ActivityPub and the counts
    assert response.status_code == 200
    assert response.headers["content-type"] == (
        f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
    )
    document = response.json()
    assert document["version"] == version
    assert document["software"]["name"] == "lyceum"
    assert document["software"]["version"]
    assert document["protocols"] == ["activitypub"]
    assert document["services"] == {"inbound": [], "outbound": []}
    assert document["usage"]["users"] == {"total": 2, "activeMonth": 0, "activeHalfyear": 0}
    assert document["usage"]["localPosts"] == 1
    assert document["usage"]["localComments"] == 1
    assert document["openRegistrations"] is True
    assert document["metadata"]["nodeName"] == "Lyceum"


async def test_nodeinfo__closed_registrations(client: httpx.AsyncClient) -> None:
    # Given an instance that registers by invitation only
    await instance.get_config()
    await InstanceConfig.filter(id=1).update(registration_mode=RegistrationMode.INVITE)
    # Then NodeInfo says registrations are closed
    response = await client.get("/nodeinfo/2.1")
    assert response.json()["openRegistrations"] is False


async def test_nodeinfo__unknown_version_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/nodeinfo/1.0")
    assert response.status_code == 404


async def test_nodeinfo__counts_members_active_in_a_long_session(
    client: httpx.AsyncClient,
) -> None:
    # Given a member who logged in long ago but was active yesterday (a long session), one
    # last active 100 days ago, and one never seen
    now = utcnow()
    for username, login_days, active_days in [
        ("ada", 200, 1),
        ("bob", 100, 100),
        ("cyd", None, None),
    ]:
        account = await make_account(username)
        await Account.filter(id=account.id).update(
            last_login_at=now - timedelta(days=login_days) if login_days else None,
            last_active_at=now - timedelta(days=active_days) if active_days else None,
        )
    # When a peer reads NodeInfo
    document = (await client.get("/nodeinfo/2.1")).json()
    # Then activity, not the log-in form, decides who counts as active
    assert document["usage"]["users"] == {"total": 3, "activeMonth": 1, "activeHalfyear": 2}
