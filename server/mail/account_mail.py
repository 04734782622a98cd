"""Mail about an account itself: password resets, sign-up confirmations and attempts, approved
sign-ups. Queued like every other mail (`OutgoingMail`), so that a request never waits on the
SMTP server: the answer to "reset my password" or "sign me up" takes the same time whether or
not the address has an account, and a failed send is retried by the worker.
"""

from __future__ import annotations

import hashlib

from server.mail.queue import queue_mail
from server.mail.render import RenderedMail
from server.models import Account, new_id
from server.settings import Settings

__all__ = [
    "queue_password_reset",
    "queue_signup_approved",
    "queue_signup_attempt",
    "queue_signup_confirmation",
]


def _once(kind: str, token: str) -> str:
    """A dedup key for a mail carrying `token`, without the token itself."""
    return f"{kind}:{hashlib.sha256(token.encode()).hexdigest()}"


async def _queue(
    account: Account | None, to: str, kind: str, key: str, subject: str, body: str
) -> None:
    await queue_mail(
        account=account,
        to_address=to,
        kind=kind,
        dedup_key=key,
        mail=RenderedMail(subject, body, ""),
    )


async def queue_password_reset(settings: Settings, account: Account, token: str) -> None:
    body = (
        f"Hello @{account.actor.username},\n\n"
        f"Someone (hopefully you) asked to reset the password of your account on "
        f"{settings.domain}. Choose a new password here:\n\n"
        f"{settings.url(f'/reset/{token}')}\n\n"
        "The link works once, for two hours. If you did not ask for it, ignore this mail: "
        "your password stays as it is.\n"
    )
    key = _once("reset", token)
    await _queue(account, account.email, "password_reset", key, "Reset your password", body)


async def queue_signup_approved(settings: Settings, account: Account) -> None:
    body = (
        f"Hello @{account.actor.username},\n\n"
        f"An admin approved your sign-up on {settings.domain}. You can log in now:\n\n"
        f"{settings.url('/login')}\n"
    )
    key = f"signup_approved:{account.id}"
    await _queue(account, account.email, "signup_approved", key, "Your account is ready", body)


async def queue_signup_confirmation(settings: Settings, to: str, username: str, token: str) -> None:
    body = (
        "Hello,\n\n"
        f"Someone (hopefully you) signed up on {settings.domain} as @{username} with this "
        "address. To finish, open this link and confirm:\n\n"
        f"{settings.url('/signup/confirm/' + token)}\n\n"
        "The link works for 24 hours. If you did not sign up, ignore this mail: no account is "
        "made without it.\n"
    )
    key = _once("signup", token)
    await _queue(None, to, "signup_confirmation", key, "Finish signing up", body)


async def queue_signup_attempt(settings: Settings, account: Account) -> None:
    """To the owner of an address someone tried to sign up with again."""
    body = (
        f"Hello @{account.actor.username},\n\n"
        f"Someone tried to sign up on {settings.domain} with this e-mail address, which "
        "already belongs to your account. If it was you, log in:\n\n"
        f"{settings.url('/login')}\n\n"
        "or, if you forgot your password, choose a new one:\n\n"
        f"{settings.url('/reset')}\n\n"
        "If it was not you, ignore this mail: nothing has changed.\n"
    )
    subject = "Someone tried to sign up with your address"
    key = f"signup_attempt:{new_id()}"
    await _queue(account, account.email, "signup_attempt", key, subject, body)
