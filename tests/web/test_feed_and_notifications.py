"""The home feed, the notifications page and hashtag pages."""

from __future__ import annotations

import httpx

from server.models import Actor, JoinPolicy, Membership, Notification
from server.services import groups, posts
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post
from tests.helpers import make_reply as reply_to


async def test_home__needs_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/home")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/home"


async def test_home__empty_state_points_to_groups(client: httpx.AsyncClient) -> None:
    await make_account("loner")
    await log_in(client, "loner")
    response = await client.get("/home")
    assert response.status_code == 200
    assert "Nothing here yet" in response.text and 'href="/groups"' in response.text


async def test_home__shows_threads_of_the_members_groups_only(client: httpx.AsyncClient) -> None:
    # Given a member of one group, and another group they did not join
    owner = await make_account("teacher")
    mine = await make_group(owner, "rustlings", name="Rustlings")
    other = await make_group(owner, "gophers")
    student = await make_account("student")
    await join_as_member(mine, student)
    await make_post(owner, mine, title="In my group", body="Some **preview** text")
    await make_post(owner, other, title="Not my group")
    # When they open their home feed
    await log_in(client, "student")
    response = await client.get("/home")
    # Then only their group's thread shows, with its group and a plain-text preview
    assert "In my group" in response.text and "Not my group" not in response.text
    assert 'href="/g/rustlings">Rustlings</a>' in response.text
    assert "Some preview text" in response.text


async def test_home__an_edited_thread_shows_its_new_preview(client: httpx.AsyncClient) -> None:
    # Given a member who saw a thread on their home page (its preview is kept)
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    post = await make_post(owner, group, title="Week one", body="Read chapter one")
    await log_in(client, "student")
    assert "Read chapter one" in (await client.get("/home")).text
    # When its author edits it
    await posts.edit_post(owner, post, title="Week one", source="Read chapter two")
    # Then the home page shows the new text
    response = await client.get("/home")
    assert "Read chapter two" in response.text and "Read chapter one" not in response.text


async def test_notifications__lists_a_reply_and_marks_all_read(client: httpx.AsyncClient) -> None:
    # Given a reply to the owner's thread
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student", display_name="Stu Dent")
    await join_as_member(group, student)
    reply = await reply_to(student, await make_post(owner, group))
    # When the owner opens their notifications
    await log_in(client, "teacher")
    response = await client.get("/notifications")
    # Then the reply is listed as new, with a link that opens it
    note = await Notification.get(post_id=reply.id)
    assert response.status_code == 200
    assert "Stu Dent" in response.text and f'href="/notifications/{note.id}"' in response.text
    assert "1 new" in response.text
    # When they mark all as read, Then nothing is unread any more
    marked = await client.post(
        "/notifications/read", data={"csrf_token": await csrf(client, "/notifications")}
    )
    assert marked.status_code == 303
    assert await Notification.filter(read_at__isnull=True).count() == 0
    assert "1 new" not in (await client.get("/notifications")).text


async def test_notifications__mark_read_without_csrf_is_403(client: httpx.AsyncClient) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    student = await make_account("student")
    await join_as_member(group, student)
    await reply_to(student, await make_post(owner, group))
    await log_in(client, "teacher")
    response = await client.post("/notifications/read", data={"x": "1"})
    assert response.status_code == 403
    assert await Notification.filter(read_at__isnull=True).count() == 1


async def test_notifications__join_decision_is_shown(client: httpx.AsyncClient) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings", name="Rustlings", join_policy=JoinPolicy.APPROVAL)
    student = await make_account("student")
    await join_as_member(group, student)
    membership = await Membership.get(group=group, actor_id=student.actor_id)
    await groups.decide_membership(membership, await Actor.get(id=owner.actor_id), accept=True)
    await log_in(client, "student")
    response = await client.get("/notifications")
    assert "Your request to join" in response.text and "was accepted" in response.text


async def test_notifications__empty_state_and_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/notifications")).status_code == 303
    await make_account("loner")
    await log_in(client, "loner")
    response = await client.get("/notifications")
    assert response.status_code == 200 and "No notifications yet" in response.text


async def test_tag_page__lists_tagged_posts_and_replies(client: httpx.AsyncClient) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    post = await make_post(owner, group, title="Tagged thread", body="About #Async")
    reply = await reply_to(owner, post, "More on #async")
    await make_post(owner, group, title="Untagged")
    response = await client.get("/tags/async")
    assert response.status_code == 200
    assert "Tagged thread" in response.text and f'href="/p/{reply.id}"' in response.text
    assert "Untagged" not in response.text


async def test_tag_page__unknown_tag_is_an_empty_page_and_bad_tag_404(
    client: httpx.AsyncClient,
) -> None:
    empty = await client.get("/tags/nothing")
    assert empty.status_code == 200 and "No posts are tagged #nothing yet" in empty.text
    assert (await client.get("/tags/not%20a%20tag")).status_code == 404
