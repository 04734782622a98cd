"""The moderation log in words (web/routes/_modlog_lines.py): one sentence per audit entry."""

from __future__ import annotations

import pytest

from server.models import Actor, ActorKind, AuditEntry
from web.routes._modlog_lines import log_line

pytestmark = pytest.mark.usefixtures("database")


def sentence(entry: AuditEntry) -> str:
    line = log_line(entry)
    return " ".join(part for part in (line.who, line.before, line.target) if part) + line.after


async def entry(
    action: str, target_type: str = "", label: str = "", **kwargs: object
) -> AuditEntry:
    mina = await Actor.get_or_none(username="mina") or await Actor.create(
        kind=ActorKind.PERSON, username="mina", display_name="Mina"
    )
    created = await AuditEntry.create(
        actor=mina, action=action, target_type=target_type, target_label=label, **kwargs
    )
    return await AuditEntry.get(id=created.id).select_related("actor")


async def test_log_line__each_kind_reads_as_a_sentence() -> None:
    ban = await entry("member.ban", "actor", "Bert (@bert)", reason="spam")
    assert sentence(ban) == "Mina banned Bert (@bert) from the group"
    assert (log_line(ban).who_href, log_line(ban).reason) == ("/u/mina", "spam")
    removal = await entry("post.remove", "post", "Buy now", target_id="01post")
    assert sentence(removal) == "Mina removed the post “Buy now”"
    assert log_line(removal).target_href == "/p/01post"
    rules = await entry("group.rules", "group", "Club")
    assert sentence(rules) == "Mina changed the group's rules"


async def test_log_line__deleted_posts_are_not_linked_and_the_system_has_no_name() -> None:
    deletion = await entry("post.delete", "post", "Oops", target_id="01gone")
    assert log_line(deletion).target_href == ""
    system = await AuditEntry.create(action="post.remove", target_type="post", target_label="x")
    assert log_line(await AuditEntry.get(id=system.id).select_related("actor")).who == (
        "The system"
    )


async def test_log_line__unknown_actions_and_missing_labels_still_read() -> None:
    assert sentence(await entry("group.renamed", "group", "Club")) == "Mina did “group.renamed”"
    assert sentence(await entry("report.resolve", "report", "")) == "Mina resolved a report"
