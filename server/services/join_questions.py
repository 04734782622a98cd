"""The questions an approval group asks people who ask to join, and their answers.

A group asks at most `MAX_QUESTIONS`; the answers are kept on the membership as
`[{"question": ..., "answer": ...}]`, so a later change of the questions does not change what
an earlier request answered. A Follow from another server carries no answers: the moderators'
queue says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.transactions import in_transaction

from server.models import Actor, Group, JoinPolicy
from server.services import audit
from server.services.errors import Invalid

__all__ = [
    "ANSWER_MAX",
    "MAX_QUESTIONS",
    "QUESTION_MAX",
    "check_answers",
    "check_questions",
    "parse_questions",
    "questions_asked",
    "set_questions",
]

MAX_QUESTIONS = 5
QUESTION_MAX = 300
ANSWER_MAX = 1000


def parse_questions(text: str) -> list[str]:
    """Questions from a text area, one per line; blank lines are skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def check_questions(questions: Sequence[str]) -> list[str]:
    """The questions, trimmed; Invalid (`join_questions`) when there are too many, one is
    empty or too long, or one holds control characters."""
    cleaned = [" ".join(question.split()) for question in questions]
    problem = ""
    if len(cleaned) > MAX_QUESTIONS:
        problem = f"Ask at most {MAX_QUESTIONS} questions (there are {len(cleaned)})."
    else:
        for number, (raw, question) in enumerate(zip(questions, cleaned, strict=True), 1):
            if not question:
                problem = f"Question {number} is empty: write it or remove it."
            elif len(question) > QUESTION_MAX:
                problem = f"Question {number} is longer than {QUESTION_MAX} characters."
            elif any(ord(char) < 32 and char not in "\t\r\n" for char in raw):
                problem = f"Remove the control characters from question {number}."
            if problem:
                break
    if problem:
        raise Invalid({"join_questions": problem})
    return cleaned


async def set_questions(group: Group, questions: Sequence[str], *, by: Actor) -> None:
    """Replace the group's questions (checked; audited as `group.join_questions` when they
    change). The caller checks that `by` may moderate the group."""
    cleaned = check_questions(questions)
    if cleaned == list(group.join_questions):
        return
    async with in_transaction():
        group.join_questions = cleaned
        await group.save(update_fields=["join_questions"])
        group_actor = await Actor.get(id=group.actor_id)
        await audit.record(
            by,
            "group.join_questions",
            group=group,
            target_type="group",
            target_id=group.id,
            target_label=group_actor.name,
        )


def questions_asked(group: Group) -> list[str]:
    """What a person asking to join must answer: the questions of an approval group."""
    return list(group.join_questions) if group.join_policy == JoinPolicy.APPROVAL else []


def check_answers(group: Group, answers: Sequence[str]) -> list[dict[str, str]]:
    """The answers paired with the group's questions; Invalid (`answer_<n>`, counted from 0)
    for each missing, over-long or control-character answer, or a wrong number of them."""
    questions = questions_asked(group)
    if len(answers) != len(questions):
        raise Invalid({"answers": "Answer each of the group's questions, and only those."})
    errors: dict[str, str] = {}
    for index, answer in enumerate(answers):
        text = answer.strip()
        if not text:
            errors[f"answer_{index}"] = "Answer this question."
        elif len(text) > ANSWER_MAX:
            errors[f"answer_{index}"] = f"Use at most {ANSWER_MAX:,} characters."
        elif "\x00" in text:
            errors[f"answer_{index}"] = "Remove the control characters from the answer."
    if errors:
        raise Invalid(errors)
    return [
        {"question": question, "answer": answer.strip()}
        for question, answer in zip(questions, answers, strict=True)
    ]
