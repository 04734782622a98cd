"""Finding a group on another server (/groups/find) and its pages here (/g/name@host)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from server.models import Actor, Group, Membership, MembershipState
from server.settings import Settings
from tests.federation._inbox_peer import build_activity, deliver
from tests.federation._remote_group_server import GroupServer, hosting_server
from tests.helpers import csrf, log_in, make_account, make_group


@pytest.fixture
async def server(app: Starlette, settings: Settings) -> AsyncIterator[GroupServer]:
    async with hosting_server(app, settings) as server:
        server.add_group("main")
        server.add_group("strict", approval=True)
        server.add_person("bob")
        yield server


@pytest.fixture
async def logged_in(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await make_account("ada")
    await log_in(client, "ada")
    return client


async def _find(client: httpx.AsyncClient, handle: str) -> httpx.Response:
    token = await csrf(client, "/groups/find")
    return await client.post("/groups/find", data={"handle": handle, "csrf_token": token})


async def test_find_group__directory_offers_the_form(logged_in: httpx.AsyncClient) -> None:
    page = await logged_in.get("/groups")
    assert 'action="/groups/find"' in page.text
    assert "Find a group elsewhere" in page.text


async def test_find_group__needs_an_account(client: httpx.AsyncClient) -> None:
    response = await client.get("/groups/find")
    assert response.status_code == 303
    assert "/login" in response.headers["location"]


async def test_find_group__by_handle_opens_its_page_here(
    logged_in: httpx.AsyncClient, server: GroupServer
) -> None:
    # When Ada looks up @main@remote.example
    response = await _find(logged_in, "@main@remote.example")
    # Then she lands on its page here, which says where it lives
    assert response.status_code == 303
    assert response.headers["location"] == "/g/main@remote.example"
    page = await logged_in.get("/g/main@remote.example")
    assert page.status_code == 200
    assert "@main@remote.example" in page.text
    assert 'href="https://remote.example/c/main"' in page.text
    assert "View on its server" in page.text


async def test_find_group__by_actor_url(logged_in: httpx.AsyncClient, server: GroupServer) -> None:
    response = await _find(logged_in, "https://remote.example/users/main")
    assert response.status_code == 303
    assert response.headers["location"] == "/g/main@remote.example"


async def test_find_group__our_own_group_by_handle(logged_in: httpx.AsyncClient) -> None:
    await make_group(await make_account("cleo"), "physics")
    response = await _find(logged_in, "@physics@lyceum.test")
    assert response.status_code == 303
    assert response.headers["location"] == "/g/physics"


@pytest.mark.parametrize(
    ("handle", "reason"),
    [
        ("", "Enter a handle such as @group@example.org."),
        ("not a handle", "Enter a handle such as @group@example.org, or the group"),
        ("@nobody@remote.example", "remote.example knows no @nobody@remote.example."),
        ("@bob@remote.example", "@bob@remote.example is not a group."),
    ],
)
async def test_find_group__refusals_are_shown_on_the_form(
    logged_in: httpx.AsyncClient, server: GroupServer, handle: str, reason: str
) -> None:
    # When the handle cannot be followed
    response = await _find(logged_in, handle)
    # Then the form comes back with the reason, and nothing is stored
    assert response.status_code == 422
    assert reason in response.text.replace("&#39;", "'")
    assert await Group.filter(actor__domain__not="").count() == 0


async def test_find_group__a_private_address_is_refused(logged_in: httpx.AsyncClient) -> None:
    # Given the app's real fetcher (no fake server), which refuses loopback addresses
    # When Ada looks up a group on 127.0.0.1
    response = await _find(logged_in, "@main@127.0.0.1:9")
    # Then the form says why, and nothing is stored
    assert response.status_code == 422
    assert "127.0.0.1:9 is on a private or local network" in response.text
    assert await Group.filter(actor__domain__not="").count() == 0


async def test_remote_group_page__join_waits_for_the_groups_server(
    app: Starlette, logged_in: httpx.AsyncClient, server: GroupServer
) -> None:
    # Given the open group elsewhere, found by Ada
    await _find(logged_in, "main@remote.example")
    token = await csrf(logged_in, "/g/main@remote.example")
    # When she joins
    response = await logged_in.post("/g/main@remote.example/join", data={"csrf_token": token})
    # Then she waits for its server, which got her Follow
    assert response.status_code == 303
    assert response.headers["location"] == "/g/main@remote.example"
    membership = await Membership.get(actor__username="ada")
    assert membership.state == MembershipState.PENDING
    page = await logged_in.get("/g/main@remote.example")
    assert "Waiting for its server" in page.text
    # And once the group accepts, she can post there
    main = server.groups["main"]
    ada = "http://lyceum.test/u/ada"
    follow = {"id": membership.follow_ap_id, "type": "Follow", "actor": ada, "object": main.id}
    assert await deliver(app, server, build_activity(main, "Accept", follow), main) == ""
    page = await logged_in.get("/g/main@remote.example")
    assert 'href="/g/main@remote.example/new"' in page.text


async def test_remote_group_page__unknown_remote_handle_is_404(
    logged_in: httpx.AsyncClient,
) -> None:
    response = await logged_in.get("/g/main@elsewhere.example")
    assert response.status_code == 404


async def test_remote_group_page__posting_there_from_here(
    app: Starlette, logged_in: httpx.AsyncClient, server: GroupServer
) -> None:
    # Given Ada, an accepted member of the group elsewhere
    await _find(logged_in, "main@remote.example")
    group = await Group.get(actor__ap_id=server.groups["main"].id)
    ada = await Actor.get(username="ada", domain="")
    await Membership.create(group=group, actor=ada, state=MembershipState.ACCEPTED)
    token = await csrf(logged_in, "/g/main@remote.example/new")
    # When she writes a post on its page here
    response = await logged_in.post(
        "/g/main@remote.example/new",
        data={"kind": "discussion", "title": "Hi all", "body": "Hello", "csrf_token": token},
    )
    # Then it is shown on its page here, in the group
    assert response.status_code == 303
    thread = await logged_in.get(response.headers["location"])
    assert "Hi all" in thread.text
    assert 'href="/g/main@remote.example"' in thread.text
