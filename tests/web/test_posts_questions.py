"""Questions on the web: the asker accepts an answer, others cannot, and the unanswered list."""

from __future__ import annotations

import httpx

from server.models import Post
from server.services import posts
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post
from tests.helpers import make_reply as reply_to


async def test_accept__asker_accepts_an_answer_and_it_is_marked(client: httpx.AsyncClient) -> None:
    # Given a question by a member and an answer by the owner
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    asker = await make_account("student")
    await join_as_member(group, asker)
    question = await make_post(asker, group, kind="question", title="What is a trait?")
    answer = await reply_to(owner, question, "An interface, roughly.")
    # When the asker opens the thread, Then they are offered to accept the answer
    await log_in(client, "student")
    page = await client.get(f"/p/{question.id}")
    assert f'action="/p/{answer.id}/accept"' in page.text
    assert "Accept this answer" in page.text
    # When they accept it
    response = await client.post(
        f"/p/{answer.id}/accept", data={"csrf_token": await csrf(client, f"/p/{question.id}")}
    )
    # Then it is stored and shown as the accepted answer, in the thread and in the list
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{question.id}#{answer.id}"
    assert (await Post.get(id=question.id)).accepted_answer_id == answer.id
    thread = await client.get(f"/p/{question.id}")
    assert "Accepted answer" in thread.text and "Unmark accepted answer" in thread.text
    listing = await client.get("/g/rustlings")
    assert "answered</span>" in listing.text


async def test_accept__a_stranger_is_403_and_nothing_changes(client: httpx.AsyncClient) -> None:
    # Given a question and an answer, and another member who did not ask
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    asker = await make_account("student")
    await join_as_member(group, asker)
    question = await make_post(asker, group, kind="question")
    answer = await reply_to(owner, question)
    bystander = await make_account("bystander")
    await join_as_member(group, bystander)
    await log_in(client, "bystander")
    # When they open the thread, Then no accept button is offered
    page = await client.get(f"/p/{question.id}")
    assert "/accept" not in page.text
    # When they try anyway, Then it is forbidden and nothing changes
    response = await client.post(
        f"/p/{answer.id}/accept", data={"csrf_token": await csrf(client, f"/p/{question.id}")}
    )
    assert response.status_code == 403
    assert (await Post.get(id=question.id)).accepted_answer_id is None


async def test_accept__on_a_discussion_reply_is_409_and_logged_out_goes_to_login(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    discussion = await make_post(owner, group)
    reply = await reply_to(owner, discussion)
    logged_out = await client.post(f"/p/{reply.id}/accept", data={"x": "1"})
    assert logged_out.status_code == 303 and "/login" in logged_out.headers["location"]
    await log_in(client, "teacher")
    token = await csrf(client, f"/p/{discussion.id}")
    response = await client.post(f"/p/{reply.id}/accept", data={"csrf_token": token})
    assert response.status_code == 409
    assert (await Post.get(id=discussion.id)).accepted_answer_id is None


async def test_unanswered__lists_only_questions_without_an_accepted_answer(
    client: httpx.AsyncClient,
) -> None:
    # Given an open question, an answered one and a discussion
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    await make_post(owner, group, kind="question", title="Still open")
    answered = await make_post(owner, group, kind="question", title="Solved already")
    await make_post(owner, group, title="Just chatting")
    await posts.accept_answer(answered, await reply_to(owner, answered), owner)
    # When a visitor opens the Unanswered tab
    response = await client.get("/g/rustlings?kind=question&unanswered=1")
    # Then only the open question is listed, under the Unanswered tab
    assert response.status_code == 200
    assert "Still open" in response.text
    assert "Solved already" not in response.text and "Just chatting" not in response.text
    assert 'aria-current="page">Unanswered' in response.text


async def test_unanswered__empty_state_when_all_are_answered(client: httpx.AsyncClient) -> None:
    owner = await make_account("teacher")
    await make_group(owner, "rustlings")
    response = await client.get("/g/rustlings?unanswered=1")
    assert response.status_code == 200
    assert "Every question here has an accepted answer." in response.text
