"""The search pages: the header box, /search with highlighting and filters, bad input, and the
new-question form's "check for similar questions" step (without JavaScript)."""

from __future__ import annotations

import re

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from server.models import Post, PostState
from server.services import posts
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post
from tests.helpers import make_reply as reply_to


async def test_header__every_page_has_the_search_box(client: httpx.AsyncClient) -> None:
    for path in ("/", "/groups", "/login"):
        page = await client.get(path)
        assert re.search(r'<form class="site-search" method="get" action="/search"', page.text)


async def test_search_page__finds_a_reply_by_a_word_in_its_body(client: httpx.AsyncClient) -> None:
    # Given a question and a reply
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    question = await make_post(olga, group, kind="question", title="Series")
    reply = await reply_to(olga, question, "Try the comparison test first.")
    # When a visitor searches for a word of the reply
    page = await client.get("/search", params={"q": "comparison"})
    # Then the reply is listed, in its thread, with the word marked
    assert page.status_code == 200
    assert f'href="/p/{reply.id}"' in page.text
    assert "Reply in “Series”" in page.text
    assert "<mark>comparison</mark>" in page.text


async def test_search_page__marks_words_and_escapes_the_text_around_them(
    client: httpx.AsyncClient,
) -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    # (a word between tags: PostgreSQL's parser drops what it takes for a tag, `<b>` itself)
    await make_post(olga, group, title="Tags <b>bold</b> & co", body="Write `<i>` & `<bold>` here.")
    page = await client.get("/search", params={"q": "bold"})
    assert "Tags &lt;b&gt;<mark>bold</mark>&lt;/b&gt; &amp; co" in page.text
    assert "&lt;<mark>bold</mark>&gt; here." in page.text


async def test_search_page__a_removed_post_is_not_shown(client: httpx.AsyncClient) -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    post = await make_post(olga, group, title="Eigenvalues")
    await Post.filter(id=post.id).update(state=PostState.REMOVED)  # behind the index's back
    page = await client.get("/search", params={"q": "eigenvalues"})
    assert post.id not in page.text
    assert "No posts match" in page.text


async def test_search_page__bad_input_is_a_helpful_400(client: httpx.AsyncClient) -> None:
    for params in ({"q": "x" * 500}, {"q": "x", "kind": "poem"}, {"q": "x", "since": "soon"}):
        page = await client.get("/search", params=params)
        assert page.status_code == 400
        assert "There is a problem with this search" in page.text
    # A NUL is refused before any page is asked (web/url_guard.py)
    assert (await client.get("/search", params={"q": "a\x00b"})).status_code == 400


async def test_search_page__operators_only_say_what_to_type(client: httpx.AsyncClient) -> None:
    page = await client.get("/search", params={"q": '"* NEAR( - :'})
    # NEAR is a word; the signs are left out
    assert page.status_code == 200


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
async def test_search_page__any_query_string_is_answered_without_a_server_error(
    app: Starlette, text: str
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as anonymous:
        response = await anonymous.get("/search", params={"q": text, "sort": "newest"})
    assert response.status_code in (200, 400)


async def test_new_post__similar_step_lists_answered_questions_and_keeps_the_input(
    client: httpx.AsyncClient,
) -> None:
    # Given an answered question in a group
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    asker = await make_account("asker")
    await join_as_member(group, asker)
    answered = await make_post(olga, group, kind="question", title="How to factor polynomials")
    answer = await reply_to(olga, answered, "Find a root first.")
    await posts.accept_answer(answered, answer, olga)
    # When a member checks for similar questions before posting
    await log_in(client, "asker")
    token = await csrf(client, "/g/maths/new")
    before = await Post.all().count()
    page = await client.post(
        "/g/maths/new",
        data={
            "csrf_token": token,
            "kind": "question",
            "title": "Factor a cubic polynomial",
            "body": "My draft",
            "step": "similar",
        },
    )
    # Then the form comes back with the answered question and what they typed, and nothing posted
    assert page.status_code == 200
    assert f'href="/p/{answered.id}"' in page.text and "answered</span>" in page.text
    assert 'value="Factor a cubic polynomial"' in page.text and "My draft" in page.text
    assert await Post.all().count() == before


async def test_similar_fragment__lists_only_readable_questions(client: httpx.AsyncClient) -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    shown = await make_post(olga, group, kind="question", title="Factor polynomials")
    hidden = await make_post(olga, group, kind="question", title="Factor cubics")
    await Post.filter(id=hidden.id).update(state=PostState.HELD)
    fragment = await client.get("/search/similar", params={"title": "factor"})
    assert f'href="/p/{shown.id}"' in fragment.text
    assert hidden.id not in fragment.text
