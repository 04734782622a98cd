"""Accounts: sign-up under the instance's registration mode, log-in, and password changes."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from tortoise.transactions import in_transaction

from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    Invite,
    PasswordReset,
    RegistrationMode,
    Role,
    utcnow,
)
from server.services import instance
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.handles import ensure_handle_free, validate_handle
from server.services.keys import generate_rsa_keypair
from server.services.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")
RESET_TOKEN_LIFETIME = timedelta(hours=2)
# Checked against when an unknown e-mail logs in, so both paths cost one Argon2 verification.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SignUp:
    username: str
    email: str
    password: str
    display_name: str = ""
    invite_code: str = ""
    reason: str = ""


def normalise_email(email: str) -> str:
    email = email.strip()
    if not EMAIL_RE.fullmatch(email):
        raise Invalid({"email": "Enter an e-mail address such as ada@example.org."})
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


async def create_account(
    username: str,
    email: str,
    password: str,
    *,
    display_name: str = "",
    role: Role = Role.MEMBER,
    state: AccountState = AccountState.ACTIVE,
    reason: str = "",
) -> Account:
    """Create a local person and their account; raise Invalid/Conflict on bad input."""
    errors: dict[str, str] = {}
    try:
        username = validate_handle(username)
    except Invalid as exc:
        errors["username"] = exc.errors["handle"]
    try:
        email = normalise_email(email)
    except Invalid as exc:
        errors.update(exc.errors)
    if problem := password_problem(password):
        errors["password"] = problem
    if len(display_name) > 100:
        errors["display_name"] = "Use at most 100 characters."
    if errors:
        raise Invalid(errors)
    await ensure_handle_free(username)
    if await Account.filter(email=email).exists():
        raise Conflict("An account with this e-mail address already exists.")
    private_pem, public_pem = generate_rsa_keypair()
    async with in_transaction():
        actor = await Actor.create(
            kind=ActorKind.PERSON,
            username=username,
            display_name=display_name.strip(),
            private_key_pem=private_pem,
            public_key_pem=public_pem,
        )
        return await Account.create(
            actor=actor,
            email=email,
            password_hash=hash_password(password),
            role=role,
            state=state,
            signup_reason=reason.strip(),
        )


async def sign_up(form: SignUp) -> Account:
    """Register under the instance's mode: open, approval required, or invite only."""
    config = await instance.get_config()
    state = AccountState.ACTIVE
    invite: Invite | None = None
    if config.registration_mode == RegistrationMode.INVITE:
        invite = await _usable_invite(form.invite_code)
    elif config.registration_mode == RegistrationMode.APPROVAL:
        if not form.reason.strip():
            raise Invalid({"reason": "Tell the admins briefly why you want to join."})
        state = AccountState.PENDING
    async with in_transaction():
        account = await create_account(
            form.username,
            form.email,
            form.password,
            display_name=form.display_name,
            state=state,
            reason=form.reason,
        )
        if invite is not None:
            updated = await Invite.filter(id=invite.id, uses__lt=invite.max_uses).update(
                uses=invite.uses + 1
            )
            if not updated:
                raise Invalid({"invite_code": "This invitation has been used up."})
    return account


async def _usable_invite(code: str) -> Invite:
    invite = await Invite.get_or_none(code=code.strip()) if code.strip() else None
    if invite is None:
        raise Invalid({"invite_code": "Registration is by invitation: enter a valid code."})
    if invite.uses >= invite.max_uses or (invite.expires_at and invite.expires_at < utcnow()):
        raise Invalid({"invite_code": "This invitation has expired or been used up."})
    return invite


async def create_invite(by: Account, max_uses: int = 1, days: int | None = 7) -> Invite:
    if not 1 <= max_uses <= 1000:
        raise Invalid({"max_uses": "Choose between 1 and 1000 uses."})
    expires = utcnow() + timedelta(days=days) if days else None
    return await Invite.create(
        code=secrets.token_urlsafe(12), created_by=by, max_uses=max_uses, expires_at=expires
    )


async def authenticate(login: str, password: str) -> Account:
    """The account for an e-mail or username and password; Forbidden with one vague message."""
    login = login.strip()
    query = (
        Account.filter(email=normalise_email_loosely(login))
        if "@" in login
        else Account.filter(actor__username=login.lower(), actor__domain="")
    )
    account = await query.select_related("actor").first()
    if account is None:
        verify_password(_DUMMY_HASH, password)
        raise Forbidden("That e-mail or user name and password do not match.")
    if not verify_password(account.password_hash, password):
        raise Forbidden("That e-mail or user name and password do not match.")
    if account.state == AccountState.PENDING:
        raise Forbidden("Your sign-up is waiting for an admin's approval.")
    if account.state == AccountState.SUSPENDED:
        raise Forbidden("This account is suspended.")
    changes: dict[str, object] = {"last_login_at": utcnow()}
    if needs_rehash(account.password_hash):
        changes["password_hash"] = hash_password(password)
    await Account.filter(id=account.id).update(**changes)
    return account


def normalise_email_loosely(email: str) -> str:
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


async def change_password(account: Account, new_password: str) -> None:
    if problem := password_problem(new_password):
        raise Invalid({"password": problem})
    account.password_hash = hash_password(new_password)
    account.session_version += 1
    await account.save(update_fields=["password_hash", "session_version"])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_password_reset(email: str) -> tuple[Account, str] | None:
    """A new reset token for the account with this address, or None when there is none.

    Callers show the same message either way, so that the form does not reveal who has an account.
    """
    try:
        email = normalise_email(email)
    except Invalid:
        return None
    account = await Account.get_or_none(email=email).select_related("actor")
    if account is None or account.state == AccountState.SUSPENDED:
        return None
    token = secrets.token_urlsafe(32)
    await PasswordReset.create(
        account=account, token_hash=_token_hash(token), expires_at=utcnow() + RESET_TOKEN_LIFETIME
    )
    return account, token


async def finish_password_reset(token: str, new_password: str) -> Account:
    reset = await PasswordReset.get_or_none(token_hash=_token_hash(token)).select_related("account")
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        raise NotFound("This reset link is invalid or has expired. Ask for a new one.")
    async with in_transaction():
        await change_password(reset.account, new_password)
        reset.used_at = utcnow()
        await reset.save(update_fields=["used_at"])
        await PasswordReset.filter(account_id=reset.account.id, used_at=None).update(
            used_at=utcnow()
        )
    return reset.account


async def approve_signup(account: Account) -> None:
    if account.state != AccountState.PENDING:
        raise Conflict("This sign-up is not waiting for approval.")
    account.state = AccountState.ACTIVE
    await account.save(update_fields=["state"])


async def get_active_account(account_id: str, session_version: int) -> Account | None:
    account = await Account.get_or_none(id=account_id).select_related("actor")
    if (
        account is None
        or account.state != AccountState.ACTIVE
        or account.session_version != session_version
    ):
        return None
    return account
