"""The search service, on SQLite FTS5 and PostgreSQL alike: what it finds, how it ranks and
pages, and that it finds only what the viewer may read."""

from __future__ import annotations

import pytest

from server.services import posts, search
from server.services.errors import Invalid
from server.services.search import SearchQuery, Sort
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply
from tests.server.search.conftest import LANGUAGE

pytestmark = pytest.mark.usefixtures("database")


async def found(text: str, viewer: object = None, **filters: str) -> list[str]:
    page = await search.search(viewer, SearchQuery(text=text, **filters), language=LANGUAGE)  # type: ignore[arg-type]
    return [hit.post.id for hit in page.posts]


async def test_search__finds_posts_by_title_body_and_tag_and_replies_by_body() -> None:
    # Given a question with a tag and a reply
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    question = await make_post(
        olga, group, kind="question", title="Integrals by parts", body="How? #calculus"
    )
    reply = await make_reply(olga, question, "Use the tabular method for polynomials")
    # Then each is found by its words
    assert await found("integrals") == [question.id]
    assert await found("calculus") == [question.id]
    assert await found("tabular polynomials") == [reply.id]
    assert await found("nothing-like-this") == []


async def test_search__every_word_must_match() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    both = await make_post(olga, group, title="Vectors and matrices")
    await make_post(olga, group, title="Vectors alone")
    assert await found("vectors matrices") == [both.id]


async def test_search__ranks_title_matches_above_body_matches() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    in_body = await make_post(olga, group, title="Something", body="about topology here")
    in_title = await make_post(olga, group, title="Topology", body="basics")
    assert await found("topology") == [in_title.id, in_body.id]
    assert await found("topology", sort=Sort.NEWEST) == [in_title.id, in_body.id]


async def test_search__keyset_pages_cover_every_hit_once() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    made = {
        (await make_post(olga, group, title=f"Prime {n}", body="prime " * n)).id
        for n in range(1, 26)
    }
    for sort in Sort:
        seen: list[str] = []
        cursor = ""
        while True:
            page = await search.search(
                None, SearchQuery(text="prime", sort=sort, cursor=cursor), language=LANGUAGE
            )
            seen += [hit.post.id for hit in page.posts]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert len(seen) == len(made) and set(seen) == made


async def test_search__highlights_matched_words() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    await make_post(olga, group, title="Limits", body="A limit is approached, never reached.")
    page = await search.search(None, SearchQuery(text="approached"), language=LANGUAGE)
    marked = [segment.text for segment in page.posts[0].snippet if segment.match]
    assert marked == ["approached"]


async def test_search__filters_by_kind_group_author_and_answered() -> None:
    olga = await make_account("olga")
    ivan = await make_account("ivan")
    maths = await make_group(olga, "maths")
    physics = await make_group(olga, "physics")
    await join_as_member(maths, ivan)
    answered = await make_post(olga, maths, kind="question", title="Series convergence")
    answer = await make_reply(ivan, answered, "Ratio test")
    await posts.accept_answer(answered, answer, olga)
    open_question = await make_post(ivan, maths, kind="question", title="Series open")
    talk = await make_post(olga, physics, kind="discussion", title="Series circuits")

    assert set(await found("series", kind="question")) == {answered.id, open_question.id}
    assert await found("series", group="physics") == [talk.id]
    assert await found("series", author="ivan") == [open_question.id]
    assert await found("series", answered="yes") == [answered.id]
    assert await found("series", answered="no") == [open_question.id]


async def test_search__finds_groups_people_and_tags_by_name() -> None:
    olga = await make_account("olga", display_name="Olga Ladyzhenskaya")
    await make_group(olga, "analysis")
    group = await make_group(olga, "maths")
    await make_post(olga, group, title="Hello", body="#analysis")
    page = await search.search(None, SearchQuery(text="analysis"), language=LANGUAGE)
    assert [g.actor.username for g in page.groups] == ["analysis"]
    assert page.tags == ["analysis"]
    people = await search.search(None, SearchQuery(text="ladyzhenskaya"), language=LANGUAGE)
    assert [actor.username for actor in people.people] == ["olga"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "*",
        "NEAR(",
        "a NEAR(b",
        "-x",
        "title:x",
        "a & b | !c",
        "(x",
        "x:*",
        "'",
        "\\",
        "AND",
        "OR NOT",
        "\ufeff",
        "é" * 64,
        "a" * 300,
    ],
)
async def test_search__odd_queries_never_fail(text: str) -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    await make_post(olga, group, title="Plain text")
    await search.search(None, SearchQuery(text=text), language=LANGUAGE)


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(text="x" * 301),
        SearchQuery(text="a\x00b"),
        SearchQuery(text="\ud800"),
        SearchQuery(text="x", kind="poem"),
        SearchQuery(text="x", since="yesterday"),
        SearchQuery(text="x", group="not a handle!"),
        SearchQuery(text="x", sort="random"),
        SearchQuery(text="x", cursor="%%%"),
        SearchQuery(text="x", cursor="bm90IGEgY3Vyc29y"),
    ],
)
async def test_search__refuses_bad_input(query: SearchQuery) -> None:
    with pytest.raises(Invalid):
        await search.search(None, query, language=LANGUAGE)


async def test_similar_questions__answered_first() -> None:
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    open_question = await make_post(olga, group, kind="question", title="How to factor polynomials")
    answered = await make_post(olga, group, kind="question", title="Factor a quadratic")
    answer = await make_reply(olga, answered, "Complete the square")
    await posts.accept_answer(answered, answer, olga)
    await make_post(olga, group, kind="discussion", title="Factor talk")

    similar = await search.similar_questions(None, "factor polynomials", language=LANGUAGE)

    assert [hit.post.id for hit in similar] == [answered.id, open_question.id]


async def test_search__highlights_words_whose_case_folding_changes_their_length() -> None:
    # "ß" folds to "ss": such a text is read word by word, and the marks fall on its own words
    olga = await make_account("olga")
    group = await make_group(olga, "maths")
    body = "Die Straße der Reihen: jede Strasse konvergiert. " + "Füllwort " * 40 + "Ende."
    await make_post(olga, group, title="Straßen", body=body)
    page = await search.search(None, SearchQuery(text="strasse"), language=LANGUAGE)
    snippet = page.posts[0].snippet
    assert [segment.text for segment in snippet if segment.match] == ["Straße", "Strasse"]
    assert "".join(segment.text for segment in snippet).startswith("Die Straße der Reihen")


async def test_search__lists_groups_by_members_and_people_by_name() -> None:
    olga = await make_account("olga", display_name="Topology fan")
    await make_account("anna", display_name="Topology student")
    small = await make_group(olga, "topology", name="Topology")
    big = await make_group(olga, "topologists", name="Topologists")
    for name in ("ivan", "petr"):
        await join_as_member(big, await make_account(name))
    page = await search.search(None, SearchQuery(text="topolog"), language=LANGUAGE)
    assert [g.actor.username for g in page.groups] == [big.actor.username, small.actor.username]
    assert [actor.username for actor in page.people] == ["anna", "olga"]
    assert [g.actor.name for g in page.groups] == ["Topologists", "Topology"]
