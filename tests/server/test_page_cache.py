"""Pages kept for visitors who are not logged in (server/page_cache.py), through the real app.

Each test that needs it proves first that an answer really comes from the cache: a change
written straight to the database, without a domain event, is not seen by the next visitor.
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from federation.negotiation import wants_activity_json
from server import events, page_cache
from server.models import Actor, Group, Post
from server.page_cache import CachedPages, PageCache, share_page
from server.services import posts
from server.settings import Settings
from tests.conftest import BASE_URL, CSRF_RE, csrf_from
from tests.helpers import client_for, join_as_member, log_in, make_account, make_group, make_post

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def pages_of(app: Starlette) -> PageCache:
    cache: PageCache = app.state.pages
    return cache


async def a_thread(title: str = "Limits") -> Post:
    owner = await make_account("olga")
    group = await make_group(owner, "maths", name="Maths circle")
    return await make_post(owner, group, title=title, body="Why #limits")


async def retitle_without_event(post: Post, title: str) -> None:
    """The thread and its group renamed straight in the database: no event empties the cache."""
    await Post.filter(id=post.id).update(title=title)
    group = await Group.get(id=post.group_id)
    await Actor.filter(id=group.actor_id).update(display_name=f"{title} circle")


async def test_page_cache__the_next_visitor_gets_the_kept_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a thread a visitor read, with its group page, the front page and its tag page
    post = await a_thread()
    paths = ["/", "/g/maths", f"/p/{post.id}", "/tags/limits"]
    first = {path: await client.get(path) for path in paths}
    # When its title changes without any domain event
    await retitle_without_event(post, "Renamed quietly")
    # Then the next visitors get the pages as they were, with the same ETag
    for path in paths:
        again = await client.get(path)
        assert again.status_code == 200, path
        assert "Renamed quietly" not in again.text, path
        assert again.content == first[path].content, path
        assert again.headers["etag"] == first[path].headers["etag"], path
    assert len(pages_of(app)) == len(paths)
    # And If-None-Match naming that ETag is answered 304 without a body
    unchanged = await client.get(
        "/g/maths", headers={"If-None-Match": first["/g/maths"].headers["etag"]}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    # And a HEAD is answered from it too, without a body
    head = await client.head(f"/p/{post.id}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first[f"/p/{post.id}"].content))


async def test_page_cache__the_query_string_and_accept_are_part_of_the_key(
    client: httpx.AsyncClient,
) -> None:
    # Given a group page and its outbox page read by a visitor and a peer
    post = await a_thread()
    html = await client.get("/g/maths")
    outbox = await client.get(
        "/g/maths/outbox?page=true", headers={"Accept": "application/activity+json"}
    )
    assert outbox.status_code == 200 and post.id in outbox.text
    # When the questions-only list and the outbox summary are asked for
    questions = await client.get("/g/maths?kind=question")
    summary = await client.get("/g/maths/outbox", headers={"Accept": "application/activity+json"})
    # Then each is its own page
    assert "Limits" in html.text and "Limits" not in questions.text
    assert summary.json()["type"] == "OrderedCollection"
    # And the same URL asked for as ActivityStreams is the group's actor, not its page
    actor = await client.get("/g/maths", headers={"Accept": "application/activity+json"})
    assert actor.json()["type"] == "Group"
    assert "Accept" in (await client.get("/g/maths")).headers["vary"]


async def test_page_cache__a_logged_in_member_never_gets_it_nor_fills_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a thread whose page a visitor got (kept)
    post = await a_thread()
    await client.get(f"/p/{post.id}")
    assert len(pages_of(app)) == 1
    # When a member logs in and the title changes without any event
    await make_account("ada")
    await log_in(client, "ada")
    await retitle_without_event(post, "Renamed quietly")
    # Then the member sees the change on every page, and their pages are not kept
    for path in ("/", "/g/maths", f"/p/{post.id}", "/tags/limits", "/g/maths/outbox?page=true"):
        page = await client.get(path)
        assert "Renamed quietly" in page.text, path
    assert len(pages_of(app)) == 1
    # And another visitor still gets the kept page, never the member's
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as visitor:
        page = await visitor.get(f"/p/{post.id}")
    assert "Limits" in page.text and "Log out" not in page.text


async def test_page_cache__a_domain_event_empties_it_at_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a thread page and a group page a visitor got (kept)
    post = await a_thread()
    await client.get(f"/p/{post.id}")
    await client.get("/g/maths")
    assert len(pages_of(app)) == 2
    # When its author edits it (the posts service publishes PostEdited)
    author = await post.author
    account = await author.account
    await posts.edit_post(account, post, title="Limits, edited", source="New text")
    # Then the cache is empty and the next visitor sees the edit
    assert len(pages_of(app)) == 0
    assert "Limits, edited" in (await client.get(f"/p/{post.id}")).text
    assert "Limits, edited" in (await client.get("/g/maths")).text


async def test_page_cache__members_only_content_never_enters_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a members-only group with a thread, and a member
    owner = await make_account("olga")
    group = await make_group(owner, "inner", visibility="members")
    post = await make_post(owner, group, title="Secret plans")
    member = await make_account("ada")
    await join_as_member(group, member)
    # When a visitor asks first, then the member reads the pages
    assert (await client.get("/g/inner")).status_code == 403
    assert (await client.get(f"/p/{post.id}")).status_code == 403
    await log_in(client, "ada")
    for path in ("/g/inner", f"/p/{post.id}"):
        page = await client.get(path)
        assert page.status_code == 200 and "Secret plans" in page.text
    # Then nothing was kept, and a visitor is still refused without a word of it
    assert len(pages_of(app)) == 0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as visitor:
        for path in ("/g/inner", f"/p/{post.id}"):
            page = await visitor.get(path)
            assert page.status_code == 403 and "Secret plans" not in page.text


async def test_page_cache__a_kept_page_holds_no_csrf_token_and_forms_work_after_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a thread page a visitor got twice (the second from the cache), and a member
    post = await a_thread()
    await join_as_member(await Group.get(id=post.group_id), await make_account("ada"))
    first = await client.get(f"/p/{post.id}")
    second = await client.get(f"/p/{post.id}")
    assert second.content == first.content and len(pages_of(app)) == 1
    # Then it holds no CSRF token and set no cookie
    assert not CSRF_RE.search(second.text) and "set-cookie" not in second.headers
    # And its search form works
    assert (await client.get("/search", params={"q": "limits"})).status_code == 200
    # And the visitor who logs in from it gets their own page, whose reply form posts fine
    await log_in(client, "ada")
    mine = await client.get(f"/p/{post.id}")
    reply = await client.post(
        f"/p/{post.id}/reply", data={"body": "I see", "csrf_token": csrf_from(mine.text)}
    )
    assert reply.status_code == 303


async def test_page_cache__a_thread_served_from_it_still_counts_each_view(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a thread page kept after a first reader
    post = await a_thread()
    views = app.state.web.views
    await client.get(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    # When two more people read it from the cache, and a crawler and a HEAD come by
    await client.get(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    await client.get(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    await client.get(f"/p/{post.id}", headers={"User-Agent": "Googlebot/2.1"})
    await client.head(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    # Then the three people are counted, the others not
    assert len(pages_of(app)) == 1
    assert views.pending == 3


async def test_page_cache__zero_seconds_turns_it_off(settings: Settings, database: None) -> None:
    # Given an instance whose page cache is off
    post = await a_thread()
    async with client_for(settings.model_copy(update={"page_cache_seconds": 0})) as client:
        await client.get(f"/p/{post.id}")
        # When the title changes without any event
        await retitle_without_event(post, "Renamed quietly")
        # Then the next visitor sees it, and no page carries the cache's ETag
        page = await client.get(f"/p/{post.id}")
    assert "Renamed quietly" in page.text
    assert "etag" not in page.headers


async def test_page_cache__an_instance_settings_change_empties_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a front page a visitor got (kept)
    await a_thread()
    await client.get("/")
    assert len(pages_of(app)) == 1
    # When an admin renames the instance
    from server.services import instance

    admin = await make_account("admin1", admin=True)
    config = await instance.get_config()
    await instance.update_settings(
        await admin.actor,
        instance.InstanceSettings(name="Study hall", description=config.description),
    )
    # Then the next visitor sees the new name
    assert len(pages_of(app)) == 0
    assert "Study hall" in (await client.get("/")).text


def test_page_cache__every_domain_event_is_classified() -> None:
    # Every event either empties the cache or is listed as changing nothing a visitor sees,
    # so that a new event must be placed on purpose
    every = set(page_cache._all_events())
    assert every == set(page_cache.CHANGES) | set(page_cache.UNSEEN)
    assert not set(page_cache.CHANGES) & set(page_cache.UNSEEN)
    assert {events.PostCreated, events.GroupUpdated, events.InstanceUpdated} <= set(
        page_cache.CHANGES
    )


# --- the middleware on its own: a small app -------------------------------------------------


def small_app(cache: PageCache, counts: dict[str, int], gate: asyncio.Event) -> Starlette:
    async def shared(request: Request) -> Response:
        counts["shared"] = counts.get("shared", 0) + 1
        share_page(request)
        await gate.wait()  # the test decides when the rendering ends
        return PlainTextResponse(f"rendering {counts['shared']}")

    async def with_form(request: Request) -> Response:
        # A shared page that mints a CSRF token into the visitor's session (a mistake)
        share_page(request)
        token = request.session.setdefault("csrf", secrets.token_urlsafe(16))
        return HTMLResponse(f'<input type="hidden" name="csrf_token" value="{token}">')

    async def post_form(request: Request) -> Response:
        form = await request.form()
        ok = form.get("csrf_token") == request.session.get("csrf")
        return PlainTextResponse("ok" if ok else "refused", status_code=200 if ok else 403)

    async def not_found(request: Request) -> Response:
        share_page(request)
        return PlainTextResponse("missing", status_code=404)

    return Starlette(
        routes=[
            Route("/shared", shared),
            Route("/form", with_form),
            Route("/post", post_form, methods=["POST"]),
            Route("/missing", not_found),
        ],
        middleware=[
            Middleware(CachedPages, cache=cache, wants_as2=wants_activity_json),
            Middleware(SessionMiddleware, secret_key="x" * 32, session_cookie="lyceum_session"),
        ],
    )


def small_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://small")


def open_gate() -> asyncio.Event:
    gate = asyncio.Event()
    gate.set()
    return gate


async def test_page_cache__a_page_that_sets_a_cookie_is_never_kept() -> None:
    # Given a shared page whose rendering puts a CSRF token in a new session cookie
    cache = PageCache(10)
    app = small_app(cache, {}, open_gate())
    async with small_client(app) as first, small_client(app) as second:
        a = await first.get("/form")
        b = await second.get("/form")
        # Then it was not kept: each visitor got their own token, and their form posts fine
        assert len(cache) == 0
        assert csrf_from(a.text) != csrf_from(b.text)
        posted = await second.post("/post", data={"csrf_token": csrf_from(b.text)})
        assert posted.status_code == 200


async def test_page_cache__only_200s_are_kept() -> None:
    cache = PageCache(10)
    async with small_client(small_app(cache, {}, open_gate())) as client:
        assert (await client.get("/missing")).status_code == 404
        assert (await client.get("/shared")).status_code == 200
    assert [key[0] for key in cache._pages] == ["/shared"]


async def test_page_cache__requests_for_a_page_being_rendered_wait_for_that_rendering() -> None:
    # Given a page kept once, then emptied out by a change
    counts: dict[str, int] = {}
    gate = asyncio.Event()
    cache = PageCache(10)
    async with small_client(small_app(cache, counts, gate)) as client:
        gate.set()
        await client.get("/shared")
        await page_cache.forget_pages(events.InstanceUpdated())
        gate.clear()
        # When eight visitors ask for it while its new rendering is under way
        asked = [asyncio.create_task(client.get("/shared")) for _ in range(8)]
        for _ in range(1000):  # every request reaches the app (a yield, not a wait)
            await asyncio.sleep(0)
        gate.set()
        answers = await asyncio.gather(*asked)
    # Then it was rendered once more, and all of them got that rendering
    assert counts["shared"] == 2
    assert {answer.text for answer in answers} == {"rendering 2"}


async def test_page_cache__bounded_by_entries_and_bytes() -> None:
    # Least recently kept out first past the number of pages
    cache = PageCache(10, max_entries=3)
    async with small_client(small_app(cache, {}, open_gate())) as client:
        for number in range(5):
            await client.get(f"/shared?n={number}")
    assert [key[1] for key in cache._pages] == [b"n=2", b"n=3", b"n=4"]
    # And past the bytes of the bodies ("rendering N" is 11 bytes); a larger page is not kept
    cache = PageCache(10, max_bytes=25)
    async with small_client(small_app(cache, {}, open_gate())) as client:
        for number in range(5):
            await client.get(f"/shared?n={number}")
    assert len(cache) == 2 and cache.size == 22
    cache = PageCache(10, max_page_bytes=10)
    async with small_client(small_app(cache, {}, open_gate())) as client:
        await client.get("/shared")
    assert len(cache) == 0
