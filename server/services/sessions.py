"""Logged-in browsers: one `Session` row each, found by the SHA-256 of the random token that the
browser's cookie holds (a leaked table holds no usable token).

The rows are the truth for every web process: ending a row logs that browser out at once, and a
password change, a reset, a suspension or a deletion ends all of a person's rows. A session lives
`lifetime` after it was last seen; `last_seen_at` is written at most every `TOUCH_EVERY`, so that a
busy reader does not turn every page view into a database write. Likewise the account's
`last_active_at` (what "active" means for NodeInfo and the dashboard) moves on at most every
`ACTIVE_EVERY`, however long the session: every logged-in request passes here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from server.models import Account, AccountState, Session, utcnow
from server.services import _prepared

__all__ = [
    "ACTIVE_EVERY",
    "TOUCH_EVERY",
    "Started",
    "end_all",
    "end_others",
    "end_own_session",
    "end_session",
    "find_account",
    "list_sessions",
    "start_session",
    "token_hash",
]

TOUCH_EVERY = timedelta(minutes=5)
ACTIVE_EVERY = timedelta(minutes=15)
USER_AGENT_MAX = 255
IP_MAX = 64


@dataclass(frozen=True)
class Started:
    token: str  # goes into the cookie, never stored
    session: Session


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    account: Account, *, lifetime: timedelta, user_agent: str = "", ip_address: str = ""
) -> Started:
    """A new session for the account. Expired rows of everybody are swept here: log-ins are
    frequent enough to keep the table small, and rare enough that the indexed delete costs
    nothing."""
    now = utcnow()
    await Session.filter(expires_at__lt=now).delete()
    token = secrets.token_urlsafe(32)
    session = await Session.create(
        account=account,
        token_hash=token_hash(token),
        expires_at=now + lifetime,
        last_seen_at=now,
        user_agent=_printable(user_agent)[:USER_AGENT_MAX],
        ip_address=_printable(ip_address)[:IP_MAX],
    )
    return Started(token, session)


async def find_account(
    token: str, *, lifetime: timedelta, ip_address: str = ""
) -> tuple[Account, Session] | None:
    """The active account a live session token belongs to (with its actor), or None.

    Seen again after `TOUCH_EVERY`, the session's last-seen time, address and expiry move on;
    after `ACTIVE_EVERY`, the account's last-active time.
    """
    if not token or len(token) > 128:
        return None
    # On every logged-in request: the SQL is kept (`_prepared`).
    session: Session | None = await _prepared.run(
        "session by token",
        lambda hashed: Session.filter(token_hash=hashed).select_related("account__actor").first(),
        hashed=token_hash(token),
    )
    now = utcnow()
    if session is None or session.expires_at <= now:
        return None
    account = session.account
    if account.state != AccountState.ACTIVE:
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        session.last_seen_at, session.expires_at = now, now + lifetime
        if ip_address:
            session.ip_address = _printable(ip_address)[:IP_MAX]
        await Session.filter(id=session.id).update(
            last_seen_at=now, expires_at=session.expires_at, ip_address=session.ip_address
        )
    if account.last_active_at is None or now - account.last_active_at >= ACTIVE_EVERY:
        account.last_active_at = now
        await Account.filter(id=account.id).update(last_active_at=now)
    return account, session


async def end_session(token: str) -> None:
    if token:
        await Session.filter(token_hash=token_hash(token)).delete()


async def end_all(account_id: str) -> int:
    """End every session of the account (password change or reset, suspension, deletion)."""
    return await Session.filter(account_id=account_id).delete()


async def end_others(account_id: str, keep_session_id: str) -> int:
    """End every session of the account but the one the person is using."""
    return await Session.filter(account_id=account_id).exclude(id=keep_session_id).delete()


async def end_own_session(account_id: str, session_id: str) -> bool:
    """End one of the account's sessions; False when it has none with that id."""
    return bool(await Session.filter(id=session_id[:26], account_id=account_id).delete())


async def list_sessions(account_id: str) -> list[Session]:
    """The account's live sessions, most recently seen first."""
    return (
        await Session.filter(account_id=account_id, expires_at__gt=utcnow())
        .order_by("-last_seen_at")
        .all()
    )


def _printable(text: str) -> str:
    """Header text fit for a text column: no control characters (NUL breaks PostgreSQL)."""
    return "".join(char for char in text if char.isprintable())
