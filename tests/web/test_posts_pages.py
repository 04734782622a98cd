"""The posts pages: a group's thread list, writing a post, the thread page and post actions."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from server.models import Account, Group, Post, PostState, Reaction
from tests.conftest import csrf_from
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post
from tests.helpers import make_reply as reply_to


async def a_group(owner_name: str = "teacher", handle: str = "rustlings") -> tuple[Account, Group]:
    owner = await make_account(owner_name)
    return owner, await make_group(owner, handle)


# --- the thread list -----------------------------------------------------------------------


async def test_thread_list__empty_group_invites_the_first_post(client: httpx.AsyncClient) -> None:
    # Given a group without posts and its logged-in owner
    await a_group()
    await log_in(client, "teacher")
    # When the owner opens the group
    response = await client.get("/g/rustlings")
    # Then the page invites the first post
    assert response.status_code == 200
    assert "Nothing has been posted here yet." in response.text
    assert 'href="/g/rustlings/new"' in response.text


async def test_thread_list__shows_threads_to_visitors_with_their_details(
    client: httpx.AsyncClient,
) -> None:
    # Given a question with a reply
    owner, group = await a_group()
    question = await make_post(owner, group, kind="question", title="Borrow checker?")
    await reply_to(owner, question)
    # When a visitor (logged out) opens the group
    response = await client.get("/g/rustlings")
    # Then the thread is listed with its kind, author, reply count and permalink
    assert response.status_code == 200
    assert f'href="/p/{question.id}"' in response.text
    assert "Borrow checker?" in response.text
    assert "Question</span>" in response.text
    assert "1 reply" in response.text
    assert 'href="/u/teacher"' in response.text


async def test_thread_list__older_link_pages_through(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given three threads and pages of two
    app.state.web.settings = app.state.web.settings.model_copy(update={"page_size": 2})
    owner, group = await a_group()
    for number in range(3):
        await make_post(owner, group, title=f"Thread number {number}")
    # When a visitor follows the "Older" link
    first = await client.get("/g/rustlings")
    assert "Older" in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = await client.get(older.replace("&amp;", "&"))
    # Then together the pages show every thread once, and the last has no "Older" link
    titles = [f"Thread number {n}" for n in range(3)]
    shown = [t for t in titles if t in first.text] + [t for t in titles if t in second.text]
    assert sorted(shown) == titles
    assert second.status_code == 200 and 'rel="next"' not in second.text


async def test_thread_list__bad_filter_or_cursor_is_400(client: httpx.AsyncClient) -> None:
    await a_group()
    assert (await client.get("/g/rustlings?kind=poll")).status_code == 400
    assert (await client.get("/g/rustlings?unanswered=yes")).status_code == 400
    assert (await client.get("/g/rustlings?cursor=%%%")).status_code == 400


async def test_thread_list__unknown_group_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/g/nosuchgroup")).status_code == 404


# --- writing a post ------------------------------------------------------------------------


async def test_new_post__member_posts_and_lands_on_the_thread(client: httpx.AsyncClient) -> None:
    # Given a logged-in member on the new-post form
    await a_group()
    await log_in(client, "teacher")
    token = await csrf(client, "/g/rustlings/new")
    # When they post a discussion in Markdown
    response = await client.post(
        "/g/rustlings/new",
        data={
            "csrf_token": token,
            "kind": "discussion",
            "title": "Week 1",
            "body": "**Welcome** <script>alert(1)</script> #intro",
            "link_url": "",
        },
    )
    # Then they are sent to its permalink, which shows it rendered and sanitised
    assert response.status_code == 303
    post = await Post.get(title="Week 1")
    assert response.headers["location"] == f"/p/{post.id}"
    page = await client.get(f"/p/{post.id}")
    assert "<strong>Welcome</strong>" in page.text
    assert "<script>alert(1)" not in page.text
    assert 'href="/tags/intro"' in page.text


async def test_new_post__bad_input_is_422_inline_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Given a logged-in member
    await a_group()
    await log_in(client, "teacher")
    token = await csrf(client, "/g/rustlings/new")
    # When they post without a title
    response = await client.post(
        "/g/rustlings/new",
        data={"csrf_token": token, "kind": "discussion", "title": " ", "body": "Text"},
    )
    # Then the form comes back with the error beside the field, keeping what they wrote
    assert response.status_code == 422
    assert "Give the post a title." in response.text
    assert 'aria-invalid="true"' in response.text
    assert "Text</textarea>" in response.text
    assert await Post.all().count() == 0


async def test_new_post__non_member_is_403_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    # Given a logged-in person who has not joined
    await a_group()
    await make_account("outsider")
    await log_in(client, "outsider")
    token = await csrf(client, "/g/rustlings")
    # When they open the form or post anyway
    form = await client.get("/g/rustlings/new")
    response = await client.post(
        "/g/rustlings/new",
        data={"csrf_token": token, "kind": "discussion", "title": "Hi", "body": "x"},
    )
    # Then both are refused and nothing is stored
    assert form.status_code == 403
    assert response.status_code == 403
    assert await Post.all().count() == 0


async def test_new_post__without_csrf_is_403_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    await a_group()
    await log_in(client, "teacher")
    response = await client.post(
        "/g/rustlings/new", data={"kind": "discussion", "title": "Hi", "body": "x"}
    )
    assert response.status_code == 403
    assert await Post.all().count() == 0


async def test_new_post__logged_out_goes_to_login(client: httpx.AsyncClient) -> None:
    await a_group()
    response = await client.get("/g/rustlings/new")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_new_post__rate_limit_is_429_and_stores_nothing_more(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Given a limit of one post a minute and a member who just posted
    app.state.web.settings = app.state.web.settings.model_copy(
        update={"post_rate_limit": "1/minute"}
    )
    await a_group()
    await log_in(client, "teacher")
    token = await csrf(client, "/g/rustlings/new")
    data = {"csrf_token": token, "kind": "discussion", "title": "One", "body": "x"}
    assert (await client.post("/g/rustlings/new", data=data)).status_code == 303
    # When they post again at once
    response = await client.post("/g/rustlings/new", data={**data, "title": "Two"})
    # Then it is refused with 429 and a Retry-After, and only the first post exists
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert await Post.all().count() == 1


# --- the thread page -----------------------------------------------------------------------


async def test_permalink__shows_nested_replies_with_anchors(client: httpx.AsyncClient) -> None:
    # Given a thread with a reply and a reply to that reply
    owner, group = await a_group()
    root = await make_post(owner, group, title="Lifetimes")
    first = await reply_to(owner, root, "First answer")
    nested = await reply_to(owner, first, "Nested answer")
    # When a visitor opens the nested reply's own permalink
    response = await client.get(f"/p/{nested.id}")
    # Then it is shown in its thread, nested under its parent, with anchors
    assert response.status_code == 200
    assert "Lifetimes" in response.text
    text = response.text[response.text.index("<main") :]  # the <head> previews the reply
    assert f'id="{first.id}"' in text and f'id="{nested.id}"' in text
    assert text.index("First answer") < text.index("Nested answer")
    assert text.count('<ol class="replies') == 2
    assert "highlighted" in text
    # And a visitor gets no reply form but an invitation to log in
    assert "/reply" not in text and "Log in</a> and join the group to reply" in text


async def test_permalink__unknown_post_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/p/01hzzzzzzzzzzzzzzzzzzzzzzz")).status_code == 404
    assert (await client.get("/p/not-an-id")).status_code == 404


async def test_reply__member_replies_and_lands_on_the_anchor(client: httpx.AsyncClient) -> None:
    # Given a thread and a member
    owner, group = await a_group()
    root = await make_post(owner, group)
    await log_in(client, "teacher")
    token = await csrf(client, f"/p/{root.id}")
    # When they reply
    response = await client.post(
        f"/p/{root.id}/reply", data={"csrf_token": token, "body": "Thanks @teacher"}
    )
    # Then they land on the reply's anchor and the reply is stored in the thread
    reply = await Post.get(root_id=root.id)
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{root.id}#{reply.id}"
    page = await client.get(f"/p/{root.id}")
    assert "Thanks" in page.text and 'href="/u/teacher"' in page.text


async def test_reply__empty_is_422_inline_and_non_member_403(client: httpx.AsyncClient) -> None:
    # Given a thread
    owner, group = await a_group()
    root = await make_post(owner, group)
    await log_in(client, "teacher")
    token = await csrf(client, f"/p/{root.id}")
    # When the member sends an empty reply, Then the page comes back with the error
    response = await client.post(f"/p/{root.id}/reply", data={"csrf_token": token, "body": " "})
    assert response.status_code == 422
    assert "Write something first." in response.text
    # When an outsider replies, Then it is refused
    await make_account("outsider")
    client.cookies.clear()
    await log_in(client, "outsider")
    token = await csrf(client, f"/p/{root.id}")
    refused = await client.post(f"/p/{root.id}/reply", data={"csrf_token": token, "body": "Hi"})
    assert refused.status_code == 403
    # And no reply was stored either way
    assert await Post.filter(root_id=root.id).count() == 0


async def test_edit__author_edits_and_post_is_marked_edited(client: httpx.AsyncClient) -> None:
    owner, group = await a_group()
    post = await make_post(owner, group, title="Old", body="Old text")
    await log_in(client, "teacher")
    form = await client.get(f"/p/{post.id}/edit")
    assert form.status_code == 200 and "Old text</textarea>" in form.text
    token = await csrf(client, f"/p/{post.id}/edit")
    response = await client.post(
        f"/p/{post.id}/edit", data={"csrf_token": token, "title": "New", "body": "New text"}
    )
    assert response.status_code == 303
    page = await client.get(f"/p/{post.id}")
    assert "New text" in page.text and 'class="edited"' in page.text


async def test_edit__others_get_403_and_bad_input_422(client: httpx.AsyncClient) -> None:
    owner, group = await a_group()
    post = await make_post(owner, group, title="Keep", body="Keep")
    other = await make_account("other")
    await join_as_member(group, other)
    await log_in(client, "other")
    token = await csrf(client, f"/p/{post.id}")
    assert (await client.get(f"/p/{post.id}/edit")).status_code == 403
    hacked = {"csrf_token": token, "title": "Hacked", "body": "Hacked"}
    assert (await client.post(f"/p/{post.id}/edit", data=hacked)).status_code == 403
    client.cookies.clear()
    await log_in(client, "teacher")
    token = await csrf(client, f"/p/{post.id}")
    bad = await client.post(
        f"/p/{post.id}/edit", data={"csrf_token": token, "title": "", "body": "x"}
    )
    assert bad.status_code == 422
    stored = await Post.get(id=post.id)
    assert (stored.title, stored.source, stored.edited_at) == ("Keep", "Keep", None)


async def test_delete__post_is_gone_from_every_page(client: httpx.AsyncClient) -> None:
    # Given a thread with the hashtag #gone
    owner, group = await a_group()
    post = await make_post(owner, group, title="Soon gone", body="#gone")
    await log_in(client, "teacher")
    token = await csrf(client, f"/p/{post.id}")
    # When its author deletes it
    response = await client.post(f"/p/{post.id}/delete", data={"csrf_token": token})
    # Then they return to the group, and the post is on no page any more
    assert response.status_code == 303 and response.headers["location"] == "/g/rustlings"
    assert (await client.get(f"/p/{post.id}")).status_code == 404
    assert "Soon gone" not in (await client.get("/g/rustlings")).text
    assert "Soon gone" not in (await client.get("/home")).text
    assert f"/p/{post.id}" not in (await client.get("/tags/gone")).text
    assert (await Post.get(id=post.id)).state == PostState.DELETED


async def test_delete__a_deleted_reply_with_replies_shows_as_deleted(
    client: httpx.AsyncClient,
) -> None:
    owner, group = await a_group()
    root = await make_post(owner, group)
    middle = await reply_to(owner, root, "Middle words")
    await reply_to(owner, middle, "Leaf words")
    await log_in(client, "teacher")
    token = await csrf(client, f"/p/{root.id}")
    response = await client.post(f"/p/{middle.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    page = await client.get(f"/p/{root.id}")
    assert "This reply was deleted." in page.text
    assert "Middle words" not in page.text and "Leaf words" in page.text


async def test_delete__stranger_is_403_and_csrf_less_is_403(client: httpx.AsyncClient) -> None:
    owner, group = await a_group()
    post = await make_post(owner, group)
    await make_account("outsider")
    await log_in(client, "outsider")
    token = await csrf(client, f"/p/{post.id}")
    assert (
        await client.post(f"/p/{post.id}/delete", data={"csrf_token": token})
    ).status_code == 403
    assert (await client.post(f"/p/{post.id}/delete", data={"x": "1"})).status_code == 403
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED


async def test_like__member_likes_and_unlikes(client: httpx.AsyncClient) -> None:
    # Given a post and a member (not its author) on its page
    owner, group = await a_group()
    post = await make_post(owner, group)
    await join_as_member(group, await make_account("student"))
    await log_in(client, "student")
    token = await csrf(client, f"/p/{post.id}")
    # When they like it, Then the count shows and the button turns into "Liked"
    assert (await client.post(f"/p/{post.id}/like", data={"csrf_token": token})).status_code == 303
    page = await client.get(f"/p/{post.id}")
    assert "Liked · 1" in page.text and f'action="/p/{post.id}/unlike"' in page.text
    # When they unlike it, Then it is gone
    assert (
        await client.post(f"/p/{post.id}/unlike", data={"csrf_token": token})
    ).status_code == 303
    assert await Reaction.all().count() == 0
    assert "Like · 0" in (await client.get(f"/p/{post.id}")).text


async def test_like__non_member_is_403_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    owner, group = await a_group()
    post = await make_post(owner, group)
    await make_account("outsider")
    await log_in(client, "outsider")
    token = await csrf(client, f"/p/{post.id}")
    assert (await client.post(f"/p/{post.id}/like", data={"csrf_token": token})).status_code == 403
    assert await Reaction.all().count() == 0


async def test_like__own_post_is_403_with_the_reason_and_offers_no_button(
    client: httpx.AsyncClient,
) -> None:
    # Given the owner on their own post's page
    owner, group = await a_group()
    post = await make_post(owner, group)
    await log_in(client, "teacher")
    page = await client.get(f"/p/{post.id}")
    token = csrf_from(page.text)
    # Then no Like button is offered, only the count
    assert f'action="/p/{post.id}/like"' not in page.text
    # And a forged like is refused with its reason, and nothing is stored
    response = await client.post(f"/p/{post.id}/like", data={"csrf_token": token})
    assert response.status_code == 403
    assert "You cannot like your own post." in response.text
    assert await Reaction.all().count() == 0
