"""Moderating a group's posts on the web (web/routes/group_moderation.py): the hub, removing and
restoring, the hold queue, pins, and the setting that holds first posts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from server.models import Account, AuditEntry, Group, Post, PostState
from server.services import audit, moderation
from tests.conftest import BASE_URL
from tests.helpers import (
    csrf,
    join_as_member,
    log_in,
    make_account,
    make_group,
    make_post,
    make_reply,
)
from web.forms import clean_text


@dataclass
class World:
    owner: Account
    member: Account
    group: Group
    post: Post


@pytest.fixture
async def world(database: None, monkeypatch: pytest.MonkeyPatch) -> World:
    """A group `physics` owned by olga, with ben, a member, who wrote a thread."""
    owner = await make_account("olga")
    member = await make_account("ben")
    group = await make_group(owner, "physics")
    await join_as_member(group, member)
    post = await make_post(member, group, title="Ben's thread")
    return World(owner, member, group, post)


@asynccontextmanager
async def client_as(app: Starlette, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        await log_in(client, username)
        yield client


@pytest.fixture
async def moderator(app: Starlette, world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with client_as(app, "olga") as client:
        yield client


@pytest.fixture
async def member(app: Starlette, world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with client_as(app, "ben") as client:
        yield client


async def post_form(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    """A form with the session's CSRF token (from the home page, or the log-in page when
    logged out)."""
    token = await csrf(client, "/" if client.cookies else "/login")
    return await client.post(path, data={**fields, "csrf_token": token})


async def state_of(post: Post) -> PostState:
    return (await Post.get(id=post.id)).state


# --- removing and restoring ----------------------------------------------------------------


async def test_remove__moderator_removes_with_reason_and_the_post_leaves_the_pages(
    world: World, moderator: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # Given the thread page, with a Remove control for the moderator
    page = await moderator.get(f"/p/{world.post.id}")
    assert f'action="/p/{world.post.id}/remove"' in page.text
    assert f'<label for="remove-reason-{world.post.id}">' in page.text
    # When she removes it with a reason
    response = await post_form(moderator, f"/p/{world.post.id}/remove", reason="Off topic")
    # Then she is sent to the group, the post is removed and the log says why
    assert response.status_code == 303 and response.headers["location"] == "/g/physics"
    assert await state_of(world.post) == PostState.REMOVED
    entry = await AuditEntry.get(action="post.remove")
    assert (entry.reason, entry.target_id) == ("Off topic", world.post.id)
    # And visitors no longer find it, while the hub lists it with a Restore button
    assert (await client.get(f"/p/{world.post.id}")).status_code == 404
    assert "Ben&#39;s thread" not in (await client.get("/g/physics")).text
    hub = await moderator.get("/g/physics/moderation")
    assert f'action="/p/{world.post.id}/restore"' in hub.text and "Off topic" in hub.text


async def test_remove__a_reply_goes_back_to_its_thread(
    world: World, moderator: httpx.AsyncClient
) -> None:
    reply = await make_reply(world.member, world.post, "Spam reply")
    response = await post_form(moderator, f"/p/{reply.id}/remove")
    assert response.headers["location"] == f"/p/{world.post.id}"
    page = await moderator.get(f"/p/{world.post.id}")
    assert "Spam reply" not in page.text
    assert await state_of(reply) == PostState.REMOVED


async def test_remove__members_get_403_and_see_no_control(
    world: World, member: httpx.AsyncClient
) -> None:
    other = await make_post(world.owner, world.group, title="Olga's")
    page = await member.get(f"/p/{other.id}")
    assert "/remove" not in page.text
    response = await post_form(member, f"/p/{other.id}/remove", reason="mine")
    assert response.status_code == 403
    assert await state_of(other) == PostState.PUBLISHED
    assert await AuditEntry.all().count() == 0


async def test_remove__without_csrf_is_refused_and_changes_nothing(
    world: World, moderator: httpx.AsyncClient
) -> None:
    response = await moderator.post(f"/p/{world.post.id}/remove", data={"reason": "x"})
    assert response.status_code == 403
    assert await state_of(world.post) == PostState.PUBLISHED


async def test_remove__anonymous_is_sent_to_log_in(world: World, client: httpx.AsyncClient) -> None:
    response = await post_form(client, f"/p/{world.post.id}/remove")
    assert response.status_code in (303, 403)
    assert await state_of(world.post) == PostState.PUBLISHED


async def test_remove__too_long_reason_is_422_with_the_error_inline(
    world: World, moderator: httpx.AsyncClient
) -> None:
    reason = "x" * (audit.REASON_MAX_CHARS + 1)
    response = await post_form(moderator, f"/p/{world.post.id}/remove", reason=reason)
    assert response.status_code == 422
    assert "Keep the reason under" in response.text
    assert 'aria-invalid="true"' in response.text
    assert response.text.count("<h1") == 1
    assert await state_of(world.post) == PostState.PUBLISHED


async def test_restore__moderator_puts_it_back(world: World, moderator: httpx.AsyncClient) -> None:
    await moderation.remove_post(world.owner.actor, world.post)
    response = await post_form(moderator, f"/p/{world.post.id}/restore")
    assert response.status_code == 303
    assert response.headers["location"] == "/g/physics/moderation"
    assert await state_of(world.post) == PostState.PUBLISHED


async def test_restore__members_get_403(world: World, member: httpx.AsyncClient) -> None:
    await moderation.remove_post(world.owner.actor, world.post)
    response = await post_form(member, f"/p/{world.post.id}/restore")
    assert response.status_code == 403
    assert await state_of(world.post) == PostState.REMOVED


async def test_restore__a_published_post_is_409(world: World, moderator: httpx.AsyncClient) -> None:
    response = await post_form(moderator, f"/p/{world.post.id}/restore")
    assert response.status_code == 409
    assert await AuditEntry.all().count() == 0


# --- the hub -------------------------------------------------------------------------------


async def test_hub__only_for_moderators_and_admins(
    app: Starlette, world: World, member: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    assert (await member.get("/g/physics/moderation")).status_code == 403
    anonymous = await client.get("/g/physics/moderation")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await make_account("rita", admin=True)
    async with client_as(app, "rita") as admin:
        page = await admin.get("/g/physics/moderation")
    assert page.status_code == 200
    assert "No post is waiting." in page.text and "No post has been removed." in page.text


async def test_hub__tab_only_for_moderators(
    world: World, moderator: httpx.AsyncClient, member: httpx.AsyncClient
) -> None:
    assert 'href="/g/physics/moderation"' in (await moderator.get("/g/physics")).text
    assert 'href="/g/physics/moderation"' not in (await member.get("/g/physics")).text


# --- holding posts -------------------------------------------------------------------------


async def test_hold__a_first_post_waits_seen_by_its_author_alone(
    app: Starlette, world: World, moderator: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # Given the group holds first posts, and a newcomer joins
    await Group.filter(id=world.group.id).update(hold_first_posts=True)
    newcomer = await make_account("cleo")
    await join_as_member(world.group, newcomer)
    async with client_as(app, "cleo") as cleo:
        # When she writes her first post
        response = await post_form(
            cleo, "/g/physics/new", kind="discussion", title="Hello all", body="Hi!"
        )
        assert response.status_code == 303
        post_path = response.headers["location"]
        # Then she sees it with a notice that it waits
        mine = await cleo.get(post_path)
        assert mine.status_code == 200
        assert "Your post waits for a moderator" in mine.text and "Hi!" in mine.text
        assert "Hello all" not in (await cleo.get("/g/physics")).text
    # And no one else finds it, while the moderators' tab counts it
    assert (await client.get(post_path)).status_code == 404
    assert (await moderator.get(post_path)).status_code == 404
    header = (await moderator.get("/g/physics")).text
    assert 'Moderation <span class="badge">1' in header
    hub = await moderator.get("/g/physics/moderation")
    assert "First post in this group" in hub.text and "Hello all" in hub.text


async def test_hold__a_new_accounts_link_waits(app: Starlette, world: World) -> None:
    # (The instance keeps new_account_link_days at its default of 7; ben signed up just now.)
    async with client_as(app, "ben") as ben:
        response = await post_form(ben, f"/p/{world.post.id}/reply", body="https://spam.example")
        assert response.status_code == 303
        page = await ben.get(f"/p/{world.post.id}")
        assert "Your reply waits for a moderator" in page.text
    reply = await Post.get(parent_id=world.post.id)
    assert (reply.state, reply.held_reason) == (PostState.HELD, "new_account_links")


async def test_approve__publishes_the_held_post(
    world: World, moderator: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await Group.filter(id=world.group.id).update(hold_first_posts=True)
    newcomer = await make_account("cleo")
    await join_as_member(world.group, newcomer)
    held = await make_post(newcomer, await Group.get(id=world.group.id), title="Cleo's")
    hub = await moderator.get("/g/physics/moderation")
    assert f'action="/p/{held.id}/approve"' in hub.text
    response = await post_form(moderator, f"/p/{held.id}/approve")
    assert response.status_code == 303
    assert await state_of(held) == PostState.PUBLISHED
    assert (await client.get(f"/p/{held.id}")).status_code == 200


async def test_reject__with_a_reason_and_422_for_a_bad_one(
    world: World, moderator: httpx.AsyncClient, member: httpx.AsyncClient
) -> None:
    await Group.filter(id=world.group.id).update(hold_first_posts=True)
    newcomer = await make_account("cleo")
    await join_as_member(world.group, newcomer)
    held = await make_post(newcomer, await Group.get(id=world.group.id))
    # A member may not
    assert (await post_form(member, f"/p/{held.id}/reject")).status_code == 403
    assert (await post_form(member, f"/p/{held.id}/approve")).status_code == 403
    # A reason too long shows the hub again, with the error next to that post's field
    too_long = "y" * (audit.REASON_MAX_CHARS + 1)
    response = await post_form(moderator, f"/p/{held.id}/reject", reason=too_long)
    assert response.status_code == 422
    assert f'id="reject-error-{held.id}"' in response.text
    assert await state_of(held) == PostState.HELD
    # A fine one rejects it
    response = await post_form(moderator, f"/p/{held.id}/reject", reason="Not for here")
    assert response.status_code == 303
    assert await state_of(held) == PostState.REMOVED
    assert (await AuditEntry.get(action="post.reject")).reason == "Not for here"


async def test_settings__moderators_turn_holding_on_and_off(
    world: World, moderator: httpx.AsyncClient
) -> None:
    page = await moderator.get("/g/physics/settings")
    assert 'name="hold_first_posts"' in page.text
    fields = {"name": "Physics", "join_policy": "open", "posting_policy": "members"}
    response = await post_form(moderator, "/g/physics/settings", **fields, hold_first_posts="y")
    assert response.status_code == 303
    assert (await Group.get(id=world.group.id)).hold_first_posts
    await post_form(moderator, "/g/physics/settings", **fields)
    assert not (await Group.get(id=world.group.id)).hold_first_posts


# --- pins ----------------------------------------------------------------------------------


async def test_pin__a_discussion_comes_first_on_the_group_page(
    world: World, moderator: httpx.AsyncClient, member: httpx.AsyncClient
) -> None:
    newer = await make_post(world.owner, world.group, title="Newer thread")
    page = (await moderator.get("/g/physics")).text
    assert page.index("Newer thread") < page.index("Ben&#39;s thread")
    assert f'action="/p/{world.post.id}/pin"' in (await moderator.get(f"/p/{world.post.id}")).text
    assert (await post_form(member, f"/p/{world.post.id}/pin")).status_code == 403
    response = await post_form(moderator, f"/p/{world.post.id}/pin")
    assert response.status_code == 303 and response.headers["location"] == "/g/physics"
    page = (await moderator.get("/g/physics")).text
    assert page.index("Ben&#39;s thread") < page.index("Newer thread")
    assert page.count(f'href="/p/{world.post.id}"') == 1
    assert page.count(f'href="/p/{newer.id}"') == 1


# --- arbitrary input -----------------------------------------------------------------------


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reason=st.text(max_size=2100), extra=st.text(max_size=40))
async def test_remove__arbitrary_reasons_never_fail_and_refusals_change_nothing(
    world: World, moderator: httpx.AsyncClient, member: httpx.AsyncClient, reason: str, extra: str
) -> None:
    path = f"/p/{world.post.id}/remove"
    entries = await AuditEntry.all().count()
    # A member's form is refused whatever it says, and changes nothing
    refused = await post_form(member, path, reason=reason, extra=extra)
    assert refused.status_code == 403
    assert await state_of(world.post) == PostState.PUBLISHED
    # A moderator's is taken, or shown again with an error; never a server error
    response = await post_form(moderator, path, reason=reason, extra=extra)
    assert response.status_code in (303, 422), response.text
    stored = await Post.get(id=world.post.id)
    if response.status_code == 303:
        assert stored.state == PostState.REMOVED
        assert stored.removal_reason == clean_text(reason).replace("\r\n", "\n").strip()
        await moderation.restore_post(world.owner.actor, stored)
    else:
        assert stored.state == PostState.PUBLISHED
        assert await AuditEntry.all().count() == entries
