"""Confirmation links for sign-ups: the checked sign-up travels sealed inside the link it mails.

Nothing is stored until the link is followed, so a sign-up answers the same whether or not its
address already has an account (the owner of a known address gets a different mail instead).
The link is encrypted and authenticated with a key derived from the instance's secret (Fernet),
so it neither shows the password's hash nor can be forged or altered, and it expires.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken

from server.models import Account, AccountState
from server.services.accounts import CheckedSignUp, create_signed_up
from server.services.errors import NotFound

__all__ = ["LINK_LIFETIME", "finish", "open_link", "seal"]

LINK_LIFETIME = timedelta(hours=24)
BAD_LINK = "This sign-up link is invalid or has expired. Sign up again."


def _fernet(secret: str) -> Fernet:
    key = hashlib.sha256(b"lyceum sign-up link\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(checked: CheckedSignUp, secret: str) -> str:
    """The token of a confirmation link for this sign-up (URL-safe)."""
    fields = {
        "username": checked.username,
        "email": checked.email,
        "password_hash": checked.password_hash,
        "display_name": checked.display_name,
        "state": checked.state.value,
        "reason": checked.reason,
        "invite_code": checked.invite_code,
        "next": checked.next,
    }
    return _fernet(secret).encrypt(json.dumps(fields).encode()).decode()


def open_link(token: str, secret: str) -> CheckedSignUp:
    """The sign-up a token holds; NotFound when it is not ours, was altered, or has expired."""
    try:
        data = _fernet(secret).decrypt(token.encode(), ttl=int(LINK_LIFETIME.total_seconds()))
        fields = json.loads(data)
        return CheckedSignUp(
            username=fields["username"],
            email=fields["email"],
            password_hash=fields["password_hash"],
            display_name=fields["display_name"],
            state=AccountState(fields["state"]),
            reason=fields["reason"],
            invite_code=fields["invite_code"],
            next=fields.get("next", ""),
        )
    except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError) as exc:
        raise NotFound(BAD_LINK) from exc


async def finish(token: str, secret: str) -> Account:
    """Create the account a confirmation link holds (AddressInUse once it has been made)."""
    return await create_signed_up(open_link(token, secret))
