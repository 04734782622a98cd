"""Every route of the app, tried by every role, against the access matrix.

Each route gets a fresh database and one small world per probe that may change it, so one
role's allowed action (deleting the post, say) cannot turn the next role's answer into a 404.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from server.models import (
    Badge,
    BadgeAward,
    Delivery,
    DeliveryState,
    DomainBlock,
    InboxActivity,
    JoinPolicy,
    MailState,
    MemberRole,
    Membership,
    OutgoingMail,
    Report,
    inbox_dedup_key,
    utcnow,
)
from server.services import group_invites, groups
from server.settings import Settings
from tests.conftest import BASE_URL, csrf_from
from tests.helpers import PASSWORD, make_account, make_group, make_post
from tests.web.access_matrix import ACCESS, ROLES, SIGNED, TOKEN

PLACEHOLDER = re.compile(r"\{(\w+)\}")
CONVERTOR = re.compile(r":\w+\}")


def app_routes(routes: list[BaseRoute], prefix: str = "") -> list[str]:
    """ "METHOD /path" for every route, HEAD left out (it follows GET), path convertors left out
    (`{post_id:id}` is `{post_id}`); static mounts skipped."""
    found = []
    for route in routes:
        if isinstance(route, Route):
            path = CONVERTOR.sub("}", prefix + route.path)
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append(f"{method} {path}")
        elif isinstance(route, Mount) and route.routes:
            found.extend(app_routes(list(route.routes), prefix + route.path))
    return found


def _all_routes() -> list[str]:
    from server.app import create_app

    app = create_app(Settings(database_url="sqlite://:memory:"), manage_database=False)
    return app_routes(app.routes)


ROUTES = _all_routes()


def test_every_route_is_in_the_matrix_and_every_entry_is_a_route() -> None:
    assert sorted(set(ROUTES) - set(ACCESS)) == [], "routes missing from tests/web/access_matrix.py"
    assert sorted(set(ACCESS) - set(ROUTES)) == [], "matrix entries that are no longer routes"


@dataclass
class World:
    """One group `g<n>` with an owner, a moderator, a member (author of a post) and an admin."""

    values: dict[str, str]
    usernames: dict[str, str]


async def build_world(n: int) -> World:
    await make_account(f"admin{n}", admin=True)
    owner = await make_account(f"owner{n}")
    moderator = await make_account(f"moderator{n}")
    member = await make_account(f"member{n}")
    applicant = await make_account(f"applicant{n}")
    group = await make_group(owner, f"g{n}", join_policy=JoinPolicy.APPROVAL)
    for account in (moderator, member):
        membership = await groups.request_membership(group, account.actor)
        await groups.decide_membership(membership, owner.actor, accept=True)
    await Membership.filter(group=group, actor_id=moderator.actor_id).update(
        role=MemberRole.MODERATOR
    )
    pending = await groups.request_membership(group, applicant.actor)
    post = await make_post(member, group, title="Matrix thread")
    report = await Report.create(reporter_id=member.actor_id, post=post, group=group, comment="x")
    invite = await group_invites.create_link(group, owner, max_uses=5)
    await DomainBlock.get_or_create(domain="blocked.example")
    given_up = await Delivery.create(
        activity_id=f"{BASE_URL}/a/{n}",
        payload="{}",
        signer_id=member.actor_id,
        inbox_url="https://gone.example/inbox",
        domain="gone.example",
        state=DeliveryState.FAILED,
        next_attempt_at=utcnow(),
    )
    bounced = await OutgoingMail.create(
        to_address="gone@example.org",
        kind="notification",
        dedup_key=f"matrix:{n}",
        subject="A reply",
        text_body="Hello",
        state=MailState.DEAD,
        next_attempt_at=utcnow(),
    )
    dead = await InboxActivity.create(
        ap_id=f"https://remote.example/a/{n}",
        dedup_key=inbox_dedup_key("https://remote.example", f"https://remote.example/a/{n}"),
        actor_ap_id="https://remote.example/users/someone",
        activity_type="Create",
        payload="{}",
        dead_at=utcnow(),
    )
    badge = await Badge.create(slug=f"custom-matrix-{n}", name="Matrix badge")
    given = await BadgeAward.create(badge=badge, actor_id=member.actor_id, dedup_key=f"m:{n}")
    values = {
        "award_id": given.id,
        "handle": f"g{n}",
        "name": f"g{n}",
        "post_id": post.id,
        "actor_id": member.actor_id,
        "account_id": member.id,
        "username": member.actor.username,
        "membership_id": pending.id,
        "decision": "accept",
        "report_id": report.id,
        "domain": "blocked.example",
        "version": "2.1",
        "tag": "matrix",
        "token": "not-a-token",
        "signature": "not-a-signature",
        "encoded": "aHR0cHM6Ly9yZW1vdGUuZXhhbXBsZS9hLnBuZw",  # https://remote.example/a.png
        "session_id": "not-a-session",
        "notification_id": "0" * 26,  # an id, but nobody's notification
        "delivery_id": given_up.id,
        "activity_id": dead.id,
        "mail_id": bounced.id,
        "invite_id": invite.id,
        "code": invite.code,
        "table": "weekly",
    }
    usernames = {"member": f"member{n}", "moderator": f"moderator{n}", "admin": f"admin{n}"}
    return World(values, usernames)


UNSIGNED_FOLLOW = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": "https://remote.example/follows/1",
    "type": "Follow",
    "actor": "https://remote.example/users/someone",
}


def fill(path: str, world: World) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "name" and path.startswith("/u/"):
            return world.values["username"]
        assert name in world.values, f"the matrix test cannot fill {{{name}}} in {path}"
        return world.values[name]

    return PLACEHOLDER.sub(value, path)


async def probe(app: Starlette, role: str, world: World, method: str, path: str) -> httpx.Response:
    """The route's answer to `role`: logged in through the log-in form, POSTs with a CSRF token."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        if role not in ("anonymous", "signed"):
            page = await client.get("/login")
            login = {"login": world.usernames[role], "password": PASSWORD}
            answer = await client.post("/login", data={**login, "csrf_token": csrf_from(page.text)})
            assert answer.status_code == 303, f"{role} could not log in"
        target = fill(path, world)
        if method == "GET":
            return await client.get(target)
        if role == "signed":
            return await client.post(
                target,
                content=json.dumps(UNSIGNED_FOLLOW | {"object": f"{BASE_URL}{target[:-6]}"}),
                headers={"Content-Type": "application/activity+json"},
            )
        token = ""
        for form_page in (target, "/"):  # anonymous visitors get a token from the form's page
            page = await client.get(form_page)
            if 'name="csrf_token"' in page.text:
                token = csrf_from(page.text)
                break
        return await client.post(target, data={"csrf_token": token})


