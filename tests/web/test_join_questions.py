"""Join questions of approval groups (server/services/join_questions.py): set in the group's
settings, asked on the join form, answered into the moderators' queue; and a Follow from another
server, which answers none."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from server.models import Actor, AuditEntry, Group, JoinPolicy, Membership, MembershipState
from server.services import groups, join_questions
from server.services.errors import Invalid
from tests.helpers import csrf, log_in, make_account, make_group, make_remote_actor

QUESTIONS = ["Where do you teach?", "Which subject?"]
SETTINGS = {"name": "Closed", "join_policy": "approval", "posting_policy": "members"}


@pytest.fixture
async def group(database: None) -> Group:
    owner = await make_account("olga")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    await Group.filter(id=group.id).update(join_questions=QUESTIONS)
    return await Group.get(id=group.id).select_related("actor")


def tree(response: httpx.Response) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.text)


def words(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


async def post(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    token = await csrf(client, "/groups")
    return await client.post(path, data={"csrf_token": token, **fields})


# --- the rules, on their own ----------------------------------------------------------------

question_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=300
).filter(lambda text: text.strip())


@hypothesis_settings(max_examples=50, deadline=None)
@given(st.lists(question_text, max_size=5))
def test_check_questions__up_to_five_short_questions_pass(questions: list[str]) -> None:
    assert join_questions.check_questions(questions) == [" ".join(q.split()) for q in questions]


@hypothesis_settings(max_examples=25, deadline=None)
@given(st.lists(question_text, min_size=6, max_size=12))
def test_check_questions__six_or_more_are_refused(questions: list[str]) -> None:
    with pytest.raises(Invalid) as caught:
        join_questions.check_questions(questions)
    assert caught.value.errors == {
        "join_questions": f"Ask at most 5 questions (there are {len(questions)})."
    }


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        (["Fine?", "   "], "Question 2 is empty: write it or remove it."),
        (["x" * 301], "Question 1 is longer than 300 characters."),
        (["Bell\x07?"], "Remove the control characters from question 1."),
    ],
)
def test_check_questions__empty_long_and_control_characters_are_refused(
    questions: list[str], message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        join_questions.check_questions(questions)
    assert caught.value.errors == {"join_questions": message}


# --- the settings form ----------------------------------------------------------------------


async def test_settings__moderators_set_the_questions_one_per_line(
    client: httpx.AsyncClient, group: Group
) -> None:
    await log_in(client, "olga")
    page = await client.get("/g/closed/settings")
    [shown] = tree(page).xpath('//textarea[@name="join_questions"]/text()')
    assert shown.strip() == "\n".join(QUESTIONS)
    response = await post(
        client, "/g/closed/settings", **SETTINGS, join_questions="One?\n\n  Two?  \nThree?"
    )
    assert response.status_code == 303
    assert (await Group.get(id=group.id)).join_questions == ["One?", "Two?", "Three?"]
    assert await AuditEntry.filter(action="group.join_questions", group=group).count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\n".join(f"Question {n}?" for n in range(6)), "Ask at most 5 questions (there are 6)."),
        ("Short?\n" + "y" * 301, "Question 2 is longer than 300 characters."),
    ],
)
async def test_settings__too_many_or_too_long_questions_are_refused_and_nothing_changes(
    client: httpx.AsyncClient, group: Group, text: str, message: str
) -> None:
    await log_in(client, "olga")
    response = await post(
        client, "/g/closed/settings", **{**SETTINGS, "name": "Renamed"}, join_questions=text
    )
    assert response.status_code == 422
    [error] = tree(response).xpath('//p[@id="join_questions-error"]')
    assert words(error) == f"Error: {message}"
    stored = await Group.get(id=group.id).select_related("actor")
    assert (stored.join_questions, stored.actor.display_name) == (QUESTIONS, "Closed")


# --- asking to join -------------------------------------------------------------------------


async def test_join__the_form_asks_the_questions_and_the_queue_shows_the_answers(
    client: httpx.AsyncClient, group: Group
) -> None:
    await make_account("cleo")
    await log_in(client, "cleo")
    page = await client.get("/g/closed/join")
    labels = [words(label) for label in tree(page).xpath("//fieldset//label")]
    assert labels == ["1. Where do you teach?", "2. Which subject?"]
    response = await post(
        client, "/g/closed/join", message="Hi", answer_0="Lyon", answer_1="Physics"
    )
    assert response.status_code == 303
    membership = await Membership.get(group=group, actor__username="cleo")
    assert membership.state == MembershipState.PENDING
    assert membership.answers == [
        {"question": "Where do you teach?", "answer": "Lyon"},
        {"question": "Which subject?", "answer": "Physics"},
    ]
    client.cookies.clear()
    await log_in(client, "olga")
    queue = tree(await client.get("/g/closed/requests"))
    pairs = list(zip(queue.xpath("//dl/dt/text()"), queue.xpath("//dl/dd/text()"), strict=True))
    assert pairs == [("Where do you teach?", "Lyon"), ("Which subject?", "Physics")]


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"answer_0": "Lyon"}, "Answer this question."),
        ({"answer_0": "Lyon", "answer_1": "z" * 1001}, "Use at most 1,000 characters."),
        ({"answer_0": "Lyon", "answer_1": "   "}, "Answer this question."),
    ],
)
async def test_join__missing_or_over_long_answers_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, group: Group, answers: dict[str, str], problem: str
) -> None:
    await make_account("cleo")
    await log_in(client, "cleo")
    response = await post(client, "/g/closed/join", **answers)
    assert response.status_code == 422
    [error] = tree(response).xpath('//p[@id="answer_1-error"]')
    assert words(error) == f"Error: {problem}"
    # What was typed stays in the form
    assert [t.strip() for t in tree(response).xpath('//textarea[@name="answer_0"]/text()')] == [
        "Lyon"
    ]
    assert not await Membership.filter(group=group, actor__username="cleo").exists()


async def test_join__open_groups_ask_nothing(client: httpx.AsyncClient, group: Group) -> None:
    await Group.filter(id=group.id).update(join_policy=JoinPolicy.OPEN)
    await make_account("cleo")
    await log_in(client, "cleo")
    assert not tree(await client.get("/g/closed/join")).xpath("//fieldset")
    response = await post(client, "/g/closed/join")
    assert response.status_code == 303
    membership = await Membership.get(group=group, actor__username="cleo")
    assert (membership.state, membership.answers) == (MembershipState.ACCEPTED, [])


async def test_remote_follow__waits_with_a_note_that_it_answered_nothing(
    client: httpx.AsyncClient, group: Group
) -> None:
    remote = await make_remote_actor("zed", "far.example")
    asked = await groups.request_membership(
        group, remote, follow_ap_id="https://far.example/follows/1"
    )
    local = await make_account("cleo")
    await groups.request_membership(
        group, await Actor.get(id=local.actor_id), answers=["Here", "Maths"]
    )
    assert (asked.state, asked.answers) == (MembershipState.PENDING, [])
    await log_in(client, "olga")
    queue = tree(await client.get("/g/closed/requests"))
    notes = [words(note) for note in queue.xpath('//p[contains(@class, "join-note")]')]
    assert notes == [
        "zed came from another server (far.example), which cannot show the group's questions, "
        "so they answered none of them."
    ]
