"""The accounts service: sign-up under each registration mode, log-in, resets, approvals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.models import (
    Account,
    AccountState,
    Actor,
    AuditEntry,
    InstanceConfig,
    Invite,
    PasswordReset,
    RegistrationMode,
    Session,
    utcnow,
)
from server.services import accounts, instance, sessions
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.passwords import verify_password
from tests.helpers import PASSWORD, make_account

pytestmark = pytest.mark.usefixtures("database")


def signup(username: str = "ada", **overrides: str) -> accounts.SignUp:
    fields = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
    return accounts.SignUp(**{**fields, **overrides})


async def test_sign_up__open_mode_creates_an_active_account() -> None:
    # Given the default, open registration
    # When someone signs up
    account = await accounts.sign_up(signup("ada", display_name="  Ada L.  "))
    # Then their account is active, with a hashed password and a trimmed name
    stored = await Account.get(id=account.id).select_related("actor")
    assert stored.state == AccountState.ACTIVE
    assert stored.actor.username == "ada" and stored.actor.display_name == "Ada L."
    assert stored.password_hash.startswith("$argon2id$")
    assert verify_password(stored.password_hash, PASSWORD)


@pytest.mark.real_keys
async def test_sign_up__uses_argon2id_at_full_cost_and_a_key_of_its_own() -> None:
    # Given the real hashing and key generation (other tests share one cheap set)
    # When two people sign up
    ada = await accounts.sign_up(signup("ada"))
    ben = await accounts.sign_up(signup("ben", email="ben@example.org"))
    # Then the hash carries Argon2id's default cost (64 MiB, 3 passes), not a test's
    stored = await Account.get(id=ada.id).select_related("actor")
    assert "$m=65536,t=3," in stored.password_hash
    # And each person has a key pair of their own
    other = await Account.get(id=ben.id).select_related("actor")
    assert stored.actor.private_key_pem != other.actor.private_key_pem


async def test_sign_up__reports_every_bad_field_at_once() -> None:
    # When a sign-up breaks several rules
    with pytest.raises(Invalid) as caught:
        await accounts.sign_up(
            accounts.SignUp(username="A!", email="not-an-address", password="short")
        )
    # Then each field has its message, and nothing is stored
    assert set(caught.value.errors) == {"username", "email", "password"}
    assert await Account.all().count() == 0


async def test_sign_up__a_taken_handle_is_a_field_error_that_says_nothing_of_the_address() -> None:
    # Given an account
    await make_account("ada")
    # When another sign-up uses the same handle and (differently cased) address
    with pytest.raises(Invalid) as caught:
        await accounts.sign_up(signup("ADA", email="ada@EXAMPLE.org"))
    # Then only the handle (public anyway) is said to be taken, and no second account exists
    assert set(caught.value.errors) == {"username"}
    assert "e-mail" not in caught.value.errors["username"]
    assert await Account.all().count() == 1


async def test_sign_up__a_known_address_names_its_account_to_the_caller_only() -> None:
    # Given an account
    ada = await make_account("ada")
    # When someone signs up with a new handle and Ada's (differently cased) address
    with pytest.raises(accounts.AddressInUse) as caught:
        await accounts.sign_up(signup("ben", email="ada@EXAMPLE.org"))
    # Then the caller learns whose address it is (to mail them), and nothing is stored
    assert caught.value.account.id == ada.id
    assert caught.value.account.actor.username == "ada"
    assert await Account.all().count() == 1


async def test_create_signed_up__checks_again_when_the_link_is_used() -> None:
    # Given a sign-up checked while its handle and address were free
    checked = await accounts.check_sign_up(signup("ada"))
    # When someone else takes the handle before the link is used
    await make_account("ada", display_name="Other")
    # Then making the account is refused on the handle
    with pytest.raises(Invalid) as caught:
        await accounts.create_signed_up(checked)
    assert set(caught.value.errors) == {"username"}
    # And a sign-up whose address got an account meanwhile names that account
    other = await accounts.check_sign_up(signup("bea"))
    await accounts.create_account("bee", "bea@example.org", PASSWORD)
    with pytest.raises(accounts.AddressInUse):
        await accounts.create_signed_up(other)
    assert await Account.all().count() == 2


async def test_sign_up__approval_mode_needs_a_reason_and_leaves_the_account_pending() -> None:
    # Given approval mode
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    # When someone signs up without a reason, then with one
    with pytest.raises(Invalid) as caught:
        await accounts.sign_up(signup("ada"))
    assert "reason" in caught.value.errors
    account = await accounts.sign_up(signup("ada", reason="I teach maths."))
    # Then the account waits, keeps the reason, and cannot log in
    assert account.state == AccountState.PENDING
    assert account.signup_reason == "I teach maths."
    with pytest.raises(Forbidden, match="waiting"):
        await accounts.authenticate("ada", PASSWORD)


async def test_sign_up__invite_mode_refuses_without_a_valid_code() -> None:
    # Given invite-only registration
    await instance.set_registration_mode(RegistrationMode.INVITE)
    for code in ("", "no-such-code"):
        # When someone signs up without a valid code
        with pytest.raises(Invalid) as caught:
            await accounts.sign_up(signup("ada", invite_code=code))
        # Then it is refused and nothing is stored
        assert "invite_code" in caught.value.errors
    assert await Account.all().count() == 0


async def test_sign_up__an_invite_works_for_its_number_of_uses() -> None:
    # Given invite-only registration and an invitation for one person
    admin = await make_account("grace", admin=True)
    await instance.set_registration_mode(RegistrationMode.INVITE)
    invite = await accounts.create_invite(admin, max_uses=1, days=7)
    # When two people use it
    await accounts.sign_up(signup("ada", invite_code=invite.code))
    with pytest.raises(Invalid) as caught:
        await accounts.sign_up(signup("bob", invite_code=invite.code))
    # Then only the first gets in, and the invitation counts one use
    assert "invite_code" in caught.value.errors
    assert await Account.filter(actor__username="bob").count() == 0
    assert (await Invite.get(id=invite.id)).uses == 1


async def test_sign_up__an_expired_invite_is_refused() -> None:
    admin = await make_account("grace", admin=True)
    await instance.set_registration_mode(RegistrationMode.INVITE)
    invite = await accounts.create_invite(admin, max_uses=5, days=1)
    await Invite.filter(id=invite.id).update(expires_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(Invalid, match="expired"):
        await accounts.sign_up(signup("ada", invite_code=invite.code))
    assert await Account.all().count() == 1  # the admin only


@pytest.mark.parametrize(
    ("max_uses", "days", "field"), [(0, 7, "max_uses"), (1001, 7, "max_uses"), (1, 366, "days")]
)
async def test_create_invite__refuses_out_of_range_values(
    max_uses: int, days: int, field: str
) -> None:
    admin = await make_account("grace", admin=True)
    with pytest.raises(Invalid) as caught:
        await accounts.create_invite(admin, max_uses=max_uses, days=days)
    assert field in caught.value.errors
    assert await Invite.all().count() == 0


async def test_create_invite__zero_days_never_expires() -> None:
    admin = await make_account("grace", admin=True)
    invite = await accounts.create_invite(admin, max_uses=3, days=0)
    assert invite.expires_at is None
    assert [i.code for i in await accounts.list_invites()] == [invite.code]


async def test_authenticate__wrong_password_and_unknown_user_share_one_message() -> None:
    # Given an account
    await make_account("ada")
    # When someone logs in with a wrong password, and as someone unknown
    with pytest.raises(Forbidden) as wrong:
        await accounts.authenticate("ada", "not the password")
    with pytest.raises(Forbidden) as unknown:
        await accounts.authenticate("nobody@example.org", PASSWORD)
    # Then the two answers cannot be told apart
    assert wrong.value.message == unknown.value.message == accounts.BAD_LOGIN


async def test_authenticate__by_e_mail_ignores_the_domains_case() -> None:
    account = await make_account("ada")
    found = await accounts.authenticate("ada@EXAMPLE.ORG", PASSWORD)
    assert found.id == account.id
    assert (await Account.get(id=account.id)).last_login_at is not None


async def test_approve_signup__lets_the_person_log_in_and_is_audited() -> None:
    # Given a pending sign-up and an admin
    admin = await make_account("grace", admin=True)
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    pending = await accounts.sign_up(signup("ada", reason="Hello"))
    # When the admin approves it
    await accounts.approve_signup(await accounts.get_pending_signup(pending.id), by=admin)
    # Then the person can log in, the decision is in the audit log, and it cannot repeat
    assert (await accounts.authenticate("ada", PASSWORD)).id == pending.id
    entry = await AuditEntry.get(action="signup.approve")
    assert entry.target_label == "@ada"
    with pytest.raises(NotFound):
        await accounts.get_pending_signup(pending.id)


async def test_reject_signup__removes_the_account_and_its_person() -> None:
    admin = await make_account("grace", admin=True)
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    pending = await accounts.sign_up(signup("ada", reason="Hello"))
    await accounts.reject_signup(pending, by=admin)
    assert not await Account.filter(id=pending.id).exists()
    assert not await Actor.filter(username="ada").exists()
    assert await AuditEntry.filter(action="signup.reject").count() == 1
    # And the handle is free again
    assert (await accounts.sign_up(signup("ada", reason="Again"))).state == AccountState.PENDING


async def test_approve_signup__an_active_account_is_a_conflict() -> None:
    account = await make_account("ada")
    with pytest.raises(Conflict):
        await accounts.approve_signup(account)
    with pytest.raises(Conflict):
        await accounts.reject_signup(account)
    assert await Account.filter(id=account.id, state=AccountState.ACTIVE).exists()


async def test_password_reset__a_token_works_once_and_ends_sessions() -> None:
    # Given an account that asked for a reset
    account = await make_account("ada")
    await sessions.start_session(account, lifetime=timedelta(days=30))
    started = await accounts.start_password_reset("ada@example.org")
    assert started is not None
    _, token = started
    # When the token is used
    await accounts.check_reset_token(token)
    await accounts.finish_password_reset(token, "a brand new password")
    # Then the password changed, older sessions end, and the token is spent
    stored = await Account.get(id=account.id)
    assert verify_password(stored.password_hash, "a brand new password")
    assert not await Session.filter(account_id=account.id).exists()
    with pytest.raises(NotFound):
        await accounts.finish_password_reset(token, "yet another password")
    # And only a hash of the token was ever stored
    assert not await PasswordReset.filter(token_hash=token).exists()


async def test_password_reset__unknown_address_gives_no_token() -> None:
    assert await accounts.start_password_reset("nobody@example.org") is None
    assert await accounts.start_password_reset("not an address") is None
    assert await PasswordReset.all().count() == 0


async def test_password_reset__an_expired_token_is_refused() -> None:
    account = await make_account("ada")
    started = await accounts.start_password_reset(account.email)
    assert started is not None
    await PasswordReset.all().update(expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(NotFound):
        await accounts.finish_password_reset(started[1], "a brand new password")
    assert verify_password((await Account.get(id=account.id)).password_hash, PASSWORD)


async def test_change_own_password__needs_the_current_password() -> None:
    account = await make_account("ada")
    with pytest.raises(Invalid) as caught:
        await accounts.change_own_password(account, "wrong", "a brand new password")
    assert set(caught.value.errors) == {"current_password"}
    assert verify_password((await Account.get(id=account.id)).password_hash, PASSWORD)


async def test_set_registration_mode__stores_a_known_mode_and_refuses_others() -> None:
    await instance.set_registration_mode("invite")
    assert (await InstanceConfig.get(id=1)).registration_mode == RegistrationMode.INVITE
    with pytest.raises(Invalid):
        await instance.set_registration_mode("everyone")
    assert (await InstanceConfig.get(id=1)).registration_mode == RegistrationMode.INVITE
