"""Sign-up never tells a stranger whether an address has an account: the same answer and page
for a new and a known address, in every registration mode, and a mail to the address's owner.
With an SMTP server, open and invite-only sign-ups are finished by a mailed link."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from server.models import (
    Account,
    AccountState,
    Invite,
    JoinPolicy,
    Membership,
    MembershipState,
    RegistrationMode,
)
from server.services import accounts, group_invites, instance
from server.settings import Settings
from tests.conftest import csrf_from
from tests.helpers import PASSWORD, client_for, csrf, make_account, make_group
from tests.web._smtp import SmtpServer, body_of, running_smtp_server, send_queued_mail

LINK_RE = re.compile(r"http://lyceum\.test(/signup/confirm/[A-Za-z0-9_=-]+)")


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


async def sign_up(
    client: httpx.AsyncClient, username: str, address: str, **extra: str
) -> httpx.Response:
    client.cookies.clear()
    token = await csrf(client, "/signup")
    form = {"username": username, "email": address, "password": PASSWORD, "csrf_token": token}
    return await client.post("/signup", data={**form, **extra})


async def followed(client: httpx.AsyncClient, response: httpx.Response) -> tuple[int, str, str]:
    """What a visitor sees after posting the form: status, where they were sent, and that page."""
    location = response.headers.get("location", "")
    page = await client.get(location) if location else response
    return response.status_code, location, page.text


@pytest.mark.parametrize("mode", [RegistrationMode.OPEN, RegistrationMode.INVITE])
async def test_signup__with_mail_a_known_and_a_new_address_get_the_same_answer(
    mail_client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    settings: Settings,
    mode: RegistrationMode,
) -> None:
    # Given an instance that sends mail, a member, and (invite mode) an invitation
    admin = await make_account("ada", admin=True)
    await instance.set_registration_mode(mode)
    code = (await accounts.create_invite(admin, max_uses=5)).code if mode == "invite" else ""
    extra = {"invite_code": code} if code else {}
    # When one stranger signs up with Ada's address and another with a new one
    known = await followed(
        mail_client, await sign_up(mail_client, "bea", "ada@example.org", **extra)
    )
    new = await followed(mail_client, await sign_up(mail_client, "cy", "cy@example.org", **extra))
    # Then both see the same answer and page, and neither is logged in
    assert known == new
    assert known[:2] == (303, "/signup/check-mail")
    assert "Check your e-mail" in known[2] and 'href="/u/' not in known[2]
    # And nothing is stored yet, and no invitation is spent
    assert await Account.all().count() == 1
    if code:
        assert (await Invite.get(code=code)).uses == 0
    # And Ada is told someone tried, while the new address gets a link to finish
    await send_queued_mail(settings, smtp_server)
    assert smtp_server.inbox.recipients == ["ada@example.org", "cy@example.org"]
    to_ada, to_cy = (body_of(message) for message in smtp_server.inbox.messages)
    assert "already belongs to your account" in to_ada and "/reset" in to_ada
    assert LINK_RE.search(to_ada) is None
    assert LINK_RE.search(to_cy) is not None


async def test_signup__the_mailed_link_creates_the_account_once(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    # Given a sign-up waiting for its link
    await sign_up(mail_client, "cy", "cy@example.org")
    await send_queued_mail(settings, smtp_server)
    match = LINK_RE.search(body_of(smtp_server.inbox.messages[0]))
    assert match is not None
    link = match.group(1)
    # When the link is opened, nothing is created yet (mail scanners open links)
    page = await mail_client.get(link)
    assert page.status_code == 200 and "@cy" in page.text
    assert await Account.all().count() == 0
    # When the person confirms
    response = await mail_client.post(link, data={"csrf_token": csrf_from(page.text)})
    # Then the account exists, active, and they are logged in
    assert response.status_code == 303
    account = await Account.get(email="cy@example.org").select_related("actor")
    assert account.state == AccountState.ACTIVE and account.actor.username == "cy"
    assert 'href="/u/cy"' in (await mail_client.get("/")).text
    # And the link cannot make a second account
    again = await mail_client.post(link, data={"csrf_token": await csrf(mail_client)})
    assert again.status_code == 409
    assert await Account.all().count() == 1


async def test_signup__an_altered_link_is_404_and_creates_nothing(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    await sign_up(mail_client, "cy", "cy@example.org")
    await send_queued_mail(settings, smtp_server)
    match = LINK_RE.search(body_of(smtp_server.inbox.messages[0]))
    assert match is not None
    link = match.group(1)
    altered = link[:-6] + ("A" if link[-6] != "A" else "B") + link[-5:]
    assert (await mail_client.get(altered)).status_code == 404
    assert (await mail_client.get("/signup/confirm/not-a-token")).status_code == 404
    assert await Account.all().count() == 0


async def test_signup__approval_mode_a_known_address_sees_the_same_waiting_page(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    # Given approval mode and a member
    await make_account("ada")
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    reason = {"reason": "I teach."}
    # When a stranger signs up with Ada's address, and another with a new one
    known = await followed(
        mail_client, await sign_up(mail_client, "bea", "ada@example.org", **reason)
    )
    new = await followed(mail_client, await sign_up(mail_client, "cy", "cy@example.org", **reason))
    # Then both are told their request waits, on the same page
    assert known == new
    assert known[:2] == (303, "/signup/pending")
    # And only the new address has a pending account; Ada is mailed about the attempt
    assert await Account.filter(state=AccountState.PENDING).count() == 1
    await send_queued_mail(settings, smtp_server)
    assert smtp_server.inbox.recipients == ["ada@example.org"]
    assert "Someone tried to sign up" in body_of(smtp_server.inbox.messages[0])


async def test_signup__without_mail_a_known_and_a_new_address_get_the_same_answer(
    client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an instance with no SMTP server, and a member
    await make_account("ada")
    # When someone signs up with Ada's address, and someone else with a new one
    known = await followed(client, await sign_up(client, "bea", "ada@example.org"))
    new = await followed(client, await sign_up(client, "cy", "cy@example.org"))
    # Then both see the same page, and no account is made yet
    assert known == new
    assert known[:2] == (303, "/signup/check-mail")
    assert await Account.all().count() == 1
    # And the mail each would have had goes to the log for the operator
    with caplog.at_level(logging.INFO, logger="lyceum.mail"):
        assert await send_queued_mail(settings) == 2
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "lyceum.mail")
    assert "already belongs to your account" in logged and "/signup/confirm/" in logged


async def test_signup__a_taken_handle_never_mentions_the_address(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    # Given a member
    await make_account("ada")
    # When someone picks her handle, with her address and with another one
    with_hers = await sign_up(mail_client, "ada", "ada@example.org")
    with_other = await sign_up(mail_client, "ada", "zed@example.org")
    # Then both get the same handle error, saying nothing about the address; no mail goes out
    assert with_hers.status_code == with_other.status_code == 422
    assert "already taken" in with_hers.text
    assert "e-mail address already" not in with_hers.text
    errors = re.compile(r'class="error"[^>]*>([^<]*)<')
    assert errors.findall(with_hers.text) == errors.findall(with_other.text) != []
    await send_queued_mail(settings, smtp_server)
    assert smtp_server.inbox.messages == []


async def test_signup__a_mailed_link_with_a_group_invitation_lands_in_the_group(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer, settings: Settings
) -> None:
    # Given a group invitation, and a sign-up made with it that waits for its link
    olga = await make_account("olga")
    group = await make_group(olga, "circle", join_policy=JoinPolicy.APPROVAL)
    invite = await group_invites.create_link(group, olga)
    await sign_up(mail_client, "cy", "cy@example.org", invite_code=invite.code)
    await send_queued_mail(settings, smtp_server)
    match = LINK_RE.search(body_of(smtp_server.inbox.messages[0]))
    assert match is not None
    # When the person confirms
    page = await mail_client.get(match.group(1))
    response = await mail_client.post(match.group(1), data={"csrf_token": csrf_from(page.text)})
    # Then they are a member of the group, and land on its page
    assert (response.status_code, response.headers["location"]) == (303, "/g/circle")
    assert await Membership.filter(
        group=group, actor__username="cy", state=MembershipState.ACCEPTED
    ).exists()
    assert (await Invite.get(id=invite.id)).uses == 1
