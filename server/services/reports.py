"""Reports: people telling moderators about a post or a person, and moderators acting on them.

- `file_report`: a member here reports a post (its author with it) or a person. One open report
  per reporter and target. A report about a post in a group hosted on another server is
  forwarded at once to that server, whose moderators are the ones who can act on the group.
- Reports from other servers arrive as `Flag` (`remote.receive_report`) into the same queue.
- `list_reports`: the queue, open or closed: all of it for admins, one group's for its moderators.
- `resolve_report`: dismiss it, or act on it through the service that owns the action (remove
  the post, ban the author from the group, suspend the author), in one transaction with the
  report's own audit entry (`report.resolve` / `report.dismiss`) beside the action's.
- `forward_report`: send it, as a `Flag` from the instance actor, to the server the reported
  person lives on (`ReportForwarded`; the federation adapter renders it per software).

Who handles a report: admins all of them; a group's moderators those about its posts.
Suspending a person is for admins only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    Ban,
    Group,
    Post,
    PostState,
    Report,
    ReportState,
    Role,
    utcnow,
)
from server.services import audit, bans, groups, moderation, users
from server.services._paging import Page, keyset_page
from server.services.errors import Conflict, Forbidden, Invalid, NotFound

__all__ = [
    "COMMENT_MAX",
    "ReportAction",
    "ReportView",
    "actions_for",
    "can_forward",
    "can_handle",
    "file_report",
    "forward_report",
    "get_report",
    "list_reports",
    "open_count",
    "resolve_report",
    "view",
]

COMMENT_MAX = 1000  # Mastodon's limit for a report's comment
LABEL_CHARS = 100
RELATED = ("reporter", "target_actor", "post__group__actor", "group__actor", "resolved_by")


class ReportAction(StrEnum):
    DISMISS = "dismiss"
    RESOLVE = "resolve"  # handled, without one of the actions below (or already done elsewhere)
    REMOVE_POST = "remove_post"
    BAN_AUTHOR = "ban_author"
    SUSPEND_AUTHOR = "suspend_author"


ACTION_LABELS = {
    ReportAction.DISMISS: "Dismissed",
    ReportAction.RESOLVE: "Resolved",
    ReportAction.REMOVE_POST: "Removed the post",
    ReportAction.BAN_AUTHOR: "Banned the author from the group",
    ReportAction.SUSPEND_AUTHOR: "Suspended the author",
}


@dataclass(frozen=True)
class ReportView:
    """A report with what a moderator may do with it."""

    report: Report
    actions: list[ReportAction]
    can_forward: bool


# --- filing ------------------------------------------------------------------------------------


async def file_report(
    reporter: Actor, *, post: Post | None, target_actor: Actor | None, comment: str
) -> Report:
    """A member here reports a post (and so its author) or a person; Invalid, Forbidden,
    NotFound or Conflict (an open report of theirs about it exists), and then nothing is stored."""
    if not reporter.is_local or reporter.suspended_at is not None:
        raise Forbidden("Only members of this instance can report here.")
    text = _checked_text(comment, COMMENT_MAX, "comment", required="Say what is wrong.")
    group: Group | None = None
    if post is not None:
        if post.state != PostState.PUBLISHED:
            raise NotFound("That post is no longer there.")
        target_actor = await Actor.get(id=post.author_id)
        group = await Group.get(id=post.group_id).select_related("actor")
    elif target_actor is None or target_actor.kind != ActorKind.PERSON:
        raise NotFound("There is nobody to report there.")
    if target_actor.id == reporter.id:
        raise Invalid({"comment": "You cannot report yourself or your own posts."})
    same = Report.filter(reporter=reporter, state=ReportState.OPEN)
    same = (
        same.filter(post=post)
        if post is not None
        else same.filter(post=None, target_actor=target_actor)
    )
    if await same.exists():
        raise Conflict("You have already reported this; the moderators will look at it.")
    async with in_transaction():
        report = await Report.create(
            reporter=reporter, target_actor=target_actor, post=post, group=group, comment=text
        )
        if group is not None and not group.actor.is_local:
            # The group's own moderators, on its server, are the ones who can act on it.
            report.forwarded_at = utcnow()
            await report.save(update_fields=["forwarded_at"])
            await audit.record(
                None,
                "report.forward",
                target_type="report",
                target_id=report.id,
                target_label=group.actor.domain,
            )
            await events.bus.publish(events.ReportForwarded(report.id, to_group=True))
        await events.bus.publish(events.ReportFiled(report.id))
    return report


# --- reading -----------------------------------------------------------------------------------


async def get_report(report_id: str) -> Report:
    report = await Report.get_or_none(id=report_id).select_related(*RELATED)
    if report is None:
        raise NotFound("There is no report with that id.")
    return report


async def list_reports(
    *,
    closed: bool = False,
    group: Group | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Report]:
    """Open (or handled) reports, newest first; one group's when `group` is given."""
    states = (ReportState.RESOLVED, ReportState.DISMISSED) if closed else (ReportState.OPEN,)
    query = Report.filter(state__in=states).select_related(*RELATED)
    if group is not None:
        query = query.filter(group=group)
    return await keyset_page(
        query, field="created_at", cursor=cursor, limit=limit, key=lambda row: row.created_at
    )


