"""Invitations to a group (web/routes/group_invites.py, server/services/group_invites.py): links
and mailed invitations, following them with and without an account, use limits, expiry,
withdrawal, and the count of uses in every registration mode."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from lxml import html as lxml_html
from starlette.applications import Starlette

from server.models import (
    Account,
    AccountState,
    AuditEntry,
    Ban,
    Group,
    Invite,
    JoinPolicy,
    Membership,
    MembershipState,
    Notification,
    NotificationKind,
    OutgoingMail,
    RegistrationMode,
    utcnow,
)
from server.services import accounts, group_invites, instance
from server.services.errors import Conflict
from tests.helpers import PASSWORD, confirm_signup, csrf, log_in, make_account, make_group

SIGNUP = {"username": "nia", "email": "nia@example.org", "password": PASSWORD}


@pytest.fixture
async def group(database: None) -> Group:
    """`closed`, an approval group owned by olga; ben is a plain member."""
    owner = await make_account("olga")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    ben = await make_account("ben")
    await Membership.create(group=group, actor_id=ben.actor_id, state=MembershipState.ACCEPTED)
    return group


async def olga() -> Account:
    return await Account.get(actor__username="olga").select_related("actor")


async def post(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    token = await csrf(client, "/groups")
    return await client.post(path, data={"csrf_token": token, **fields})


def tree(response: httpx.Response) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.text)


def words(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def heading(response: httpx.Response) -> str:
    return words(tree(response).xpath("//h1")[0])


def summary_errors(response: httpx.Response) -> list[str]:
    return [words(item) for item in tree(response).xpath('//div[@class="error-summary"]//li')]


async def is_member(group: Group, username: str) -> bool:
    return await Membership.filter(
        group=group, actor__username=username, state=MembershipState.ACCEPTED
    ).exists()


# --- making and listing invitations --------------------------------------------------------


async def test_moderator_makes_a_link_and_sees_it_listed(
    client: httpx.AsyncClient, group: Group
) -> None:
    await log_in(client, "olga")
    response = await post(
        client, "/g/closed/invites", how="link", **{"link-max_uses": "3", "link-days": "2"}
    )
    assert response.status_code == 303
    invite = await Invite.get(group=group)
    assert (invite.max_uses, invite.uses, invite.email) == (3, 0, "")
    assert invite.expires_at is not None
    assert timedelta(days=1) < invite.expires_at - utcnow() <= timedelta(days=2)
    page = await client.get(response.headers["location"])
    links = tree(page).xpath('//input[@class="invite-link"]/@value')
    assert links == [f"http://lyceum.test/invite/{invite.code}"]
    assert await AuditEntry.filter(action="invite.create", group=group).count() == 1


@pytest.mark.parametrize(
    ("uses", "days"), [("0", "7"), ("1001", "7"), ("1", "-1"), ("1", "366"), ("many", "7")]
)
async def test_link_form__bad_numbers_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, group: Group, uses: str, days: str
) -> None:
    await log_in(client, "olga")
    response = await post(
        client, "/g/closed/invites", how="link", **{"link-max_uses": uses, "link-days": days}
    )
    assert response.status_code == 422
    assert summary_errors(response)
    assert await Invite.all().count() == 0


async def test_members_cannot_make_invitations(client: httpx.AsyncClient, group: Group) -> None:
    await log_in(client, "ben")
    response = await post(
        client, "/g/closed/invites", how="link", **{"link-max_uses": "3", "link-days": "2"}
    )
    assert response.status_code == 403
    assert (await client.get("/g/closed/invites")).status_code == 403
    assert await Invite.all().count() == 0


# --- following a link ------------------------------------------------------------------------


async def test_a_logged_in_person_joins_past_approval_and_the_use_counts(
    client: httpx.AsyncClient, group: Group
) -> None:
    invite = await group_invites.create_link(group, await olga(), max_uses=2)
    await make_account("cleo")
    await log_in(client, "cleo")
    # Opening the link shows the invitation and joins nobody (mail scanners open links)
    page = await client.get(f"/invite/{invite.code}")
    assert page.status_code == 200 and heading(page) == "Join Closed"
    assert not await is_member(group, "cleo")
    # Pressing Join makes them a member at once, though the group needs approval
    response = await post(client, f"/invite/{invite.code}")
    assert (response.status_code, response.headers["location"]) == (303, "/g/closed")
    assert await is_member(group, "cleo")
    assert (await Group.get(id=group.id)).member_count == 3
    assert (await Invite.get(id=invite.id)).uses == 1
    # And following it again as a member spends nothing
    await post(client, f"/invite/{invite.code}")
    assert (await Invite.get(id=invite.id)).uses == 1


async def test_a_pending_request_is_accepted_by_an_invitation(
    client: httpx.AsyncClient, group: Group
) -> None:
    cleo = await make_account("cleo")
    await Membership.create(group=group, actor_id=cleo.actor_id, state=MembershipState.PENDING)
    invite = await group_invites.create_link(group, await olga())
    await log_in(client, "cleo")
    await post(client, f"/invite/{invite.code}")
    assert await is_member(group, "cleo")


async def test_a_banned_person_cannot_join_by_invitation(
    client: httpx.AsyncClient, group: Group
) -> None:
    cleo = await make_account("cleo")
    await Ban.create(group=group, actor_id=cleo.actor_id)
    invite = await group_invites.create_link(group, await olga())
    await log_in(client, "cleo")
    response = await post(client, f"/invite/{invite.code}")
    assert response.status_code == 403
    assert not await is_member(group, "cleo")
    assert (await Invite.get(id=invite.id)).uses == 0


@pytest.mark.parametrize("mode", list(RegistrationMode))
async def test_a_visitor_signs_up_with_the_link_and_lands_in_the_group(
    client: httpx.AsyncClient, group: Group, mode: RegistrationMode
) -> None:
    # Given any registration mode, invite-only and approval included
    await instance.set_registration_mode(mode)
    invite = await group_invites.create_link(group, await olga(), max_uses=5)
    # When a visitor opens the link, then follows its sign-up link
    page = await client.get(f"/invite/{invite.code}")
    [signup_link] = tree(page).xpath('//a[normalize-space()="Sign up and join"]/@href')
    form = await client.get(str(signup_link))
    assert tree(form).xpath('//input[@name="invite_code"]/@value') == [invite.code]
    fields = {
        str(field.get("name")): str(field.get("value", ""))
        for field in tree(form).xpath('//form[@action="/signup"]//input')
    }
    response = await client.post("/signup", data={**fields, **SIGNUP})
    assert (response.status_code, response.headers["location"]) == (303, "/signup/check-mail")
    # Then, once they follow the mailed link, their account is ready (no admin's approval),
    # they are in the group, and the use is counted
    confirmed = await confirm_signup(client, SIGNUP["email"])
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, "/g/closed")
    assert await Account.filter(email="nia@example.org", state=AccountState.ACTIVE).exists()
    assert await is_member(group, "nia")
    assert (await Invite.get(id=invite.id)).uses == 1


async def test_instance_invitations_count_their_uses_when_registration_is_open(
    database: None,
) -> None:
    # (Before, a code given while registration was open was dropped, and `uses` stayed 0.)
    admin = await make_account("grace", admin=True)
    invite = await accounts.create_invite(admin, max_uses=3)
    await accounts.sign_up(accounts.SignUp(**SIGNUP, invite_code=invite.code))
    assert (await Invite.get(id=invite.id)).uses == 1


async def test_forged_expired_used_up_and_withdrawn_codes_get_a_page_saying_why(
    client: httpx.AsyncClient, group: Group
) -> None:
    owner = await olga()
    expired = await group_invites.create_link(group, owner)
    await Invite.filter(id=expired.id).update(expires_at=utcnow() - timedelta(minutes=1))
    used_up = await group_invites.create_link(group, owner, max_uses=1)
    await Invite.filter(id=used_up.id).update(uses=1)
    withdrawn = await group_invites.create_link(group, owner)
    await group_invites.revoke(group, owner, withdrawn.id)
    await make_account("cleo")
    await log_in(client, "cleo")
    cases = {
        "forged-code": (404, "not valid"),
        "x" * 65: (404, "not valid"),
        expired.code: (410, "expired"),
        used_up.code: (410, "used as many times"),
        withdrawn.code: (404, "withdrawn"),
    }
    for code, (status, reason) in cases.items():
        page = await client.get(f"/invite/{code}")
        assert page.status_code == status, code
        assert heading(page) == "This invitation can't be used"
        assert reason in words(tree(page).xpath("//main//h1/following-sibling::p[1]")[0])
        answer = await post(client, f"/invite/{code}")
        assert answer.status_code == status
    assert not await is_member(group, "cleo")


async def test_signing_up_with_an_expired_code_is_refused(
    client: httpx.AsyncClient, group: Group
) -> None:
    await instance.set_registration_mode(RegistrationMode.INVITE)
    invite = await group_invites.create_link(group, await olga())
    await Invite.filter(id=invite.id).update(expires_at=utcnow() - timedelta(seconds=1))
    token = await csrf(client, "/signup")
    response = await client.post(
        "/signup", data={**SIGNUP, "invite_code": invite.code, "csrf_token": token}
    )
    assert response.status_code == 422
    assert not await Account.filter(email="nia@example.org").exists()


async def test_the_last_use_of_a_one_use_invitation_goes_to_one_person(group: Group) -> None:
    invite = await group_invites.create_link(group, await olga(), max_uses=1)
    people = [await make_account(name) for name in ("cleo", "dan", "eve")]
    results = await asyncio.gather(
        *(group_invites.accept(invite.code, person) for person in people), return_exceptions=True
    )
    joined = [result for result in results if isinstance(result, Group)]
    refused = [result for result in results if isinstance(result, Conflict)]
    assert (len(joined), len(refused)) == (1, 2), results
    assert (await Invite.get(id=invite.id)).uses == 1
    assert (await Group.get(id=group.id)).member_count == 3


# --- invitations by e-mail ------------------------------------------------------------------


async def test_an_address_without_an_account_is_mailed_through_the_queue(
    client: httpx.AsyncClient, group: Group
) -> None:
    await log_in(client, "olga")
    response = await post(
        client,
        "/g/closed/invites",
        how="email",
        **{"email-email": "Nia@Example.org", "email-days": "3"},
    )
    assert response.status_code == 303
    invite = await Invite.get(group=group)
    assert (invite.email, invite.max_uses) == ("Nia@example.org", 1)
    mail = await OutgoingMail.get(kind="group_invite")
    assert mail.to_address == "Nia@example.org"
    assert f"http://lyceum.test/invite/{invite.code}" in mail.text_body.split()
    assert mail.subject == "olga invites you to Closed on Lyceum"


async def test_a_member_of_the_instance_is_notified_instead(
    client: httpx.AsyncClient, app: Starlette, group: Group
) -> None:
    cleo = await make_account("cleo")
    await log_in(client, "olga")
    await post(
        client, "/g/closed/invites", how="email", **{"email-email": cleo.email, "email-days": "3"}
    )
    invite = await Invite.get(group=group)
    notification = await Notification.get(recipient=cleo, kind=NotificationKind.GROUP_INVITE)
    assert notification.text == f"/invite/{invite.code}"
    assert not await OutgoingMail.filter(kind="group_invite").exists()
    # Opening the notification leads to the invitation
    client.cookies.clear()
    await log_in(client, "cleo")
    opened = await client.get(f"/notifications/{notification.id}")
    assert opened.headers["location"] == f"/invite/{invite.code}"


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "x" * 250 + "@example.org", ""])
async def test_email_form__bad_addresses_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, group: Group, address: str
) -> None:
    await log_in(client, "olga")
    response = await post(
        client, "/g/closed/invites", how="email", **{"email-email": address, "email-days": "3"}
    )
    assert response.status_code == 422
    assert summary_errors(response)
    assert await Invite.all().count() == 0 and await OutgoingMail.all().count() == 0


async def test_email_form__a_member_is_not_invited_again(
    client: httpx.AsyncClient, group: Group
) -> None:
    await log_in(client, "olga")
    response = await post(
        client,
        "/g/closed/invites",
        how="email",
        **{"email-email": "ben@example.org", "email-days": "3"},
    )
    assert response.status_code == 422
    assert any("member of the group already" in error for error in summary_errors(response))
    assert await Invite.all().count() == 0


# --- withdrawing ---------------------------------------------------------------------------


async def test_moderator_withdraws_an_invitation(client: httpx.AsyncClient, group: Group) -> None:
    invite = await group_invites.create_link(group, await olga())
    await log_in(client, "olga")
    response = await post(client, f"/g/closed/invites/{invite.id}/revoke")
    assert response.status_code == 303
    assert not await Invite.filter(id=invite.id).exists()
    assert await AuditEntry.filter(action="invite.revoke", group=group).count() == 1


async def test_a_moderator_of_another_group_cannot_withdraw_this_ones(
    client: httpx.AsyncClient, group: Group
) -> None:
    invite = await group_invites.create_link(group, await olga())
    dan = await make_account("dan")
    await make_group(dan, "other")
    await log_in(client, "dan")
    response = await post(client, f"/g/other/invites/{invite.id}/revoke")
    assert response.status_code == 404
    assert await Invite.filter(id=invite.id).exists()
