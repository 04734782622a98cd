"""Reports: filing them, the queues, and resolving them (server/services/reports.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.models import (
    Account,
    Actor,
    AuditEntry,
    Ban,
    Group,
    MemberRole,
    Membership,
    Post,
    PostState,
    Report,
    ReportState,
)
from server.services import reports
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.reports import ReportAction
from tests.helpers import join_as_member, make_account, make_group, make_post


@dataclass
class World:
    owner: Account  # owns the group
    moderator: Account
    author: Account  # wrote the post
    reporter: Account
    admin: Account
    group: Group
    post: Post


@pytest.fixture
async def world(database: None) -> World:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    moderator, author, reporter = [await make_account(n) for n in ("mo", "bob", "cy")]
    for account in (moderator, author, reporter):
        await join_as_member(group, account)
    await Membership.filter(group=group, actor_id=moderator.actor_id).update(
        role=MemberRole.MODERATOR
    )
    post = await make_post(author, group, title="Buy cheap pills")
    admin = await make_account("eve", admin=True)
    return World(owner, moderator, author, reporter, admin, group, post)


async def _report(world: World, comment: str = "Spam") -> Report:
    return await reports.file_report(
        world.reporter.actor, post=world.post, target_actor=None, comment=comment
    )


async def _actions(report: Report) -> list[str]:
    entries = await AuditEntry.filter(target_id=report.id).order_by("created_at")
    return [entry.action for entry in entries]


# --- filing ------------------------------------------------------------------------------------


async def test_file_report__about_a_post_names_its_author_and_group(world: World) -> None:
    report = await _report(world, "  Spam, twice a day  ")
    stored = await Report.get(id=report.id)
    assert stored.comment == "Spam, twice a day"
    assert (stored.target_actor_id, stored.group_id, stored.post_id) == (  # type: ignore[attr-defined]
        world.author.actor_id,
        world.group.id,
        world.post.id,
    )
    assert (stored.state, stored.forwarded_at, stored.ap_id) == (ReportState.OPEN, None, None)


async def test_file_report__about_a_person_has_no_group(world: World) -> None:
    report = await reports.file_report(
        world.reporter.actor, post=None, target_actor=world.author.actor, comment="Harasses me"
    )
    stored = await Report.get(id=report.id)
    assert (stored.target_actor_id, stored.group_id, stored.post_id) == (  # type: ignore[attr-defined]
        world.author.actor_id,
        None,
        None,
    )


async def test_file_report__one_open_report_per_reporter_and_target(world: World) -> None:
    await _report(world)
    with pytest.raises(Conflict):
        await _report(world, "Again")
    # Another person may report it too; and once handled, the same person may report again
    other = await make_account("di")
    await reports.file_report(other.actor, post=world.post, target_actor=None, comment="Yes")
    assert await Report.all().count() == 2


@pytest.mark.parametrize("comment", ["", "   ", "x" * (reports.COMMENT_MAX + 1), "a\x00b"])
async def test_file_report__bad_comment_is_invalid_and_stores_nothing(
    world: World, comment: str
) -> None:
    with pytest.raises(Invalid) as refused:
        await _report(world, comment)
    assert "comment" in refused.value.errors
    assert await Report.all().count() == 0


async def test_file_report__not_about_oneself(world: World) -> None:
    with pytest.raises(Invalid):
        await reports.file_report(
            world.author.actor, post=world.post, target_actor=None, comment="Oops"
        )
    assert await Report.all().count() == 0


async def test_file_report__a_removed_post_is_not_found(world: World) -> None:
    await Post.filter(id=world.post.id).update(state=PostState.REMOVED)
    world.post.state = PostState.REMOVED
    with pytest.raises(NotFound):
        await _report(world)


# --- the queues --------------------------------------------------------------------------------


async def test_list_reports__open_and_closed_per_group(world: World) -> None:
    # Given a report in the group, and one about a person (no group), one of them dismissed
    in_group = await _report(world)
    person = await reports.file_report(
        world.reporter.actor, post=None, target_actor=world.owner.actor, comment="Rude"
    )
    await reports.resolve_report(world.admin.actor, person, ReportAction.DISMISS)
    # Then the group's open queue has its report, the admin's closed list the other
    group_open = await reports.list_reports(group=world.group)
    assert [r.id for r in group_open.items] == [in_group.id]
    closed = await reports.list_reports(closed=True)
    assert [r.id for r in closed.items] == [person.id]
    assert (await reports.list_reports(group=world.group, closed=True)).items == []


async def test_actions_for__moderators_never_suspend_and_strangers_get_nothing(
    world: World,
) -> None:
    report = await reports.get_report((await _report(world)).id)
    as_moderator = await reports.actions_for(world.moderator.actor, report)
    assert ReportAction.REMOVE_POST in as_moderator
    assert ReportAction.BAN_AUTHOR in as_moderator
    assert ReportAction.SUSPEND_AUTHOR not in as_moderator
    assert ReportAction.SUSPEND_AUTHOR in await reports.actions_for(world.admin.actor, report)
    assert await reports.actions_for(world.reporter.actor, report) == []


# --- resolving ---------------------------------------------------------------------------------


async def test_resolve_report__dismiss_is_audited(world: World) -> None:
    report = await _report(world)
    done = await reports.resolve_report(world.moderator.actor, report, "dismiss", "Not spam")
    assert done.state == ReportState.DISMISSED
    assert done.resolved_by is not None and done.resolved_by.id == world.moderator.actor_id
    assert done.resolution == "Dismissed: Not spam"
    assert await _actions(report) == ["report.dismiss"]
    assert (await Post.get(id=world.post.id)).state == PostState.PUBLISHED


async def test_resolve_report__remove_post_goes_through_moderation(world: World) -> None:
    report = await _report(world)
    done = await reports.resolve_report(world.moderator.actor, report, "remove_post", "Spam")
    assert done.state == ReportState.RESOLVED
    post = await Post.get(id=world.post.id)
    assert (post.state, post.removal_reason) == (PostState.REMOVED, "Spam")
    assert await AuditEntry.filter(action="post.remove", target_id=post.id).exists()
    entry = await AuditEntry.get(action="report.resolve", target_id=report.id)
    # The group's log names the reported person, never the reporter
    assert entry.group_id == world.group.id  # type: ignore[attr-defined]
    assert entry.target_label == "@bob"


async def test_resolve_report__ban_author_goes_through_bans(world: World) -> None:
    report = await _report(world)
    await reports.resolve_report(world.owner.actor, report, "ban_author", "Spammer")
    assert await Ban.filter(group=world.group, actor_id=world.author.actor_id).exists()
    assert "report.resolve" in await _actions(report)


async def test_resolve_report__suspend_author_is_for_admins(world: World) -> None:
    report = await _report(world)
    # When a moderator tries, it is refused and nothing changes
    with pytest.raises(Forbidden):
        await reports.resolve_report(world.moderator.actor, report, "suspend_author", "Spam")
    assert (await Report.get(id=report.id)).state == ReportState.OPEN
    # When an admin does it, the author is suspended and both entries are written
    await reports.resolve_report(world.admin.actor, report, "suspend_author", "Spam bot")
    assert (await Actor.get(id=world.author.actor_id)).suspended_at is not None
    assert await AuditEntry.filter(action="user.suspend").exists()
    assert "report.resolve" in await _actions(report)


async def test_resolve_report__a_failing_action_changes_nothing(world: World) -> None:
    # Suspending needs a reason: the refusal comes after the report was marked resolved
    report = await _report(world)
    with pytest.raises(Invalid):
        await reports.resolve_report(world.admin.actor, report, "suspend_author", "")
    stored = await Report.get(id=report.id)
    assert (stored.state, stored.resolved_at) == (ReportState.OPEN, None)
    assert (await Actor.get(id=world.author.actor_id)).suspended_at is None
    assert await _actions(report) == []


async def test_resolve_report__strangers_and_second_tries_are_refused(world: World) -> None:
    report = await _report(world)
    with pytest.raises(Forbidden):
        await reports.resolve_report(world.reporter.actor, report, "dismiss")
    with pytest.raises(Invalid):
        await reports.resolve_report(world.moderator.actor, report, "shrug")
    await reports.resolve_report(world.moderator.actor, report, "resolve")
    with pytest.raises(Conflict):
        await reports.resolve_report(world.admin.actor, report, "dismiss")


async def test_forward_report__a_local_target_cannot_be_forwarded(world: World) -> None:
    report = await _report(world)
    with pytest.raises(Conflict):
        await reports.forward_report(world.admin.actor, report)
    with pytest.raises(Conflict):
        await reports.resolve_report(world.admin.actor, report, "resolve", forward=True)
    assert (await Report.get(id=report.id)).state == ReportState.OPEN
