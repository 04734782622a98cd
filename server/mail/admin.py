"""What admins see of outgoing mail: messages given up or failing, and queueing them again."""

from __future__ import annotations

from dataclasses import dataclass

from server.models import MailState, OutgoingMail, utcnow

__all__ = ["MailHealth", "mail_health", "retry_all_dead", "retry_mail"]

LIST_LIMIT = 100


@dataclass(frozen=True)
class MailHealth:
    queued: int
    sent: int
    dead: list[OutgoingMail]  # given up: a permanent refusal or every try failed
    failing: list[OutgoingMail]  # queued again after a failed try


async def mail_health() -> MailHealth:
    return MailHealth(
        queued=await OutgoingMail.filter(state=MailState.QUEUED).count(),
        sent=await OutgoingMail.filter(state=MailState.SENT).count(),
        dead=await OutgoingMail.filter(state=MailState.DEAD)
        .order_by("-next_attempt_at")
        .limit(LIST_LIMIT),
        failing=await OutgoingMail.filter(state=MailState.QUEUED, attempts__gt=0)
        .exclude(last_error="")
        .order_by("-next_attempt_at")
        .limit(LIST_LIMIT),
    )


async def retry_mail(mail_id: str) -> bool:
    """Queue a given-up or failing message again, for a fresh set of tries; False if none."""
    changed = await OutgoingMail.filter(
        id=mail_id, state__in=[MailState.DEAD, MailState.QUEUED]
    ).update(state=MailState.QUEUED, attempts=0, next_attempt_at=utcnow(), lease_until=None)
    return bool(changed)


async def retry_all_dead() -> int:
    return int(
        await OutgoingMail.filter(state=MailState.DEAD).update(
            state=MailState.QUEUED, attempts=0, next_attempt_at=utcnow(), lease_until=None
        )
    )
