"""The admin's registration pages: the mode, pending sign-ups, invitations; and the first claim."""

from __future__ import annotations

import re

import httpx
import pytest

from server.models import (
    Account,
    AccountState,
    Actor,
    InstanceConfig,
    Invite,
    RegistrationMode,
    Role,
)
from server.services import accounts, instance, setup
from server.settings import Settings
from tests.helpers import PASSWORD, csrf, log_in, make_account

ADMIN_PAGES = ["/admin/registration", "/admin/signups", "/admin/invites"]


async def pending_signup(username: str = "ada") -> Account:
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    return await accounts.sign_up(
        accounts.SignUp(
            username=username,
            email=f"{username}@example.org",
            password=PASSWORD,
            reason="I teach evening classes.",
        )
    )


async def stored_mode() -> RegistrationMode:
    return (await InstanceConfig.get(id=1)).registration_mode


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_admin_pages__send_visitors_to_log_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_admin_pages__are_403_for_members(client: httpx.AsyncClient, path: str) -> None:
    await make_account("bob")
    await log_in(client, "bob")
    assert (await client.get(path)).status_code == 403


async def test_admin_pages__posts_by_members_are_403_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Given a pending sign-up and a logged-in member
    pending = await pending_signup()
    await make_account("bob")
    await log_in(client, "bob")
    token = await csrf(client, "/")
    # When the member posts to each admin form
    answers = [
        await client.post("/admin/registration", data={"mode": "open", "csrf_token": token}),
        await client.post(f"/admin/signups/{pending.id}/approve", data={"csrf_token": token}),
        await client.post(f"/admin/signups/{pending.id}/reject", data={"csrf_token": token}),
        await client.post(
            "/admin/invites", data={"max_uses": "1", "days": "7", "csrf_token": token}
        ),
    ]
    # Then every one is refused and nothing changed
    assert [a.status_code for a in answers] == [403] * 4
    assert await stored_mode() == RegistrationMode.APPROVAL
    assert (await Account.get(id=pending.id)).state == AccountState.PENDING
    assert await Invite.all().count() == 0


async def test_registration__the_admin_chooses_the_mode(client: httpx.AsyncClient) -> None:
    # Given a logged-in admin
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    page = await client.get("/admin/registration")
    assert re.search(r'<input checked[^>]*value="open"', page.text)
    # When they choose invite-only
    token = await csrf(client, "/admin/registration")
    response = await client.post(
        "/admin/registration", data={"mode": "invite", "csrf_token": token}
    )
    # Then it is stored and the sign-up page says so
    assert response.status_code == 303
    assert await stored_mode() == RegistrationMode.INVITE
    assert (
        "The registration mode has been saved."
        in (await client.get(response.headers["location"])).text
    )
    client.cookies.clear()
    assert "by invitation" in (await client.get("/signup")).text


async def test_registration__an_unknown_mode_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    token = await csrf(client, "/admin/registration")
    response = await client.post(
        "/admin/registration", data={"mode": "everyone", "csrf_token": token}
    )
    assert response.status_code == 422
    assert await stored_mode() == RegistrationMode.OPEN


async def test_registration__without_csrf_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    response = await client.post("/admin/registration", data={"mode": "invite"})
    assert response.status_code == 403
    assert await stored_mode() == RegistrationMode.OPEN


async def test_signups__empty_state(client: httpx.AsyncClient) -> None:
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    response = await client.get("/admin/signups")
    assert "No sign-ups are waiting" in response.text


async def test_signups__approving_lets_the_person_log_in(client: httpx.AsyncClient) -> None:
    # Given a pending sign-up and a logged-in admin
    pending = await pending_signup()
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    # When the admin sees it and approves it
    page = await client.get("/admin/signups")
    assert "@ada" in page.text and "I teach evening classes." in page.text
    token = await csrf(client, "/admin/signups")
    response = await client.post(f"/admin/signups/{pending.id}/approve", data={"csrf_token": token})
    # Then the account is active, the list is empty, and the person can log in
    assert response.status_code == 303
    assert (await Account.get(id=pending.id)).state == AccountState.ACTIVE
    assert "No sign-ups are waiting" in (await client.get("/admin/signups")).text
    client.cookies.clear()
    await log_in(client, "ada")


async def test_signups__rejecting_deletes_the_account_and_its_person(
    client: httpx.AsyncClient,
) -> None:
    pending = await pending_signup()
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    token = await csrf(client, "/admin/signups")
    response = await client.post(f"/admin/signups/{pending.id}/reject", data={"csrf_token": token})
    assert response.status_code == 303
    assert not await Account.filter(id=pending.id).exists()
    assert not await Actor.filter(username="ada").exists()


