"""Banning, handing a group over and the moderation log, on the web (web/routes/group_staff.py)."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from server.models import Account, AuditEntry, Ban, Group, MemberRole, Membership
from server.services import audit, bans, groups
from tests.helpers import csrf, log_in, make_account, make_group

pytestmark = pytest.mark.usefixtures("database")


async def club() -> tuple[Group, Account, Account, Account]:
    """An open group `club`: olga owns it, mina moderates it, bert is a member."""
    owner = await make_account("olga")
    group = await make_group(owner, "club")
    mina = await make_account("mina", display_name="Mina")
    bert = await make_account("bert", display_name="Bert")
    for account in (mina, bert):
        await groups.request_membership(group, account.actor)
    await groups.set_role(group, owner.actor, mina.actor_id, MemberRole.MODERATOR)
    return group, owner, mina, bert


async def as_user(client: httpx.AsyncClient, username: str) -> str:
    """Log `username` in; return a CSRF token of their session."""
    await log_in(client, username)
    return await csrf(client, "/groups")


# --- ban ------------------------------------------------------------------------------------


async def test_ban__moderator_bans_through_the_form(client: httpx.AsyncClient) -> None:
    # Given a moderator looking at the member list
    group, _, _, bert = await club()
    token = await as_user(client, "mina")
    members = await client.get("/g/club/members")
    ban_path = f"/g/club/members/{bert.actor_id}/ban"
    assert f'href="{ban_path}"' in members.text
    # When they open the form and ban the member with a reason
    form = await client.get(ban_path)
    assert form.status_code == 200
    assert 'name="reason"' in form.text and 'name="remove_posts"' in form.text
    response = await client.post(ban_path, data={"csrf_token": token, "reason": "Spam links"})
    # Then the member is banned and gone, and the banned list shows it with the reason
    assert response.status_code == 303
    assert response.headers["location"] == "/g/club/bans"
    assert await groups.is_banned(group, bert.actor_id)
    assert not await groups.is_member(group, bert.actor_id)
    listing = await client.get("/g/club/bans")
    assert "@bert@lyceum.test" in listing.text and "Spam links" in listing.text
    assert f'action="/g/club/members/{bert.actor_id}/unban"' in listing.text


async def test_ban__a_member_gets_403_and_changes_nothing(client: httpx.AsyncClient) -> None:
    _, _, mina, _ = await club()
    token = await as_user(client, "bert")
    members = await client.get("/g/club/members")
    assert "/ban" not in members.text
    path = f"/g/club/members/{mina.actor_id}/ban"
    assert (await client.get(path)).status_code == 403
    response = await client.post(path, data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 403
    assert not await Ban.exists()
    assert (await client.get("/g/club/bans")).status_code == 403


async def test_ban__without_csrf_is_refused(client: httpx.AsyncClient) -> None:
    group, _, _, bert = await club()
    await as_user(client, "mina")
    response = await client.post(f"/g/club/members/{bert.actor_id}/ban", data={"reason": "x"})
    assert response.status_code == 403
    assert await groups.is_member(group, bert.actor_id)
    assert not await Ban.exists()


async def test_ban__too_long_reason_is_422_and_changes_nothing(client: httpx.AsyncClient) -> None:
    group, _, _, bert = await club()
    token = await as_user(client, "mina")
    response = await client.post(
        f"/g/club/members/{bert.actor_id}/ban",
        data={"csrf_token": token, "reason": "x" * (audit.REASON_MAX_CHARS + 1)},
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text and "Keep the reason under" in response.text
    assert await groups.is_member(group, bert.actor_id)
    assert not await Ban.exists()
    assert not await AuditEntry.filter(action="member.ban").exists()


async def test_ban__the_owner_cannot_be_banned_by_a_moderator(client: httpx.AsyncClient) -> None:
    group, owner, _, _ = await club()
    token = await as_user(client, "mina")
    path = f"/g/club/members/{owner.actor_id}/ban"
    form = await client.get(path)
    assert form.status_code == 403 and "owner cannot be banned" in form.text
    response = await client.post(path, data={"csrf_token": token})
    assert response.status_code == 403
    assert await groups.is_member(group, owner.actor_id)


async def test_ban__unknown_person_is_404(client: httpx.AsyncClient) -> None:
    await club()
    await as_user(client, "mina")
    assert (await client.get("/g/club/members/nobody/ban")).status_code == 404


async def test_unban__lifts_the_ban(client: httpx.AsyncClient) -> None:
    group, owner, _, bert = await club()
    await bans.ban(owner.actor, group, bert.actor, "spam")
    token = await as_user(client, "mina")
    form = await client.get(f"/g/club/members/{bert.actor_id}/ban")
    assert form.status_code == 200 and "is banned from this group" in form.text
    response = await client.post(
        f"/g/club/members/{bert.actor_id}/unban", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert not await groups.is_banned(group, bert.actor_id)
    assert "No one is banned" in (await client.get("/g/club/bans")).text


async def test_bans__anonymous_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    await club()
    response = await client.get("/g/club/bans")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# --- roles and handing over -----------------------------------------------------------------


async def test_transfer__owner_hands_the_group_to_a_moderator(client: httpx.AsyncClient) -> None:
    group, owner, mina, _ = await club()
    token = await as_user(client, "olga")
    path = f"/g/club/members/{mina.actor_id}/transfer"
    assert f'href="{path}"' in (await client.get("/g/club/members")).text
    assert (await client.get(path)).status_code == 200
    response = await client.post(path, data={"csrf_token": token})
    assert response.status_code == 303
    roles = {m.actor_id: m.role for m in await Membership.filter(group=group)}  # type: ignore[attr-defined]
    assert roles[mina.actor_id] == MemberRole.OWNER
    assert roles[owner.actor_id] == MemberRole.MODERATOR


async def test_transfer__a_moderator_gets_403(client: httpx.AsyncClient) -> None:
    group, owner, _, bert = await club()
    token = await as_user(client, "mina")
    path = f"/g/club/members/{bert.actor_id}/transfer"
    assert (await client.get(path)).status_code == 403
    assert (await client.post(path, data={"csrf_token": token})).status_code == 403
    assert (await Membership.get(group=group, actor_id=owner.actor_id)).role == MemberRole.OWNER


async def test_role__an_admin_appoints_a_moderator(client: httpx.AsyncClient) -> None:
    group, _, _, bert = await club()
    await make_account("ada", admin=True)
    token = await as_user(client, "ada")
    response = await client.post(
        f"/g/club/members/{bert.actor_id}/role", data={"csrf_token": token, "role": "moderator"}
    )
    assert response.status_code == 303
    assert await groups.is_moderator(group, bert.actor_id)


# --- the moderation log ---------------------------------------------------------------------


async def test_modlog__members_read_who_did_what_and_why(client: httpx.AsyncClient) -> None:
    # Given a ban and a rules change in the group
    group, _, mina, bert = await club()
    await bans.ban(mina.actor, group, bert.actor, "Spam links")
    plain = await make_account("plain")
    await groups.request_membership(group, plain.actor)
    token = await as_user(client, "olga")
    settings_page = await client.get("/g/club/settings")
    assert settings_page.status_code == 200
    await client.post(
        "/g/club/settings",
        data={
            "csrf_token": token,
            "name": "Club",
            "rules": "Be kind.",
            "join_policy": "open",
            "posting_policy": "members",
        },
    )
    # When a plain member opens the log from the group's tabs
    await client.post("/logout", data={"csrf_token": token})
    await as_user(client, "plain")
    about = await client.get("/g/club/about")
    assert 'href="/g/club/modlog"' in about.text
    response = await client.get("/g/club/modlog")
    # Then they read each action as a sentence, newest first, with its reason
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert "changed the group's rules" in text
    assert re.search(r"\bbanned\b", text) and "Bert (@bert)" in text
    assert "Reason: Spam links" in text
    assert re.search(r"\bmade\b", text) and "a moderator" in text
    assert text.index("changed the group's rules") < text.index("Spam links")
    assert text.index("Spam links") < text.index("a moderator")


async def test_modlog__non_members_get_403_and_anonymous_log_in(client: httpx.AsyncClient) -> None:
    await club()
    anonymous = await client.get("/g/club/modlog")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await make_account("outsider")
    await as_user(client, "outsider")
    assert 'href="/g/club/modlog"' not in (await client.get("/g/club/about")).text
    response = await client.get("/g/club/modlog")
    assert response.status_code == 403
    assert "Only the group's members" in html.unescape(response.text)


async def test_modlog__an_admin_outside_the_group_may_read(client: httpx.AsyncClient) -> None:
    await club()
    await make_account("ada", admin=True)
    await as_user(client, "ada")
    assert (await client.get("/g/club/modlog")).status_code == 200


async def test_modlog__pages_older_entries(client: httpx.AsyncClient) -> None:
    # Given more entries than fit on a page (20 by default)
    group, owner, _, _ = await club()
    for n in range(21):
        await audit.record(
            owner.actor,
            "post.pin",
            group=group,
            target_type="post",
            target_id=f"p{n}",
            target_label=f"Thread {n:02d}",
        )
    await as_user(client, "bert")
    # When a member opens the log, then its "Older" link
    first = await client.get("/g/club/modlog")
    assert "Thread 20" in first.text and "Thread 00" not in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = await client.get(older.replace("&amp;", "&"))
    # Then the second page holds the rest, and a broken cursor is a 400
    assert second.status_code == 200
    assert "Thread 00" in second.text and "Thread 20" not in second.text
    assert (await client.get("/g/club/modlog?cursor=nonsense")).status_code == 400
