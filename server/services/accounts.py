"""Accounts: sign-up under the instance's registration mode, log-in, and password changes.

Sign-ups that need an admin (approval mode) and the invitations of invite-only mode are decided
here too, so that every rule about who may hold an account lives in one module.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server import events
from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    Group,
    GroupState,
    Invite,
    PasswordReset,
    RegistrationMode,
    Role,
    utcnow,
)
from server.services import audit, groups, instance, sessions
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.handles import ensure_handle_free, validate_handle
from server.services.keys import generate_rsa_keypair
from server.services.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)

# No whitespace or control characters anywhere: they have no place in an address and NUL breaks
# PostgreSQL text columns.
EMAIL_RE = re.compile(
    r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,190}\.[^@\s\x00-\x1f\x7f]{2,63}$"
)
EMAIL_MAX_LENGTH = 254  # the column's size, and what SMTP allows
DISPLAY_NAME_MAX = 100
REASON_MAX = 2000
INVITE_MAX_USES = 1000
INVITE_MAX_DAYS = 365
RESET_TOKEN_LIFETIME = timedelta(hours=2)
BAD_LOGIN = "That e-mail or user name and password do not match."


# Checked against when an unknown e-mail logs in, so both paths cost one Argon2 verification.
# Made at the first such log-in, not at import: hashing costs every `lyceum` command a fraction
# of a second at start.
@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


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
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_RE.fullmatch(email):
        raise Invalid({"email": "Enter an e-mail address such as ada@example.org."})
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _check_new_account(
    username: str, email: str, password: str, display_name: str
) -> tuple[str, str, dict[str, str]]:
    """The normalised user name and e-mail, and a message for each field that breaks a rule."""
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
    if len(display_name.strip()) > DISPLAY_NAME_MAX:
        errors["display_name"] = f"Use at most {DISPLAY_NAME_MAX} characters."
    elif "\x00" in display_name:
        errors["display_name"] = "Remove the control characters from the name."
    return username, email, errors


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
    """Create a local person and their account (operators and tests; people use `sign_up`);
    raise Invalid/Conflict on bad input."""
    username, email, errors = _check_new_account(username, email, password, display_name)
    if errors:
        raise Invalid(errors)
    await ensure_handle_free(username)
    if await Account.filter(email=email).exists():
        raise Conflict("An account with this e-mail address already exists.")
    try:
        return await _insert_account(
            username, email, hash_password(password), display_name, role, state, reason
        )
    except IntegrityError as exc:
        # Someone took the handle or the address between our check and the insert.
        raise Conflict("That handle or e-mail address was taken a moment ago.") from exc


async def _insert_account(
    username: str,
    email: str,
    password_hash: str,
    display_name: str,
    role: Role,
    state: AccountState,
    reason: str,
) -> Account:
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
            password_hash=password_hash,
            role=role,
            state=state,
            signup_reason=reason.strip(),
        )


class AddressInUse(Exception):
    """A sign-up's address already belongs to an account. Deliberately not a DomainError: the
    caller answers exactly as for a new address and mails the owner, so that the sign-up form
    never tells a stranger who has an account here."""

    def __init__(self, account: Account) -> None:
        super().__init__("address in use")
        self.account = account


@dataclass(frozen=True)
class CheckedSignUp:
    """A sign-up that passed every rule, its password already hashed (what a confirmation link
    carries, sealed)."""

    username: str
    email: str
    password_hash: str
    display_name: str
    state: AccountState
    reason: str = ""
    invite_code: str = ""
    next: str = ""  # the local page to go on to once the link is followed


async def check_sign_up(form: SignUp) -> CheckedSignUp:
    """Check a sign-up under the instance's mode (open, approval required, or invite only).

    Every problem with the form is reported at once (Invalid), each under its field, including a
    handle that is taken (handles are public). An address that already has an account is never
    a field error: once everything else is right, AddressInUse names its account.
    """
    config = await instance.get_config()
    username, email, errors = _check_new_account(
        form.username, form.email, form.password, form.display_name
    )
    state = AccountState.ACTIVE
    # An invitation counts in every mode (and a group's lands its holder in the group); it is
    # needed when registration is by invitation, and spares the admins' approval otherwise.
    invited = bool(form.invite_code.strip())
    if invited or config.registration_mode == RegistrationMode.INVITE:
        try:
            await _usable_invite(form.invite_code)
        except Invalid as exc:
            errors.update(exc.errors)
    elif config.registration_mode == RegistrationMode.APPROVAL:
        state = AccountState.PENDING
        if not form.reason.strip():
            errors["reason"] = "Tell the admins briefly why you want to join."
        elif len(form.reason) > REASON_MAX or "\x00" in form.reason:
            errors["reason"] = f"Use at most {REASON_MAX:,} characters of plain text."
    if "username" not in errors and await Actor.filter(username=username, domain="").exists():
        errors["username"] = _handle_taken(username)
    if errors:
        raise Invalid(errors)
    # Hashed before the address is looked up, so both answers cost the same Argon2 work.
    password_hash = hash_password(form.password)
    existing = await Account.get_or_none(email=email).select_related("actor")
    if existing is not None:
        raise AddressInUse(existing)
    return CheckedSignUp(
        username=username,
        email=email,
        password_hash=password_hash,
        display_name=form.display_name,
        state=state,
        reason=form.reason.strip() if state == AccountState.PENDING else "",
        invite_code=form.invite_code.strip(),
    )


def _handle_taken(username: str) -> str:
    return f"The handle “{username}” is already taken. Please choose another."


async def create_signed_up(checked: CheckedSignUp) -> Account:
    """Create the account of a checked sign-up, spending its invitation. The handle, address
    and invitation are checked again: a confirmation link may be used long after its check."""
    if await Actor.filter(username=checked.username, domain="").exists():
        raise Invalid({"username": _handle_taken(checked.username)})
    existing = await Account.get_or_none(email=checked.email).select_related("actor")
    if existing is not None:
        raise AddressInUse(existing)
    invite = await _usable_invite(checked.invite_code) if checked.invite_code else None
    try:
        async with in_transaction():
            account = await _insert_account(
                checked.username,
                checked.email,
                checked.password_hash,
                checked.display_name,
                Role.MEMBER,
                checked.state,
                checked.reason,
            )
            if invite is not None:
                await _spend_invite(invite, account)
            if account.state == AccountState.PENDING:
                await events.bus.publish(events.SignupWaiting(account.id))
    except IntegrityError as exc:
        # Someone took the handle or the address between the check and the insert.
        existing = await Account.get_or_none(email=checked.email).select_related("actor")
        if existing is not None:
            raise AddressInUse(existing) from exc
        raise Invalid({"username": _handle_taken(checked.username)}) from exc
    return account


async def sign_up(form: SignUp) -> Account:
    """Check a sign-up and create its account at once (no confirmation by e-mail)."""
    return await create_signed_up(await check_sign_up(form))


async def spend_invite(invite: Invite) -> bool:
    """Count one use of an invitation, if one is left and it has not expired: one conditional
    UPDATE, so two people racing for its last use cannot both have it. Call inside the
    transaction of what the use is for; False when nothing was left."""
    query = Invite.filter(id=invite.id, uses__lt=F("max_uses"))
    if invite.expires_at is not None:
        query = query.filter(expires_at__gt=utcnow())
    return bool(await query.update(uses=F("uses") + 1))


async def _spend_invite(invite: Invite, account: Account) -> None:
    """Spend the sign-up's invitation; one to a group makes the new person a member of it."""
    if not await spend_invite(invite):
        raise Invalid({"invite_code": "This invitation has expired or been used up."})
    group = await Group.get_or_none(id=invite.group_id) if invite.group_id else None  # type: ignore[attr-defined]
    if group is not None and group.state == GroupState.ACTIVE:
        await groups.admit(group, await Actor.get(id=account.actor_id))


