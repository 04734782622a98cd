"""The moderation log in words: one readable sentence per audit entry of a group.

Each action becomes "<who> <verb> <what><rest>"; the template shows the parts (escaped) and
links the target when it is a post. An action not named here still reads, with its dotted name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.models import AuditEntry

# action -> (the words before the target, the words after it)
SENTENCES: dict[str, tuple[str, str]] = {
    "member.accept": ("let", " join the group"),
    "member.reject": ("turned away the join request of", ""),
    "member.ban": ("banned", " from the group"),
    "member.unban": ("lifted the ban on", ""),
    "moderator.appoint": ("made", " a moderator"),
    "moderator.remove": ("removed", " from the moderators"),
    "group.transfer": ("handed the group over to", ", its new owner"),
    "group.rules": ("changed the group's rules", ""),
    "group.hold_first_posts": ("began holding newcomers' first posts for review", ""),
    "group.release_first_posts": ("stopped holding newcomers' first posts", ""),
    "group.visibility_members": ("made the group readable by its members only", ""),
    "group.visibility_public": ("made the group readable by everyone", ""),
    "group.join_questions": ("changed the questions asked of people who ask to join", ""),
    "invite.create": ("made an invitation to the group", ""),
    "invite.revoke": ("withdrew an invitation to the group", ""),
    "group.approve": ("approved the group", ""),
    "group.suspend": ("suspended the group", ""),
    "group.unsuspend": ("lifted the group's suspension", ""),
    "report.resolve": ("resolved a report about", ""),
    "report.dismiss": ("dismissed a report about", ""),
    "report.forward": ("forwarded a report to", ""),
    "post.remove": ("removed the post", ""),
    "post.restore": ("restored the post", ""),
    "post.approve": ("approved the held post", ""),
    "post.reject": ("turned away the held post", ""),
    "post.delete": ("deleted the post", ""),
    "post.pin": ("pinned the thread", ""),
    "post.unpin": ("unpinned the thread", ""),
}
# Targets not worth repeating in the sentence (the group names itself).
UNNAMED_TARGETS = frozenset({"group"})


@dataclass(frozen=True)
class LogLine:
    who: str
    who_href: str
    before: str
    target: str
    target_href: str
    after: str
    reason: str
    at: datetime


def log_line(entry: AuditEntry) -> LogLine:
    """The sentence for one entry (loaded with its `actor`)."""
    actor = entry.actor
    who = actor.name if actor is not None else "The system"
    who_href = f"/u/{actor.username}" if actor is not None and actor.is_local else ""
    target = "" if entry.target_type in UNNAMED_TARGETS else entry.target_label
    unknown = (f"did “{entry.action}”" + (" to" if target else ""), "")
    before, after = SENTENCES.get(entry.action, unknown)
    if not target:  # an entry without a label: no dangling "about" or "to"
        before = before.removesuffix(" about").removesuffix(" to")
    if entry.target_type == "post" and target:
        target = f"“{target}”"
    target_href = f"/p/{entry.target_id}" if entry.target_type == "post" and target else ""
    if entry.action == "post.delete":
        target_href = ""  # nothing is left at that address
    return LogLine(
        who, who_href, before, target, target_href, after, entry.reason, entry.created_at
    )
