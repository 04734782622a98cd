"""The member's mail preferences page (/settings/email), the unsubscribe pages (/unsubscribe/…)
and the admin's mail page (/admin/mail)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.mail.unsubscribe import unsubscribe_url
from server.models import Account, MailPreferences, MailState, OutgoingMail, utcnow
from server.settings import Settings
from tests.helpers import csrf, log_in, make_account
from tests.web.test_form_properties import urlencoded
from web.forms import clean_text

VALID = {
    "replies": "daily",
    "mentions": "immediate",
    "answers": "weekly",
    "moderation": "never",
    "digest": "weekly",
    "digest_hour": "18",
    "digest_weekday": "4",
    "time_zone": "Europe/Paris",
}


async def test_settings_email__saves_the_choices(client: httpx.AsyncClient) -> None:
    # Given a logged-in member
    account = await make_account("ada")
    await log_in(client, "ada")
    page = await client.get("/settings/email")
    assert page.status_code == 200
    # When they choose
    response = await client.post(
        "/settings/email", data={**VALID, "csrf_token": await csrf(client, "/settings/email")}
    )
    # Then the choices are stored and the page says so
    assert response.status_code == 303
    row = await MailPreferences.get(account=account)
    assert (row.replies, row.answers, row.digest_weekday, row.time_zone) == (
        "daily",
        "weekly",
        4,
        "Europe/Paris",
    )
    assert row.no_email is False
    saved = await client.get(response.headers["location"])
    assert "Your mail preferences are saved." in saved.text
    assert 'value="Europe/Paris"' in saved.text


async def test_settings_email__an_unknown_zone_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    account = await make_account("ada")
    await log_in(client, "ada")
    response = await client.post(
        "/settings/email",
        data={**VALID, "time_zone": "Europe/Atlantis", "csrf_token": await csrf(client, "/")},
    )
    assert response.status_code == 422
    assert "Choose a time zone from the list" in response.text
    assert not await MailPreferences.filter(account=account).exists()


CHOICES = {
    "replies": ["immediate", "daily", "weekly", "never"],
    "mentions": ["immediate", "daily", "weekly", "never"],
    "answers": ["immediate", "daily", "weekly", "never"],
    "moderation": ["immediate", "daily", "weekly", "never"],
    "digest": ["daily", "weekly", "never"],
    "digest_hour": [str(hour) for hour in range(24)],
    "digest_weekday": [str(day) for day in range(7)],
    "time_zone": ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"],
}
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "\ud800", "24", "-1", "1e3", "Europe/../etc", "‮UTC", "x" * 5000]),
)


def field_value(name: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(CHOICES[name]), ODD_TEXT)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.fixed_dictionaries({name: field_value(name) for name in CHOICES}))
async def test_settings_email__any_form_is_saved_exactly_or_refused_with_nothing_changed(
    client: httpx.AsyncClient, values: dict[str, str]
) -> None:
    # Given a logged-in member (made once, kept between examples)
    account = await make_account("ada") if not await _logged_in(client) else None
    if account is not None:
        await log_in(client, "ada")
    ada = await Account.get(email="ada@example.org")
    before = await MailPreferences.filter(account=ada).values()
    # When the generated form is posted
    response = await client.post(
        "/settings/email",
        content=urlencoded([*values.items(), ("csrf_token", await csrf(client, "/"))]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    # Then it is saved exactly as sent, or refused with a 422 and nothing changed
    assert response.status_code in (303, 422), response.status_code
    after = await MailPreferences.filter(account=ada).values()
    if response.status_code == 422:
        assert after == before
        return
    valid = all(values[name] in CHOICES[name] for name in CHOICES if name != "time_zone")
    assert valid
    (row,) = after
    for name in ("replies", "mentions", "answers", "moderation", "digest"):
        assert row[name] == values[name]
    assert str(row["digest_hour"]) == values["digest_hour"]
    assert str(row["digest_weekday"]) == values["digest_weekday"]
    assert row["time_zone"] == clean_text(values["time_zone"]).strip()


async def _logged_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/settings/email")
    return response.status_code == 200


async def test_unsubscribe__works_logged_out_with_a_confirm_step(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Given a member and their mailed link, and a visitor who is not logged in
    account = await make_account("ada")
    url = unsubscribe_url(settings, account.id)
    # When the link is opened, Then a page asks to confirm and changes nothing yet
    page = await client.get(url)
    assert page.status_code == 200
    assert "<button" in page.text and 'href="/settings/email"' in page.text
    assert not await MailPreferences.filter(account=account, no_email=True).exists()
    # When the button is pressed (no CSRF token: the signed token is the authorisation)
    done = await client.post(url)
    # Then mail is off
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert await MailPreferences.filter(account=account, no_email=True).exists()


@pytest.mark.parametrize("token", ["x", "a" * 5000, "IjAxIg.bad", "%00", "\u202e"])
async def test_unsubscribe__a_bad_token_is_a_404(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post(f"/unsubscribe/{token}")
    assert response.status_code in (400, 404)  # a NUL in the path is refused before routing


async def test_admin_mail__lists_given_up_mail_and_retries_it(client: httpx.AsyncClient) -> None:
    # Given a message the SMTP server refused for good
    await make_account("boss", admin=True)
    bounced = await OutgoingMail.create(
        to_address="gone@example.org",
        kind="notification",
        dedup_key="bounce:1",
        subject="Someone replied",
        text_body="Hello",
        state=MailState.DEAD,
        attempts=1,
        last_error="SMTPRecipientsRefused: 550 No such user",
        next_attempt_at=utcnow(),
    )
    await log_in(client, "boss")
    # When the admin opens the mail page, Then it shows the address and the error
    page = await client.get("/admin/mail")
    assert page.status_code == 200
    assert "gone@example.org" in page.text
    assert "550 No such user" in page.text
    # When they retry it, Then it is queued again for a fresh set of tries
    response = await client.post(
        f"/admin/mail/{bounced.id}/retry", data={"csrf_token": await csrf(client, "/admin/mail")}
    )
    assert response.status_code == 303
    row = await OutgoingMail.get(id=bounced.id)
    assert (row.state, row.attempts) == (MailState.QUEUED, 0)
