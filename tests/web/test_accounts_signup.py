"""Sign-up on the web: each registration mode, CSRF, the rate limit, and arbitrary input."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server import db, events
from server.models import Account, AccountState, Invite, OutgoingMail, RegistrationMode
from server.services import accounts, instance
from server.settings import Settings
from tests.conftest import BACKEND, BASE_URL, csrf_from
from tests.helpers import PASSWORD, client_for, confirm_signup, csrf, make_account

FORM = {
    "username": "ada",
    "display_name": "Ada Lovelace",
    "email": "ada@example.org",
    "password": PASSWORD,
}


async def post_signup(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = await csrf(client, "/signup")
    return await client.post("/signup", data={**FORM, "csrf_token": token, **fields})


async def test_signup_page__says_registration_is_open(client: httpx.AsyncClient) -> None:
    response = await client.get("/signup")
    assert response.status_code == 200
    assert "Registration is <strong>open</strong>" in response.text
    assert 'name="invite_code"' not in response.text
    assert 'name="reason"' not in response.text


async def test_signup__open_mode_mails_a_link_that_makes_the_account_and_logs_in(
    client: httpx.AsyncClient,
) -> None:
    # When a visitor signs up on an open instance
    response = await post_signup(client)
    # Then they are asked to check their mail, and nothing is stored yet
    assert (response.status_code, response.headers["location"]) == (303, "/signup/check-mail")
    assert await Account.all().count() == 0
    # (no SMTP server here: the page says where the mail went)
    assert "written to the server's log" in (await client.get("/signup/check-mail")).text
    # When they follow the mailed link and confirm
    confirmed = await confirm_signup(client, "ada@example.org")
    # Then they are logged in, and their account is active
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, "/home")
    account = await Account.get(email="ada@example.org").select_related("actor")
    assert account.state == AccountState.ACTIVE
    assert account.actor.display_name == "Ada Lovelace"
    home = await client.get("/")
    assert 'href="/u/ada"' in home.text


async def test_signup__the_link_honours_a_local_next(client: httpx.AsyncClient) -> None:
    await post_signup(client, next="/setup/claim?token=abc")
    response = await confirm_signup(client, "ada@example.org")
    assert response.headers["location"] == "/setup/claim?token=abc"


async def test_signup__the_link_ignores_a_next_to_another_site(client: httpx.AsyncClient) -> None:
    await post_signup(client, next="//evil.example/")
    response = await confirm_signup(client, "ada@example.org")
    assert response.headers["location"] == "/home"


@pytest.mark.parametrize("token", [None, "forged"])
async def test_signup__without_a_valid_csrf_token_is_403_and_stores_nothing(
    client: httpx.AsyncClient, token: str | None
) -> None:
    # Given a visitor with a session
    await client.get("/signup")
    # When the form arrives without the session's CSRF token
    data = dict(FORM) if token is None else {**FORM, "csrf_token": token}
    response = await client.post("/signup", data=data)
    # Then it is refused and no account exists
    assert response.status_code == 403
    assert await Account.all().count() == 0


async def test_signup__bad_fields_are_shown_with_422_and_store_nothing(
    client: httpx.AsyncClient,
) -> None:
    response = await post_signup(client, username="A B", email="nope", password="short")
    assert response.status_code == 422
    assert "lower-case letters" in response.text
    assert "Enter an e-mail address" in response.text
    assert "at least 10 characters" in response.text
    assert 'aria-invalid="true"' in response.text
    assert await Account.all().count() == 0


async def test_signup__a_taken_handle_is_shown_on_its_field(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    response = await post_signup(client, email="other@example.org")
    assert response.status_code == 422
    assert "already taken" in response.text
    assert await Account.all().count() == 1


async def test_signup__invite_mode_refuses_without_a_valid_code(
    client: httpx.AsyncClient,
) -> None:
    # Given invite-only registration
    await instance.set_registration_mode(RegistrationMode.INVITE)
    page = await client.get("/signup")
    assert "by invitation" in page.text and 'name="invite_code"' in page.text
    # When someone signs up without a code, and with a made-up one
    for code in ("", "made-up"):
        response = await post_signup(client, invite_code=code)
        # Then it is refused and nothing is stored
        assert response.status_code == 422
        assert "invitation" in response.text
    assert await Account.all().count() == 0


async def test_signup__an_invitation_link_fills_in_the_code(client: httpx.AsyncClient) -> None:
    # Given invite-only registration and an invitation
    admin = await make_account("grace", admin=True)
    await instance.set_registration_mode(RegistrationMode.INVITE)
    invite = await accounts.create_invite(admin, max_uses=2)
    # When someone opens the invitation link and signs up with the code it filled in
    page = await client.get(f"/signup?invite={invite.code}")
    assert f'value="{invite.code}"' in page.text
    response = await client.post(
        "/signup", data={**FORM, "invite_code": invite.code, "csrf_token": csrf_from(page.text)}
    )
    # Then, once they confirm, they are in, and the invitation counted the use
    assert response.status_code == 303
    await confirm_signup(client, "ada@example.org")
    assert await Account.filter(email="ada@example.org", state=AccountState.ACTIVE).exists()
    assert (await Invite.get(id=invite.id)).uses == 1


async def test_signup__approval_mode_waits_and_cannot_log_in_until_approved(
    client: httpx.AsyncClient,
) -> None:
    # Given approval mode
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    page = await client.get("/signup")
    assert "approved by an admin" in page.text and 'name="reason"' in page.text
    # When someone signs up with a reason
    response = await post_signup(client, reason="I run the Thursday study group.")
    # Then they see that the request waits, and are not logged in
    assert response.status_code == 303
    assert response.headers["location"] == "/signup/pending"
    pending = await client.get("/signup/pending")
    assert "awaits approval" in pending.text
    assert 'href="/u/ada"' not in pending.text
    account = await Account.get(email="ada@example.org")
    assert account.state == AccountState.PENDING
    # And logging in is refused until an admin approves
    token = await csrf(client, "/login")
    refused = await client.post(
        "/login", data={"login": "ada", "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 403
    assert "waiting for an admin" in refused.text
    await accounts.approve_signup(account)
    token = await csrf(client, "/login")
    accepted = await client.post(
        "/login", data={"login": "ada", "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 303


async def test_signup__approval_mode_needs_a_reason(client: httpx.AsyncClient) -> None:
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    response = await post_signup(client, reason="   ")
    assert response.status_code == 422
    assert "why you want to join" in response.text
    assert await Account.all().count() == 0


async def test_signup__only_successful_sign_ups_count_against_the_limit(
    settings: Settings, database: None
) -> None:
    # Given an instance that allows two sign-ups per address and hour
    limited = settings.model_copy(update={"signup_rate_limit": "2/hour"})
    async with client_for(limited) as client:
        # When one attempt fails and two succeed
        assert (await post_signup(client, password="short")).status_code == 422
        for name in ("ada", "bob"):
            client.cookies.clear()
            response = await post_signup(client, username=name, email=f"{name}@example.org")
            assert response.status_code == 303
        # Then the next sign-up from the same address is refused with a Retry-After
        client.cookies.clear()
        refused = await post_signup(client, username="cy", email="cy@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert await OutgoingMail.filter(kind="signup_confirmation").count() == 2


async def test_signup__logged_in_people_are_sent_on(client: httpx.AsyncClient) -> None:
    await post_signup(client)
    await confirm_signup(client, "ada@example.org")
    response = await client.get("/signup?next=/settings/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/profile"


# --- arbitrary input -----------------------------------------------------------------------------

text = st.text(max_size=80)
usernames = st.from_regex(r"[a-z0-9_]{2,30}", fullmatch=True) | text
emails = st.emails().map(str) | text
passwords = st.just(PASSWORD) | st.text(min_size=10, max_size=40) | text
modes = st.sampled_from(list(RegistrationMode))


@pytest.mark.skipif(
    BACKEND != "sqlite", reason="builds a database per example by copying the SQLite template"
)
def test_signup_and_login__arbitrary_fields_never_fail_or_over_create(
    migrated_template: str,
) -> None:
    # Each example gets its own app and a fresh copy of the migrated database, run in its own
    # event loop: Hypothesis drives a synchronous test, so no async fixture can be shared.
    @hypothesis_settings(deadline=None, max_examples=30)
    @given(
        mode=modes,
        username=usernames,
        display_name=text,
        email=emails,
        password=passwords,
        invite_code=text,
        reason=text,
        login=text | usernames,
    )
    def check(mode: RegistrationMode, login: str, **fields: str) -> None:
        directory = Path(tempfile.mkdtemp(prefix="lyceum-hypothesis-"))
        try:
            shutil.copyfile(migrated_template, directory / "db.sqlite3")
            example_settings = Settings(
                base_url=BASE_URL,
                data_dir=directory / "data",
                database_url=f"sqlite://{directory / 'db.sqlite3'}",
                secret_key="test-secret-key-" + "x" * 32,
                embedded_worker=False,
            )
            asyncio.run(_one_example(example_settings, mode, login, fields))
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    check()


async def _one_example(
    settings: Settings, mode: RegistrationMode, login: str, fields: dict[str, str]
) -> None:
    events.bus.clear()
    await db.open_database(settings)
    try:
        await instance.set_registration_mode(mode)
        async with client_for(settings) as client:
            # When arbitrary text is posted to the sign-up form
            token = await csrf(client, "/signup")
            signed_up = await client.post("/signup", data={**fields, "csrf_token": token})
            # Then the answer is never a server error; only approval mode stores an account
            # before its mailed link is followed, and then at most this one
            assert signed_up.status_code in (303, 422), signed_up.text
            waits = signed_up.status_code == 303 and mode == RegistrationMode.APPROVAL
            assert await Account.all().count() == (1 if waits else 0)
            # And logging in with arbitrary text is refused or accepted, never an error
            client.cookies.clear()
            token = await csrf(client, "/login")
            logged_in = await client.post(
                "/login",
                data={"login": login, "password": fields["password"], "csrf_token": token},
            )
            assert logged_in.status_code in (303, 403, 422), logged_in.text
            assert await Account.all().count() <= 1
    finally:
        await db.close_database()
        events.bus.clear()