async def open_count(group: Group | None = None) -> int:
    query = Report.filter(state=ReportState.OPEN)
    return await (query.filter(group=group) if group is not None else query).count()


# --- who may do what ---------------------------------------------------------------------------


async def _is_admin(actor: Actor) -> bool:
    return await Account.filter(
        actor_id=actor.id, role=Role.ADMIN, state=AccountState.ACTIVE
    ).exists()


async def can_handle(by: Actor, report: Report) -> bool:
    """Admins handle every report; a group's moderators the reports about its posts."""
    if await _is_admin(by):
        return True
    group = _group_of(report)
    return group is not None and await groups.can_moderate(group, by.id)


def _group_of(report: Report) -> Group | None:
    return report.group  # loaded with its actor by `get_report` and `list_reports`


def _remote_target(report: Report) -> Actor | None:
    """Who lives elsewhere and is reported: the server a forwarded report goes to."""
    target = report.target_actor
    if target is not None and not target.is_local and target.kind == ActorKind.PERSON:
        return target
    return None


def can_forward(report: Report) -> bool:
    """Whether the report can still go to the reported person's server (loaded by get_report)."""
    target = _remote_target(report)
    if target is None or report.forwarded_at is not None:
        return False
    reporter = report.reporter
    return reporter is None or reporter.domain != target.domain


async def actions_for(by: Actor, report: Report) -> list[ReportAction]:
    """What `by` may do with this open report (none when they may not handle it)."""
    if report.state != ReportState.OPEN or not await can_handle(by, report):
        return []
    actions = [ReportAction.RESOLVE, ReportAction.DISMISS]
    group = _group_of(report)
    moderates = group is not None and await groups.can_moderate(group, by.id)
    post = report.post
    if post is not None and moderates and post.state in (PostState.PUBLISHED, PostState.HELD):
        actions.append(ReportAction.REMOVE_POST)
    target = report.target_actor
    if target is None or target.id == by.id or target.kind != ActorKind.PERSON:
        return actions
    if (
        group is not None
        and moderates
        and group.actor.is_local
        and not await Ban.filter(group=group, actor=target).exists()
        and not await groups.is_moderator(group, target.id)
    ):
        actions.append(ReportAction.BAN_AUTHOR)
    if target.suspended_at is None and target.deleted_at is None and await _is_admin(by):
        actions.append(ReportAction.SUSPEND_AUTHOR)
    return actions


async def view(by: Actor, report: Report) -> ReportView:
    actions = await actions_for(by, report)
    return ReportView(report, actions, bool(actions) and can_forward(report))