async def _usable_invite(code: str) -> Invite:
    code = code.strip()
    invite = await Invite.get_or_none(code=code) if 0 < len(code) <= 64 else None
    if invite is None:
        raise Invalid({"invite_code": "Registration is by invitation: enter a valid code."})
    if invite.uses >= invite.max_uses or (invite.expires_at and invite.expires_at < utcnow()):
        raise Invalid({"invite_code": "This invitation has expired or been used up."})
    return invite


async def create_invite(by: Account, max_uses: int = 1, days: int | None = 7) -> Invite:
    """A new invitation code; `days` of None or 0 means it never expires."""
    errors: dict[str, str] = {}
    if not 1 <= max_uses <= INVITE_MAX_USES:
        errors["max_uses"] = f"Choose between 1 and {INVITE_MAX_USES} uses."
    if days is not None and not 0 <= days <= INVITE_MAX_DAYS:
        errors["days"] = f"Choose between 1 and {INVITE_MAX_DAYS} days, or 0 for no expiry."
    if errors:
        raise Invalid(errors)
    expires = utcnow() + timedelta(days=days) if days else None
    return await Invite.create(
        code=secrets.token_urlsafe(12), created_by=by, max_uses=max_uses, expires_at=expires
    )


async def list_invites() -> list[Invite]:
    """Every invitation, newest first, with who made it."""
    return await Invite.all().select_related("created_by__actor").order_by("-created_at")


