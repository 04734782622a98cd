"""Password reset by e-mail, against a real SMTP server (aiosmtpd) on a port the OS picks."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from server.models import Account, MailState, OutgoingMail, PasswordReset
from server.services.passwords import verify_password
from server.settings import Settings
from tests.conftest import csrf_from
from tests.helpers import PASSWORD, client_for, csrf, make_account
from tests.web._smtp import SmtpServer, body_of, running_smtp_server, send_queued_mail

NEW_PASSWORD = "a brand new password"
LINK_RE = re.compile(r"http://lyceum\.test(/reset/[A-Za-z0-9_-]+)")


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    async with running_smtp_server() as server:
        yield server


@pytest.fixture
async def mail_client(
    settings: Settings, database: None, smtp_server: SmtpServer
) -> AsyncIterator[httpx.AsyncClient]:
    with_smtp = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port}
    )
    async with client_for(with_smtp) as client:
        yield client


async def ask_for_reset(client: httpx.AsyncClient, address: str) -> httpx.Response:
    token = await csrf(client, "/reset")
    return await client.post("/reset", data={"email": address, "csrf_token": token})


async def test_reset__the_mailed_link_sets_a_new_password(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    # Given an account
    account = await make_account("ada")
    # When its owner asks for a reset
    response = await ask_for_reset(mail_client, "ada@example.org")
    # Then they see the usual answer, and a mail with a link reached the SMTP server
    assert response.status_code == 303
    answer = await mail_client.get(response.headers["location"])
    assert "If an account uses that address" in answer.text
    await send_queued_mail(settings, smtp_server)
    assert smtp_server.inbox.recipients == ["ada@example.org"]
    message = smtp_server.inbox.messages[0]
    assert message["Subject"] == "Reset your password"
    assert message["From"] == "lyceum@lyceum.test"
    match = LINK_RE.search(body_of(message))
    assert match, body_of(message)
    # When they follow the link and choose a new password
    form = await mail_client.get(match.group(1))
    assert form.status_code == 200
    assert '<meta name="referrer" content="no-referrer">' in form.text
    done = await mail_client.post(
        match.group(1),
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_from(form.text),
        },
    )
    # Then the new password works, the old one does not, and the link is spent
    assert done.status_code == 303
    assert done.headers["location"] == "/login?notice=password-reset"
    login_page = await mail_client.get(done.headers["location"])
    assert "Your password has been changed" in login_page.text
    stored = await Account.get(id=account.id)
    assert verify_password(stored.password_hash, NEW_PASSWORD)
    assert not verify_password(stored.password_hash, PASSWORD)
    assert (await mail_client.get(match.group(1))).status_code == 404


async def test_reset__an_unknown_address_gets_the_same_answer_and_no_mail(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    await make_account("ada")
    known = await ask_for_reset(mail_client, "ada@example.org")
    unknown = await ask_for_reset(mail_client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"]
    await send_queued_mail(settings, smtp_server)
    assert smtp_server.inbox.recipients == ["ada@example.org"]
    assert await PasswordReset.all().count() == 1


async def test_reset__without_csrf_is_403_and_sends_nothing(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    await make_account("ada")
    await mail_client.get("/reset")
    response = await mail_client.post("/reset", data={"email": "ada@example.org"})
    assert response.status_code == 403
    await send_queued_mail(settings, smtp_server)
    assert smtp_server.inbox.messages == []
    assert await PasswordReset.all().count() == 0


async def test_reset__different_passwords_are_422_and_change_nothing(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    account = await make_account("ada")
    await ask_for_reset(mail_client, "ada@example.org")
    await send_queued_mail(settings, smtp_server)
    match = LINK_RE.search(body_of(smtp_server.inbox.messages[0]))
    assert match
    form = await mail_client.get(match.group(1))
    for new, confirm in ((NEW_PASSWORD, "something else"), ("short", "short")):
        response = await mail_client.post(
            match.group(1),
            data={"password": new, "confirm": confirm, "csrf_token": csrf_from(form.text)},
        )
        assert response.status_code == 422
    assert verify_password((await Account.get(id=account.id)).password_hash, PASSWORD)
    # And the link still works afterwards
    assert (await mail_client.get(match.group(1))).status_code == 200


async def test_reset__an_unknown_token_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/reset/not-a-real-token")).status_code == 404
    token = await csrf(client, "/reset")
    response = await client.post(
        "/reset/not-a-real-token",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 404


async def test_reset__without_an_smtp_server_the_mail_goes_to_the_log(
    client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Given no SMTP host (the default)
    await make_account("ada")
    # When a reset is asked for, and the worker sends the mail
    response = await ask_for_reset(client, "ada@example.org")
    with caplog.at_level(logging.INFO, logger="lyceum.mail"):
        assert await send_queued_mail(settings) == 1
    # Then the mail, with its link, is written to the log
    assert response.status_code == 303
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "lyceum.mail")
    assert LINK_RE.search(logged)


async def test_reset__an_unreachable_smtp_server_still_gives_the_same_answer(
    settings: Settings, database: None
) -> None:
    # Given an SMTP port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    broken = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": closed_port})
    await make_account("ada")
    async with client_for(broken) as client:
        response = await ask_for_reset(client, "ada@example.org")
    # Then the visitor sees the usual answer (the request never waits for the mail server)
    assert response.status_code == 303
    assert response.headers["location"] == "/reset?notice=reset-sent"
    # And the worker's failed try is recorded, to be tried again
    await send_queued_mail(broken)
    queued = await OutgoingMail.get(to_address="ada@example.org")
    assert (queued.state, queued.attempts) == (MailState.QUEUED, 1)
    assert queued.last_error
