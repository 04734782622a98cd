"""Every GET route of the app, tried against a members-only group's content by everyone.

Built from the app's route table like `test_access_matrix`: a route added later must be
classified in `PRIVATE_ROUTES` below, or the classification test fails. The group `g0` of the
access-matrix world is made members-only and gets a pinned question and a resource whose titles
carry a secret word. Then every GET route is fetched by:

- a logged-out visitor, asking for HTML and for ActivityStreams;
- a logged-in person who is not a member (`outsider`);
- another server where no member lives (a signed GET by `eve@other.example`);
- the group's member, moderator and an instance admin, logged in;
- a server where a member lives (a signed GET by `bob@remote.example`, an accepted member).

Non-readers must never see the secret word, on any route, in any part of the page (title,
OpenGraph tags, feeds, JSON); on the routes that show the group's content they are refused
(403 "members only" page, or 404, or the log-in redirect). Readers get those routes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from starlette.applications import Starlette

from federation.httpsig import CavageAuth
from federation.inbox.actors import RemoteActors
from server.models import Group, GroupVisibility, Membership, MembershipState, Post, utcnow
from server.services import groups
from tests.conftest import BASE_URL
from tests.federation._inbox_peer import (
    OTHER_PRIVATE,
    OTHER_PUBLIC,
    PeerActor,
    RemotePeer,
    connected_peer,
)
from tests.federation.test_outbox_private_groups import public_addresses
from tests.helpers import log_in, make_account, make_post, make_reply
from tests.web.test_access_matrix import ROUTES, World, build_world, fill

SECRET = re.compile(r"\bQuetzalcoatl\b")
AS2 = "application/activity+json"

PAGE = "page"  # an HTML page of the group's content: local readers only
DOCUMENT = "document"  # an ActivityPub document of it: signed GETs from a member's server only
FEED = "feed"  # an Atom/RSS feed of it: feeds are anonymous, so nobody
LISTING = "listing"  # lists posts of many groups: readers see the secret there, others not
OTHER = "other"  # shows no post of the group: only checked for leaks

PRIVATE_ROUTES: dict[str, str] = {
    "GET /g/{handle}": PAGE,
    "GET /g/{handle}/resources": PAGE,
    "GET /g/{handle}/members": PAGE,
    "GET /p/{post_id}": PAGE,  # and, asked for ActivityStreams, a DOCUMENT (see AS2_ALSO)
    "GET /p/{post_id}/report": PAGE,  # the report form quotes the post
    "GET /g/{name}/outbox": DOCUMENT,
    "GET /g/{name}/followers": DOCUMENT,
    "GET /g/{name}/featured": DOCUMENT,
    "GET /g/{name}/moderators": DOCUMENT,
    "GET /g/{name}/announces/{post_id}": DOCUMENT,
    "GET /g/{name}/announces/{post_id}/create": DOCUMENT,
    "GET /p/{post_id}/replies": DOCUMENT,
    "GET /p/{post_id}/create": DOCUMENT,
    "GET /g/{handle}/feed.atom": FEED,
    "GET /g/{handle}/feed.rss": FEED,
    "GET /": LISTING,
    "GET /home": LISTING,
    "GET /tags/{tag}": LISTING,
    "GET /search": LISTING,
    "GET /search/similar": LISTING,
    "GET /u/{handle}": LISTING,  # a person's contributions, tab by tab
    "GET /saved": LISTING,  # what one saved, while one may still read it
}
# The same URL as an HTML page, negotiated to an ActivityStreams document.
AS2_ALSO = {"GET /p/{post_id}"}
# Query strings that make a route show something (a page of a collection, a search).
QUERIES = {
    # Another word of the secret post: the search pages repeat what was asked.
    "GET /search": "?q=xylophonic",
    "GET /search/similar": "?title=xylophonic",
    "GET /g/{name}/outbox": "?page=true",
    "GET /g/{name}/followers": "?page=true",
    "GET /p/{post_id}/replies": "?page=true",
    "GET /u/{handle}": "?tab=questions",
}
# What each reader must find on a route: the secret word, or only a successful answer (the
# member list and the collections of ids carry no title).
SHOWS_SECRET = {
    "GET /g/{handle}",
    "GET /g/{handle}/resources",
    "GET /p/{post_id}",
    "GET /p/{post_id}/report",
    "GET /g/{name}/outbox",
    "GET /g/{name}/featured",
    "GET /g/{name}/announces/{post_id}/create",
    "GET /p/{post_id}/create",
    "GET /tags/{tag}",
    "GET /search",
    "GET /search/similar",
    "GET /u/{handle}",
}
# Paths the access-matrix world fills differently from what this test needs.
PATHS = {"GET /u/{handle}": "/u/{username}"}
LOCAL_READERS = ("member", "moderator", "admin")
GET_ROUTES = [route for route in ROUTES if route.startswith("GET ")]


def test_every_get_route_is_classified_for_private_groups() -> None:
    unclassified = [r for r in GET_ROUTES if r not in PRIVATE_ROUTES and r not in _others()]
    assert unclassified == [], "classify these routes in PRIVATE_ROUTES (or OTHER_ROUTES)"
    assert sorted(set(PRIVATE_ROUTES) - set(GET_ROUTES)) == [], "entries that are not routes"


def _others() -> set[str]:
    return set(OTHER_ROUTES)


# Routes that show no post of any group (accounts, admin, discovery, ...), checked for leaks.
OTHER_ROUTES = {
    route
    for route in GET_ROUTES
    if route not in PRIVATE_ROUTES
    and (
        route.startswith(("GET /admin", "GET /settings", "GET /signup", "GET /reset", "GET /setup"))
        or route
        in {
            "GET /healthz",
            "GET /readyz",
            "GET /metrics",
            "GET /.well-known/webfinger",
            "GET /.well-known/host-meta",
            "GET /.well-known/host-meta.json",
            "GET /.well-known/nodeinfo",
            "GET /nodeinfo/{version}",
            "GET /actor",
            "GET /actor/outbox",
            "GET /u/{name}/outbox",
            "GET /u/{name}/followers",
            "GET /proxy/media/{signature}/{encoded}",
            "GET /favicon.ico",
            "GET /login",
            "GET /unsubscribe/{token}",
            "GET /about",
            "GET /about/blocks",
            "GET /groups",
            "GET /groups/new",
            "GET /groups/find",
            "GET /g/{handle}/about",
            "GET /g/{handle}/join",
            "GET /g/{handle}/leave",
            "GET /g/{handle}/requests",
            "GET /g/{handle}/settings",
            "GET /g/{handle}/moderation",
            "GET /g/{handle}/members/{actor_id}/ban",
            "GET /g/{handle}/bans",
            "GET /g/{handle}/members/{actor_id}/transfer",
            "GET /g/{handle}/modlog",
            # moderators' pages: the access matrix keeps everyone else out
            "GET /g/{handle}/insights",
            "GET /g/{handle}/insights/report",
            "GET /g/{handle}/insights/{table}.csv",
            "GET /g/{handle}/new",
            "GET /g/{handle}/invites",
            "GET /invite/{code}",
            "GET /g/{handle}/reports",
            "GET /g/{handle}/reports/{report_id}",
            "GET /p/{post_id}/edit",
            "GET /u/{username}",
            "GET /u/{username}/report",
            "GET /u/{username}/feed.atom",
            "GET /u/{username}/feed.rss",
            "GET /reports/sent",
            "GET /notifications",
            "GET /notifications/{notification_id}",
            "GET /feed.atom",
            "GET /feed.rss",
            "GET /tags/{tag}/feed.atom",
            "GET /tags/{tag}/feed.rss",
        }
    )
}


class Probe:
    """Fetches routes as each role; every local role logs in once, through the log-in form."""

    def __init__(self, app: Starlette, world: World, stack: AsyncExitStack) -> None:
        self.app, self.world, self.stack = app, world, stack
        self.clients: dict[str, httpx.AsyncClient] = {}

    async def _client(self, role: str) -> httpx.AsyncClient:
        if role not in self.clients:
            client = await self.stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=self.app),
                    base_url=BASE_URL,
                    headers={"Accept": "text/html"},
                )
            )
            if role != "anonymous":
                await log_in(client, self.world.usernames[role])
            self.clients[role] = client
        return self.clients[role]

    def _path(self, route: str) -> str:
        path = PATHS.get(route, route.split(" ", 1)[1])
        return fill(path, self.world) + QUERIES.get(route, "")

    async def local(self, role: str, route: str) -> httpx.Response:
        return await (await self._client(role)).get(self._path(route))

    async def signed(self, signer: PeerActor | None, route: str) -> httpx.Response:
        client = await self._client("anonymous")
        request = client.build_request("GET", self._path(route), headers={"Accept": AS2})
        if signer is not None:
            request = next(CavageAuth(signer.key_id, signer.private_pem).sync_auth_flow(request))
        return await client.send(request)


@pytest.fixture
async def peer(app: Starlette, settings: object) -> AsyncIterator[RemotePeer]:
    async with connected_peer(app, settings) as peer:  # type: ignore[arg-type]
        yield peer


async def _private_world(peer: RemotePeer) -> tuple[World, PeerActor, PeerActor]:
    """The access-matrix world with `g0` members-only and secret posts; bob (remote.example) an
    accepted member, eve (other.example) nobody in the group; an outsider account here."""
    world = await build_world(0)
    await make_account("outsider")
    world.usernames["outsider"] = "outsider"
    group = await Group.get(actor__username="g0").select_related("actor")
    group.visibility = GroupVisibility.MEMBERS
    await group.save(update_fields=["visibility"])
    member = await _account("member0")
    question = await make_post(
        member,
        group,
        kind="question",
        title="Quetzalcoatl xylophonic question",
        body="About #secrettag",
    )
    await make_post(
        member,
        group,
        kind="resource",
        title="Quetzalcoatl resource",
        body="A link",
        link_url="https://example.org/q",
    )
    await make_reply(member, question, "Quetzalcoatl reply")
    await Post.filter(id=question.id).update(pinned_at=utcnow())
    world.values |= {"post_id": question.id, "tag": "secrettag"}

    bob = peer.add_actor("bob")
    others = RemotePeer("https://other.example")
    eve = others.add_actor("eve", private_pem=OTHER_PRIVATE, public_pem=OTHER_PUBLIC)
    peer.documents.update(others.documents)
    actors = RemoteActors(peer.runtime.fetcher, peer.runtime.signer_for, local_base_url=BASE_URL)
    bob_actor = await actors.resolve(bob.id)
    assert bob_actor is not None
    membership = await groups.request_membership(group, bob_actor, follow_ap_id=f"{bob.id}#f")
    if membership.state != MembershipState.ACCEPTED:
        owner = await _account("owner0")
        await groups.decide_membership(membership, owner.actor, accept=True)
    assert await Membership.filter(
        group=group, actor=bob_actor, state=MembershipState.ACCEPTED
    ).exists()
    return world, bob, eve


async def _account(username: str):  # type: ignore[no-untyped-def]
    from server.models import Account

    return await Account.get(actor__username=username).select_related("actor")


def _refused(response: httpx.Response) -> bool:
    location = response.headers.get("location", "")
    return response.status_code in (401, 403, 404) or location.startswith("/login")


async def test_private_group__every_route_keeps_the_content_from_non_members(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a members-only group with secret posts, and readers and non-readers of it
    world, bob, eve = await _private_world(peer)
    problems: list[str] = []
    async with AsyncExitStack() as stack:
        fetch = Probe(app, world, stack)
        for route in GET_ROUTES:
            kind = PRIVATE_ROUTES.get(route, OTHER)
            # When non-readers fetch the route
            answers = {
                "anonymous": await fetch.local("anonymous", route),
                "outsider": await fetch.local("outsider", route),
                "anonymous AS2": await fetch.signed(None, route),
                "eve@other.example": await fetch.signed(eve, route),
            }
            # Then the secret shows nowhere, and content routes refuse them
            for who, response in answers.items():
                if response.status_code >= 500:
                    problems.append(f"{route} as {who}: {response.status_code}")
                if SECRET.search(response.text):
                    problems.append(f"{route} showed the secret to {who}")
                if kind in (PAGE, DOCUMENT, FEED) and not _refused(response):
                    if kind == PAGE and who in ("anonymous AS2", "eve@other.example"):
                        continue  # a page asked for as AS2 is checked as a document below
                    problems.append(f"{route} let {who} in ({response.status_code})")
            if route in AS2_ALSO:
                for who in ("anonymous AS2", "eve@other.example"):
                    if not _refused(answers[who]):
                        problems.append(f"{route} (AS2) let {who} in")
            # And readers get what is theirs
            if kind in (PAGE, LISTING):
                for role in LOCAL_READERS:
                    if kind == LISTING and role == "admin" and route in ("GET /home", "GET /"):
                        continue  # the admin is in no group: the home feed is the member's
                    if kind == LISTING and role != "member":
                        continue
                    response = await fetch.local(role, route)
                    if response.status_code != 200:
                        problems.append(f"{route} refused {role} ({response.status_code})")
                    elif route in SHOWS_SECRET and not SECRET.search(response.text):
                        problems.append(f"{route} did not show {role} the group's content")
            if kind == DOCUMENT or route in AS2_ALSO:
                response = await fetch.signed(bob, route)
                if response.status_code != 200:
                    problems.append(f"{route} refused bob's server ({response.status_code})")
                elif route in SHOWS_SECRET and not SECRET.search(response.text):
                    problems.append(f"{route} did not show bob's server the content")
                elif public_addresses(response.json()):
                    problems.append(f"{route} is addressed to the public")
    assert problems == []


async def test_private_group__a_member_s_home_page_shows_the_group(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given the same world: the front page of a logged-in member lists the private threads
    world, _, _ = await _private_world(peer)
    async with AsyncExitStack() as stack:
        response = await Probe(app, world, stack).local("member", "GET /home")
    assert response.status_code == 200
    assert SECRET.search(response.text)
