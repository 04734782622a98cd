"""WebFinger (RFC 7033): people, groups and the instance actor by handle and by URL."""

from __future__ import annotations

import httpx
import pytest

from server.models import Group, GroupState
from tests.helpers import make_account, make_group

WEBFINGER = "/.well-known/webfinger"
SELF = {"rel": "self", "type": "application/activity+json"}


def _link(document: dict[str, object], rel: str) -> dict[str, str]:
    links = document["links"]
    assert isinstance(links, list)
    found = [link for link in links if link["rel"] == rel]
    assert len(found) == 1, links
    return found[0]


async def test_webfinger__finds_a_group_by_acct(client: httpx.AsyncClient) -> None:
    # Given a group
    owner = await make_account("ada")
    await make_group(owner, "physics")
    # When a peer asks for acct:physics@lyceum.test
    response = await client.get(WEBFINGER, params={"resource": "acct:physics@lyceum.test"})
    # Then it gets a JRD pointing at the group's actor and page
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jrd+json"
    assert response.headers["access-control-allow-origin"] == "*"
    jrd = response.json()
    assert jrd["subject"] == "acct:physics@lyceum.test"
    assert _link(jrd, "self") == {**SELF, "href": "http://lyceum.test/g/physics"}
    assert _link(jrd, "http://webfinger.net/rel/profile-page")["href"] == (
        "http://lyceum.test/g/physics"
    )
    assert jrd["aliases"] == ["http://lyceum.test/g/physics"]


async def test_webfinger__finds_a_person_by_acct_and_by_url(client: httpx.AsyncClient) -> None:
    # Given a person
    await make_account("ada")
    for resource in ("acct:ada@lyceum.test", "ada@lyceum.test", "http://lyceum.test/u/ada"):
        # When a peer asks by handle, bare handle or actor URL
        response = await client.get(WEBFINGER, params={"resource": resource})
        # Then each gives the same answer
        assert response.status_code == 200, resource
        jrd = response.json()
        assert jrd["subject"] == "acct:ada@lyceum.test"
        assert _link(jrd, "self")["href"] == "http://lyceum.test/u/ada"


async def test_webfinger__finds_the_instance_actor(client: httpx.AsyncClient) -> None:
    for resource in (
        "acct:lyceum.test@lyceum.test",
        "acct:actor@lyceum.test",
        "http://lyceum.test/actor",
    ):
        # When a peer asks for the instance actor by its preferredUsername, name or URL
        response = await client.get(WEBFINGER, params={"resource": resource})
        # Then it is pointed at /actor, under the subject Mastodon queries back
        assert response.status_code == 200, resource
        jrd = response.json()
        assert jrd["subject"] == "acct:lyceum.test@lyceum.test"
        assert _link(jrd, "self")["href"] == "http://lyceum.test/actor"


async def test_webfinger__group_url_does_not_find_a_person(client: httpx.AsyncClient) -> None:
    # Given a person ada and no group ada
    await make_account("ada")
    # When a peer asks for the group URL /g/ada
    response = await client.get(WEBFINGER, params={"resource": "http://lyceum.test/g/ada"})
    # Then nothing is found
    assert response.status_code == 404


async def test_webfinger__filters_links_by_rel(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    response = await client.get(
        WEBFINGER, params={"resource": "acct:ada@lyceum.test", "rel": "self"}
    )
    assert response.status_code == 200
    assert [link["rel"] for link in response.json()["links"]] == ["self"]


@pytest.mark.parametrize(
    "params", [{}, {"resource": ""}, {"resource": "acct:ada"}, {"resource": "acct:@"}]
)
async def test_webfinger__missing_or_malformed_resource_is_400(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(WEBFINGER, params=params)
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@lyceum.test",
        "acct:ada@elsewhere.example",
        "https://elsewhere.example/u/ada",
        "http://lyceum.test/p/whatever",
        "acct:ADA..@lyceum.test",
    ],
)
async def test_webfinger__unknown_or_foreign_is_404(
    client: httpx.AsyncClient, resource: str
) -> None:
    # Given a person ada (so that a foreign "ada" would clash if hosts were ignored)
    await make_account("ada")
    response = await client.get(WEBFINGER, params={"resource": resource})
    assert response.status_code == 404


async def test_webfinger__hidden_group_is_404(client: httpx.AsyncClient) -> None:
    # Given a group waiting for an admin's approval
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    await Group.filter(id=group.id).update(state=GroupState.PENDING)
    # When a peer looks it up
    response = await client.get(WEBFINGER, params={"resource": "acct:physics@lyceum.test"})
    # Then it is not found, and the group is unchanged
    assert response.status_code == 404
    assert (await Group.get(id=group.id)).state == GroupState.PENDING
