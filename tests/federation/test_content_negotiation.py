"""One URL, two documents: HTML for browsers, ActivityStreams for servers."""

from __future__ import annotations

import httpx
import pytest

from federation.negotiation import wants_activity_json
from tests.helpers import make_account

PROFILE_ACCEPT = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def test_negotiation__browser_gets_the_page(client: httpx.AsyncClient) -> None:
    # Given a person
    await make_account("ada")
    # When a browser opens their URL
    response = await client.get(
        "/u/ada", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    # Then it gets the HTML profile, marked as varying by Accept
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "accept" in response.headers["vary"].lower()


@pytest.mark.parametrize(
    "accept", ["application/activity+json", PROFILE_ACCEPT, "application/ld+json"]
)
async def test_negotiation__servers_get_the_actor(client: httpx.AsyncClient, accept: str) -> None:
    await make_account("ada")
    response = await client.get("/u/ada", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    assert response.json()["id"] == "http://lyceum.test/u/ada"
    assert "set-cookie" not in response.headers


async def test_negotiation__head_is_negotiated_too(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    response = await client.head("/u/ada", headers={"Accept": "application/activity+json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"


async def test_negotiation__paths_without_a_document_fall_through_to_html(
    client: httpx.AsyncClient,
) -> None:
    # When a server asks for ActivityStreams at a page that has no AS2 twin
    response = await client.get("/", headers={"Accept": "application/activity+json"})
    # Then the HTML app answers
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_negotiation__posts_to_a_negotiated_path_go_to_the_html_app(
    client: httpx.AsyncClient,
) -> None:
    # Given a person, whose page takes no POST
    await make_account("ada")
    # When a server POSTs to it asking for ActivityStreams
    response = await client.post("/u/ada", headers={"Accept": "application/activity+json"})
    # Then the HTML app refuses the method (no AS2 document is served for a POST)
    assert response.status_code == 405
    assert "activity+json" not in response.headers["content-type"]


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("application/activity+json", True),
        (PROFILE_ACCEPT, True),
        ("application/activity+json, application/ld+json", True),
        ("text/html, application/activity+json;q=0.5", False),
        ("application/activity+json;q=0", False),
        ("text/html", False),
        ("*/*", False),
        ("", False),
        ("application/json", False),
    ],
)
def test_wants_activity_json__reads_accept(accept: str, wanted: bool) -> None:
    assert wants_activity_json(accept) is wanted
