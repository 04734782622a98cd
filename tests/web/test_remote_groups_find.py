"""Finding a group on another server (/groups/find) and its pages here (/g/name@host)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette

from federation.fetch import Fetcher
from server.models import Actor, Group, Membership, MembershipState
from server.settings import Settings
from tests.federation._inbox_peer import build_activity, deliver
from tests.federation._remote_group_server import JRD, GroupServer, hosting_server
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


# --- Unreadable handles and misbehaving servers are a reason on the form, never a 500 --------

DEEP = ("[" * 10_000 + "]" * 10_000).encode()
JSON = "application/json"


@pytest.mark.parametrize(
    ("handle", "reason"),
    [
        ("@a@[::1", "Enter a handle such as @group@example.org, or the group"),
        ("@a@exa mple.org", "Enter a handle such as @group@example.org, or the group"),
        ("@a@\x00", "Enter a handle such as @group@example.org, or the group"),
        ("@a@" + "a" * 300 + ".org", "Enter a handle such as @group@example.org, or the group"),
        ("@a@" + "a" * 64 + ".org", "is not a server name we can look up"),
        ("@a@a..b", "a..b is not a server name we can look up"),
        ("@a@example.org:99999", "example.org:99999 is not a server name we can look up"),
        ("@a@example.org:0", "example.org:0 is not a server name we can look up"),
        ("https://[::1/users/a", "the URL is malformed"),
        ("https://exa mple.org/users/a", "is not a valid host name"),
        ("https://example.org:99999/users/a", "the URL is malformed"),
        ("https://" + "a" * 64 + ".org/users/a", "is not a valid host name"),
        ("https://xn--zz.org/users/a", "the URL is malformed"),
        ("https://example.org:0/users/a", "the URL names port 0"),
    ],
    ids=[
        "open-bracket",
        "space",
        "nul",
        "over-253",
        "label-over-63",
        "empty-label",
        "port-out-of-range",
        "port-0",
        "url-open-bracket",
        "url-space",
        "url-port-out-of-range",
        "url-label-over-63",
        "url-bad-punycode",
        "url-port-0",
    ],
)
async def test_find_group__unreadable_hosts_are_refused_on_the_form(
    logged_in: httpx.AsyncClient, handle: str, reason: str
) -> None:
    # Given the app's real fetcher (nothing here reaches the network: each is refused first)
    actors = await Actor.all().count()
    # When Ada looks up a handle or address whose host cannot be read
    response = await _find(logged_in, handle)
    # Then the form comes back with the reason, and nothing is stored: no group, and no actor
    # (not even the instance's own, which signs look-ups and is made on first use)
    assert response.status_code == 422
    assert reason in response.text.replace("&#39;", "'")
    assert await Group.filter(actor__domain__not="").count() == 0
    assert await Actor.all().count() == actors


Answer = Callable[[httpx.Request], httpx.Response]


@asynccontextmanager
async def _misbehaving(
    app: Starlette, settings: Settings, origin: str, answers: dict[str, Answer]
) -> AsyncIterator[GroupServer]:
    """The group server at `origin`, answering the paths in `answers` its own way."""
    async with hosting_server(app, settings, origin) as server:
        server.add_group("main")

        def handler(request: httpx.Request) -> httpx.Response:
            answer = answers.get(request.url.path)
            if answer is not None:
                server.requests.append(request)
                return answer(request)
            return server.handler(request)

        runtime = server.runtime
        await runtime.client.aclose()
        runtime.client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        runtime.fetcher = Fetcher(runtime.client, allow_http=True)
        yield server


def _jrd(links: object) -> Answer:
    return lambda request: httpx.Response(
        200, json={"subject": "acct:main@x", "links": links}, headers={"Content-Type": JRD}
    )


def _raw(body: bytes, content_type: str) -> Answer:
    return lambda request: httpx.Response(200, content=body, headers={"Content-Type": content_type})


WEBFINGER = "/.well-known/webfinger"
SELF = {"rel": "self", "type": "application/activity+json"}


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({WEBFINGER: _raw(DEEP, JRD)}, "did not return JSON"),
        ({WEBFINGER: _raw(b"[1, 2]", JRD)}, "did not return a JSON object"),
        ({WEBFINGER: _jrd(["self", 7, None])}, "has no ActivityPub actor to follow"),
        ({WEBFINGER: _jrd({"rel": "self"})}, "has no ActivityPub actor to follow"),
        ({WEBFINGER: _jrd([{**SELF, "href": 7}])}, "has no ActivityPub actor to follow"),
        ({WEBFINGER: _jrd([{**SELF, "href": ["https://x"]}])}, "has no ActivityPub actor"),
        ({WEBFINGER: _jrd([{**SELF, "href": "javascript:alert(1)"}])}, "refused to fetch"),
        ({WEBFINGER: _jrd([{**SELF, "href": "https://[::1/users/main"}])}, "URL is malformed"),
        ({WEBFINGER: _jrd([{**SELF, "href": "https://a b/users/main"}])}, "not a valid host"),
        ({"/users/main": _raw(DEEP, "application/activity+json")}, "did not return JSON"),
    ],
    ids=[
        "deep-jrd",
        "jrd-not-an-object",
        "links-not-dicts",
        "links-a-dict",
        "href-a-number",
        "href-a-list",
        "href-not-http",
        "href-bad-ipv6",
        "href-bad-host",
        "deep-actor",
    ],
)
async def test_find_group__a_misbehaving_server_is_a_reason_on_the_form(
    app: Starlette,
    settings: Settings,
    logged_in: httpx.AsyncClient,
    answers: dict[str, Answer],
    reason: str,
) -> None:
    # Given a server whose WebFinger or actor answer is malformed
    async with _misbehaving(app, settings, "https://remote.example", answers) as server:
        # When Ada looks the group up
        response = await _find(logged_in, "@main@remote.example")
        # Then the form says why, and nothing is stored
        assert response.status_code == 422
        assert reason in response.text.replace("&#39;", "'")
        assert await Group.filter(actor__domain__not="").count() == 0
        assert any(request.url.path in answers for request in server.requests)


NODEINFO = "/.well-known/nodeinfo"
SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"


@pytest.mark.parametrize(
    "answers",
    [
        {NODEINFO: _raw(DEEP, "application/json")},
        {NODEINFO: _raw(b'{"links": [1, "x", null, []]}', "application/json")},
        {NODEINFO: _raw(b'{"links": {"rel": "x"}}', "application/json")},
        {NODEINFO: _raw(json.dumps({"links": [{"rel": SCHEMA, "href": 7}]}).encode(), JSON)},
        {
            NODEINFO: _raw(
                json.dumps({"links": [{"rel": SCHEMA, "href": "ftp://x"}]}).encode(), JSON
            )
        },
        {
            NODEINFO: _raw(
                json.dumps({"links": [{"rel": SCHEMA, "href": "https://[::1"}]}).encode(), JSON
            )
        },
        {
            NODEINFO: _raw(
                json.dumps({"links": [{"rel": SCHEMA, "href": "https://a b/"}]}).encode(), JSON
            )
        },
        {"/nodeinfo/2.1": _raw(DEEP, "application/json")},
    ],
    ids=[
        "deep-links",
        "links-not-dicts",
        "links-a-dict",
        "href-a-number",
        "href-not-http",
        "href-bad-ipv6",
        "href-bad-host",
        "deep-document",
    ],
)
async def test_find_group__a_malformed_nodeinfo_leaves_the_software_unknown(
    app: Starlette,
    settings: Settings,
    logged_in: httpx.AsyncClient,
    answers: dict[str, Answer],
    request: pytest.FixtureRequest,
) -> None:
    # Given a group server (a domain of this test's own: software is remembered per domain)
    # whose NodeInfo is malformed
    domain = f"nodeinfo-{request.node.callspec.id}.example"
    async with _misbehaving(app, settings, f"https://{domain}", answers) as server:
        # When Ada looks the group up
        response = await _find(logged_in, f"@main@{domain}")
        # Then the group is found all the same, and its server's software stays unknown
        assert response.status_code == 303, response.text
        actor = await Actor.get(domain=domain, username="main")
        assert actor.software == ""
        assert any(request.url.path in answers for request in server.requests)