async def authenticate(login: str, password: str) -> Account:
    """The account for an e-mail or username and password; Forbidden with one vague message."""
    login = login.strip()
    account = None
    if "\x00" not in login and len(login) <= EMAIL_MAX_LENGTH:
        query = (
            Account.filter(email=normalise_email_loosely(login))
            if "@" in login
            else Account.filter(actor__username=login.lower(), actor__domain="")
        )
        account = await query.select_related("actor").first()
    if account is None:
        verify_password(_dummy_hash(), password)
        raise Forbidden(BAD_LOGIN)
    if not verify_password(account.password_hash, password):
        raise Forbidden(BAD_LOGIN)
    if account.state == AccountState.PENDING:
        raise Forbidden("Your sign-up is waiting for an admin's approval.")
    if account.state == AccountState.SUSPENDED:
        raise Forbidden("This account is suspended.")
    now = utcnow()
    changes: dict[str, object] = {"last_login_at": now, "last_active_at": now}
    if needs_rehash(account.password_hash):
        changes["password_hash"] = hash_password(password)
    await Account.filter(id=account.id).update(**changes)
    return account


def normalise_email_loosely(email: str) -> str:
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


async def change_password(account: Account, new_password: str) -> None:
    """Set a new password and end every session of the account (the caller logs the person
    in again where they changed it)."""
    if problem := password_problem(new_password):
        raise Invalid({"password": problem})
    account.password_hash = hash_password(new_password)
    async with in_transaction():
        await account.save(update_fields=["password_hash"])
        await sessions.end_all(account.id)


async def change_own_password(account: Account, current: str, new_password: str) -> None:
    """A member changing their password proves they know the current one first."""
    errors: dict[str, str] = {}
    if not verify_password(account.password_hash, current):
        errors["current_password"] = "That is not your current password."
    if problem := password_problem(new_password):
        errors["password"] = problem
    if errors:
        raise Invalid(errors)
    await change_password(account, new_password)


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


async def _live_reset(token: str) -> PasswordReset:
    reset = await PasswordReset.get_or_none(token_hash=_token_hash(token)).select_related("account")
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        raise NotFound("This reset link is invalid or has expired. Ask for a new one.")
    return reset


async def check_reset_token(token: str) -> None:
    """Raise NotFound unless the token may still be used (so the form is not shown in vain)."""
    await _live_reset(token)


async def finish_password_reset(token: str, new_password: str) -> Account:
    reset = await _live_reset(token)
    async with in_transaction():
        await change_password(reset.account, new_password)
        reset.used_at = utcnow()
        await reset.save(update_fields=["used_at"])
        await PasswordReset.filter(account_id=reset.account.id, used_at=None).update(
            used_at=utcnow()
        )
    return reset.account


async def pending_signups() -> list[Account]:
    """Sign-ups waiting for an admin, oldest first (first come, first decided)."""
    return (
        await Account.filter(state=AccountState.PENDING)
        .select_related("actor")
        .order_by("created_at")
    )


async def get_pending_signup(account_id: str) -> Account:
    account = await Account.get_or_none(id=account_id, state=AccountState.PENDING).select_related(
        "actor"
    )
    if account is None:
        raise NotFound("This sign-up is not waiting for approval.")
    return account


async def approve_signup(account: Account, by: Account | None = None) -> None:
    if account.state != AccountState.PENDING:
        raise Conflict("This sign-up is not waiting for approval.")
    async with in_transaction():
        updated = await Account.filter(id=account.id, state=AccountState.PENDING).update(
            state=AccountState.ACTIVE
        )
        if not updated:
            raise Conflict("This sign-up has already been decided.")
        account.state = AccountState.ACTIVE
        await _audit(by, "signup.approve", account)


async def reject_signup(account: Account, by: Account | None = None) -> None:
    """Refuse a pending sign-up: the account and its person go, freeing the handle and address."""
    if account.state != AccountState.PENDING:
        raise Conflict("This sign-up is not waiting for approval.")
    async with in_transaction():
        await _audit(by, "signup.reject", account)
        # Deleting the actor cascades to the account.
        await Actor.filter(id=account.actor_id).delete()


async def _audit(by: Account | None, action: str, account: Account) -> None:
    actor = await Actor.get(id=account.actor_id)
    await audit.record(
        by.actor_id if by else None,
        action,
        target_type="account",
        target_id=account.id,
        target_label=f"@{actor.username}",
    )