def refused(role: str, response: httpx.Response) -> bool:
    if response.status_code == 403:
        return True
    location = response.headers.get("location", "")
    return role == "anonymous" and response.is_redirect and location.startswith("/login")


@pytest.mark.parametrize("route", ROUTES)
async def test_access_matrix(route: str, app: Starlette) -> None:
    method, path = route.split(" ", 1)
    allowed = ACCESS.get(route)
    if allowed is None:
        pytest.fail(f"{route} is not in tests/web/access_matrix.py")
    shared = await build_world(0)
    if allowed == SIGNED:
        response = await probe(app, "signed", shared, method, path)
        assert response.status_code == 401, f"{route} took an unsigned request"
        return
    if allowed == TOKEN:
        for role in ROLES:
            response = await probe(app, role, shared, method, path)
            kept_out = refused(role, response) or 400 <= response.status_code < 500
            assert kept_out, f"{route} let {role} in without the token ({response.status_code})"
        return
    worlds = 0
    for role in ROLES:
        world = shared
        if role in allowed and method == "POST":
            worlds += 1
            world = await build_world(worlds)  # an allowed POST may change its world
        response = await probe(app, role, world, method, path)
        assert response.status_code < 500, f"{route} as {role}: {response.status_code}"
        if role in allowed:
            assert not refused(role, response), (
                f"{route} refused {role} ({response.status_code}), but the matrix allows it"
            )
        else:
            assert refused(role, response), (
                f"{route} let {role} through ({response.status_code}); the matrix refuses it"
            )