# --- acting ------------------------------------------------------------------------------------


async def resolve_report(
    by: Actor, report: Report, action: ReportAction | str, reason: str = "", forward: bool = False
) -> Report:
    """Close the report with `action`, done through its own service; with `forward`, also send
    it to the reported person's server. All in one transaction: any refusal changes nothing."""
    report = await get_report(report.id)
    try:
        chosen = ReportAction(action)
    except ValueError:
        raise Invalid({"action": "Choose what to do with the report."}) from None
    if report.state != ReportState.OPEN:
        raise Conflict("This report has already been handled.")
    if not await can_handle(by, report):
        raise Forbidden("Only the group's moderators and the admins can handle this report.")
    if chosen not in await actions_for(by, report):
        raise Forbidden("That action is not available for this report.")
    text = audit.checked_reason(reason)
    if forward and not can_forward(report):
        raise Conflict("This report cannot be forwarded (nothing reported lives elsewhere).")
    group = _group_of(report)
    resolution = ACTION_LABELS[chosen] + (f": {text}" if text else "")
    async with in_transaction():
        closed = ReportState.DISMISSED if chosen == ReportAction.DISMISS else ReportState.RESOLVED
        if not await Report.filter(id=report.id, state=ReportState.OPEN).update(
            state=closed, resolved_by_id=by.id, resolved_at=utcnow(), resolution=resolution
        ):
            raise Conflict("This report has already been handled.")
        target = report.target_actor
        if chosen == ReportAction.REMOVE_POST and report.post is not None:
            await moderation.remove_post(by, report.post, text)
        elif chosen == ReportAction.BAN_AUTHOR and group is not None and target is not None:
            await bans.ban(by, group, target, text)
        elif chosen == ReportAction.SUSPEND_AUTHOR and target is not None:
            await users.suspend_actor(by, target, text)
        verb = "report.dismiss" if chosen == ReportAction.DISMISS else "report.resolve"
        await _record(by, verb, report, group, text)
        if forward:
            await _forward(by, report, group)
        await events.bus.publish(events.ReportResolved(report.id, by.id, chosen.value))
    return await get_report(report.id)


async def forward_report(by: Actor, report: Report) -> Report:
    """Send the report to the server of the person it is about (once)."""
    report = await get_report(report.id)
    if not await can_handle(by, report):
        raise Forbidden("Only the group's moderators and the admins can forward this report.")
    if not can_forward(report):
        raise Conflict("This report cannot be forwarded (nothing reported lives elsewhere).")
    async with in_transaction():
        await _forward(by, report, _group_of(report))
    return await get_report(report.id)


async def _forward(by: Actor, report: Report, group: Group | None) -> None:
    if not await Report.filter(id=report.id, forwarded_at=None).update(forwarded_at=utcnow()):
        raise Conflict("This report has already been forwarded.")
    target = _remote_target(report)
    await _record(by, "report.forward", report, group, "", label=target.domain if target else "")
    await events.bus.publish(events.ReportForwarded(report.id))


async def _record(
    by: Actor, action: str, report: Report, group: Group | None, reason: str, label: str = ""
) -> None:
    # A group's log is read by its members: it names the reported person, never the reporter.
    target = report.target_actor
    local_group = group if group is not None and group.actor.is_local else None
    if not label and target is not None:
        label = f"@{target.username}" + (f"@{target.domain}" if target.domain else "")
    await audit.record(
        by,
        action,
        group=local_group,
        target_type="report",
        target_id=report.id,
        target_label=label[:LABEL_CHARS],
        reason=reason,
    )


def _checked_text(value: str, limit: int, field: str, *, required: str = "") -> str:
    text = value.strip()
    if required and not text:
        raise Invalid({field: required})
    if len(text) > limit:
        raise Invalid({field: f"Use at most {limit:,} characters."})
    if "\x00" in text:
        raise Invalid({field: "Remove the control characters."})
    return text
