"""One-click unsubscribe (RFC 8058): a signed token naming the account, and what it does.

The token is the authorisation (the mail client posts it without any session), so it is signed
with the instance's secret; it does not expire, as a link in an old mail must keep working.
Unsubscribing turns on the member's "no email" switch: no notification mail and no digest.
Mail about the account itself (password resets, sign-up decisions) is still sent.
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeSerializer

from server.models import Account, AccountState, MailPreferences
from server.settings import Settings

__all__ = ["open_unsubscribe_token", "unsubscribe", "unsubscribe_token", "unsubscribe_url"]

_SALT = "lyceum.mail.unsubscribe"
MAX_TOKEN_CHARS = 200


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_secret_key, salt=_SALT)


def unsubscribe_token(settings: Settings, account_id: str) -> str:
    return str(_serializer(settings).dumps(account_id))


def unsubscribe_url(settings: Settings, account_id: str) -> str:
    return settings.url(f"/unsubscribe/{unsubscribe_token(settings, account_id)}")


async def open_unsubscribe_token(settings: Settings, token: str) -> Account | None:
    """The active account a genuine token names, else None (forged, garbled or gone)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        account_id = _serializer(settings).loads(token)
    except (BadData, UnicodeError, ValueError):
        return None
    if not isinstance(account_id, str):
        return None
    return await Account.get_or_none(id=account_id, state=AccountState.ACTIVE).select_related(
        "actor"
    )


async def unsubscribe(account: Account) -> None:
    """Stop every notification mail and digest to this member (idempotent)."""
    row, _ = await MailPreferences.get_or_create(account=account)
    if not row.no_email:
        row.no_email = True
        await row.save(update_fields=["no_email"])