async def test_signups__deciding_an_unknown_or_decided_sign_up_is_404(
    client: httpx.AsyncClient,
) -> None:
    member = await make_account("bob")
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    token = await csrf(client, "/admin/signups")
    for target in ("01hnotanaccount0000000000", member.id):
        response = await client.post(f"/admin/signups/{target}/reject", data={"csrf_token": token})
        assert response.status_code == 404
    assert await Account.filter(id=member.id).exists()


async def test_signups__without_csrf_is_403_and_changes_nothing(client: httpx.AsyncClient) -> None:
    pending = await pending_signup()
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    response = await client.post(f"/admin/signups/{pending.id}/approve", data={"csrf_token": "x"})
    assert response.status_code == 403
    assert (await Account.get(id=pending.id)).state == AccountState.PENDING


async def test_invites__the_admin_creates_one_and_sees_its_link(
    client: httpx.AsyncClient,
) -> None:
    # Given a logged-in admin and no invitations
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    assert "No invitations yet" in (await client.get("/admin/invites")).text
    # When they create an invitation for three people
    token = await csrf(client, "/admin/invites")
    response = await client.post(
        "/admin/invites", data={"max_uses": "3", "days": "0", "csrf_token": token}
    )
    # Then it is stored and listed with its sign-up link
    assert response.status_code == 303
    invite = await Invite.get()
    assert invite.max_uses == 3 and invite.expires_at is None
    page = await client.get("/admin/invites")
    assert f"http://lyceum.test/signup?invite={invite.code}" in page.text
    assert "0 of 3" in page.text and re.search(r"\bnever\b", page.text)


@pytest.mark.parametrize(("max_uses", "days"), [("0", "7"), ("abc", "7"), ("1", "-1"), ("1", "")])
async def test_invites__bad_numbers_are_422_and_store_nothing(
    client: httpx.AsyncClient, max_uses: str, days: str
) -> None:
    await make_account("grace", admin=True)
    await log_in(client, "grace")
    token = await csrf(client, "/admin/invites")
    response = await client.post(
        "/admin/invites", data={"max_uses": max_uses, "days": days, "csrf_token": token}
    )
    assert response.status_code == 422
    assert await Invite.all().count() == 0


async def test_claim__a_logged_in_member_becomes_the_first_admin(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Given a fresh instance's claim token and a logged-in member
    claim_token = await setup.admin_claim_token(settings)
    account = await make_account("ada")
    await log_in(client, "ada")
    # When they open the claim link and confirm
    page = await client.get(f"/setup/claim?token={claim_token}")
    assert "Make me the admin" in page.text
    token = await csrf(client, f"/setup/claim?token={claim_token}")
    response = await client.post("/setup/claim", data={"token": claim_token, "csrf_token": token})
    # Then they are the admin and land on the next steps
    assert response.status_code == 303
    assert response.headers["location"] == "/setup/next"
    assert (await Account.get(id=account.id)).role == Role.ADMIN
    assert (await client.get("/admin/registration")).status_code == 200


async def test_next_steps__tell_the_new_admin_how_to_start_a_community(
    client: httpx.AsyncClient,
) -> None:
    # Given the instance's new admin
    await make_account("ada", admin=True)
    await log_in(client, "ada")
    # When they read the page the claim leads to
    page = await client.get("/setup/next")
    # Then it links to making a group and inviting people, and says what Mastodon users search
    assert page.status_code == 200
    assert 'href="/groups/new"' in page.text and 'href="/admin/invites"' in page.text
    assert "<code>@physics@lyceum.test</code>" in page.text
    # And, the instance being on plain http, that other servers need a public https address
    assert "<code>LYCEUM_BASE_URL</code>" in page.text


async def test_claim__visitors_are_asked_to_sign_up_first_keeping_the_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    claim_token = await setup.admin_claim_token(settings)
    page = await client.get(f"/setup/claim?token={claim_token}")
    target = f"%2Fsetup%2Fclaim%3Ftoken%3D{claim_token}"
    assert f'href="/signup?next={target}"' in page.text
    assert f'href="/login?next={target}"' in page.text
    # And following the sign-up link brings them back to the claim page
    signup = await client.get(f"/signup?next=/setup/claim?token={claim_token}")
    assert f'value="/setup/claim?token={claim_token}"' in signup.text


async def test_claim__a_wrong_token_is_403_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await setup.admin_claim_token(settings)
    account = await make_account("ada")
    await log_in(client, "ada")
    token = await csrf(client, "/")
    response = await client.post("/setup/claim", data={"token": "guessed", "csrf_token": token})
    assert response.status_code == 403
    assert (await Account.get(id=account.id)).role == Role.MEMBER
