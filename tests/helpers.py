"""Small builders for tests: accounts, logged-in clients, groups. Real services, no mocks."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from server import events
from server.app import create_app
from server.models import Account, Actor, OutgoingMail, Post, Role
from server.services import accounts, groups, posts
from server.services.groups import GroupForm
from server.settings import Settings
from tests.conftest import BASE_URL, csrf_from

PASSWORD = "correct horse battery"


async def make_account(username: str, *, admin: bool = False, display_name: str = "") -> Account:
    account = await accounts.create_account(
        username,
        f"{username}@example.org",
        PASSWORD,
        display_name=display_name,
        role=Role.ADMIN if admin else Role.MEMBER,
    )
    await account.fetch_related("actor")
    return account


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> None:
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"login": username, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text


async def csrf(client: httpx.AsyncClient, path: str = "/") -> str:
    """A valid CSRF token for the client's session, read from a page."""
    page = await client.get(path)
    return csrf_from(page.text)


SIGNUP_LINK = re.compile(r"https?://\S+?(/signup/confirm/[A-Za-z0-9_=-]+)")


async def signup_link(address: str) -> str:
    """The path of the newest sign-up link mailed (queued) to `address`."""
    mail = (
        await OutgoingMail.filter(to_address=address, kind="signup_confirmation")
        .order_by("-created_at")
        .first()
    )
    assert mail is not None, f"no sign-up link was mailed to {address}"
    match = SIGNUP_LINK.search(mail.text_body)
    assert match is not None, "the sign-up mail holds no link"
    return match.group(1)


async def confirm_signup(client: httpx.AsyncClient, address: str) -> httpx.Response:
    """Follow the sign-up link mailed to `address` and press its button, as its owner does."""
    link = await signup_link(address)
    page = await client.get(link)
    return await client.post(link, data={"csrf_token": csrf_from(page.text)})


async def make_group(owner: Account, handle: str, **kwargs: object) -> groups.Group:
    form = GroupForm(handle=handle, name=kwargs.pop("name", handle.title()), **kwargs)  # type: ignore[arg-type]
    return await groups.create_group(owner, form)


async def join_as_member(group: groups.Group, account: Account) -> None:
    """Make the account an accepted member of an open group (posts area)."""
    await groups.request_membership(group, await Actor.get(id=account.actor_id))


async def make_post(
    author: Account,
    group: groups.Group,
    *,
    kind: str = "discussion",
    title: str = "A thread",
    body: str = "Hello",
    link_url: str = "",
) -> Post:
    """A published top-level post by a member (posts area)."""
    return await posts.create_post(author, group, kind, title, body, link_url)


async def make_reply(author: Account, parent: Post, body: str = "A reply") -> Post:
    return await posts.create_reply(author, parent, body)


@asynccontextmanager
async def client_for(
    settings: Settings, base_url: str = BASE_URL
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a second app built from other settings, on the test's already open database
    (accounts area: https cookies, small rate limits, an SMTP server)."""
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=base_url, headers={"Accept": "text/html"}
    ) as client:
        yield client


async def make_post_row(
    author: Account,
    group: groups.Group,
    *,
    title: str = "A thread",
    source: str = "Hello",
    parent: Post | None = None,
    hashtags: tuple[str, ...] = (),
    **fields: object,
) -> Post:
    """A post stored straight through the ORM, bypassing the posts service (federation area:
    documents are views of stored rows, whatever wrote them)."""
    from server.content import render_markdown
    from server.models import PostHashtag, PostKind

    post = await Post.create(
        group=group,
        author_id=author.actor_id,
        kind=PostKind.REPLY if parent else fields.pop("kind", PostKind.DISCUSSION),
        parent=parent,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        title="" if parent else title,
        source=source,
        content_html=render_markdown(source).html,
        **fields,
    )
    for tag in hashtags:
        await PostHashtag.create(post=post, tag=tag)
    return post


async def make_remote_actor(
    username: str, domain: str, *, software: str = "", shared_inbox: bool = True
) -> Actor:
    """A person on another server, as the inbox stores it (outbox area): ids, inboxes and the
    NodeInfo software name of its server."""
    from server.models import ActorKind

    base = f"https://{domain}"
    return await Actor.create(
        kind=ActorKind.PERSON,
        username=username,
        domain=domain,
        ap_id=f"{base}/users/{username}",
        inbox_url=f"{base}/users/{username}/inbox",
        shared_inbox_url=f"{base}/inbox" if shared_inbox else "",
        followers_url=f"{base}/users/{username}/followers",
        software=software,
        public_key_pem="",
    )


def record_events(*kinds: type[events.Event]) -> list[events.Event]:
    """The events of these kinds published from now on, in order (each test starts with an
    empty bus)."""
    seen: list[events.Event] = []

    async def handler(event: events.Event) -> None:
        seen.append(event)

    for kind in kinds:
        events.bus.subscribe(kind, handler)
    return seen
