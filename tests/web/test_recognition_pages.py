"""Recognition on the pages: badges beside names in threads and on profiles, top helpers on
the group page, the badge notification (page, mail, digest) and the admin's badges page."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from server.mail.scheduler import DigestScheduler
from server.models import (
    Account,
    AuditEntry,
    Badge,
    BadgeAward,
    Group,
    GroupState,
    MailCadence,
    MailPreferences,
    Notification,
    OutgoingMail,
    Post,
    utcnow,
)
from server.services import posts, recognition
from server.settings import Settings
from tests.conftest import csrf_from
from tests.helpers import join_as_member, log_in, make_account, make_group, make_post, make_reply
from tests.server.mail.test_digest import due_now


async def helped(handle: str = "physics") -> tuple[Account, Group, Account, Account]:
    """Ada's answer to the asker's question accepted, and her first-answer badge granted."""
    owner = await make_account("teacher")
    group = await make_group(owner, handle)
    asker, ada = await make_account("asker"), await make_account("ada", display_name="Ada L")
    for member in (asker, ada):
        await join_as_member(group, member)
    await make_post(asker, group, kind="question", title="An earlier question")
    question = await make_post(asker, group, kind="question", title="How do levers work")
    await posts.accept_answer(question, await make_reply(ada, question, "Like this"), asker)
    await recognition.grant_builtin()
    return owner, group, asker, ada


def badges_beside(html: str, author: str) -> list[list[str]]:
    """The badge names shown right after each link to `author`'s profile in the page."""
    shown = []
    for match in re.finditer(
        rf'<a href="/u/{author}">[^<]*</a>\s*(<span class="author-badges">.*?</span></span>)?', html
    ):
        shown.append(re.findall(r'<span class="badge earned"[^>]*>([^<]*)</span>', match[1] or ""))
    return shown


def items_of(html: str, start: str) -> list[str]:
    """The text of each `<li>` in the element that opens with `start`, tags dropped."""
    at = html.find(start)
    if at < 0:
        return []
    section = html[at : html.index("</section>", at)]
    items = re.findall(r"<li[^>]*>(.*?)</li>", section, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


async def test_thread__badges_show_beside_the_holders_name(client: httpx.AsyncClient) -> None:
    await helped()
    question = await Post.get(title="How do levers work")
    page = await client.get(f"/p/{question.id}")
    assert page.status_code == 200
    assert badges_beside(page.text, "ada") == [["First accepted answer"]]
    assert badges_beside(page.text, "asker") == [[]]


async def test_profile__lists_badges_with_their_group(client: httpx.AsyncClient) -> None:
    _, _group, _, _ = await helped()
    page = (await client.get("/u/ada")).text
    items = items_of(page, '<section class="card badges" id="badges"')
    assert len(items) == 1 and items[0].startswith("First accepted answer in Physics ·")
    assert "Standing: <strong>10 points</strong>" in page
    empty = (await client.get("/u/asker")).text
    assert '<section class="card badges" id="badges"' in empty
    assert items_of(empty, '<section class="card badges" id="badges"') == []


async def test_profile__a_group_the_viewer_may_not_read_hides_its_badges(
    client: httpx.AsyncClient,
) -> None:
    _, group, _, _ = await helped()
    await Group.filter(id=group.id).update(state=GroupState.SUSPENDED)
    page = (await client.get("/u/ada")).text
    assert items_of(page, '<section class="card badges" id="badges"') == []
    assert "Standing: <strong>0 points</strong>" in page


async def test_group_page__top_helpers_this_month_and_all_time(client: httpx.AsyncClient) -> None:
    await helped()
    page = (await client.get("/g/physics")).text
    # 10 for the accepted answer (the asker's earlier question got no reply, so no welcome)
    for key in ("month", "all_time"):
        start = f'<ol class="top-helpers-list" aria-labelledby="top-helpers-{key}">'
        assert items_of(page, start)[:1] == ["Ada L · 10 points"]
    assert page.count('<li><a href="/u/ada">Ada L</a>') == 2


async def test_group_page__no_top_helpers_section_when_nobody_helped(
    client: httpx.AsyncClient,
) -> None:
    await make_group(await make_account("teacher"), "quiet")
    page = (await client.get("/g/quiet")).text
    assert "top-helpers" not in page


# --- the notification --------------------------------------------------------------------------


async def test_notification__listed_and_opens_on_the_profiles_badges(
    client: httpx.AsyncClient,
) -> None:
    await helped()
    ada = await Account.get(actor__username="ada")
    [note] = await Notification.filter(recipient=ada, kind="badge_awarded")
    await log_in(client, "ada")
    listing = (await client.get("/notifications")).text
    [item] = re.findall(rf'<li class="[^"]*" id="notification-{note.id}">(.*?)</li>', listing, re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", item).split())
    assert text.startswith("New: You earned the badge “First accepted answer” in Physics.")
    opened = await client.get(f"/notifications/{note.id}")
    assert (opened.status_code, opened.headers["location"]) == (303, "/u/ada#badges")


async def test_notification__mailed_at_once_with_the_badges_name(
    client: httpx.AsyncClient,
) -> None:
    await helped()
    ada = await Account.get(actor__username="ada")
    [note] = await Notification.filter(recipient=ada, kind="badge_awarded")
    [mail] = await OutgoingMail.filter(account=ada, subject__contains="badge")
    assert mail.subject == "You earned the badge “First accepted answer”"
    assert f"http://lyceum.test/notifications/{note.id}" in mail.text_body.split()


async def test_notification__in_the_digest_for_those_who_want_answers_daily(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ada = await make_account("ada")
    await MailPreferences.create(account=ada, answers=MailCadence.DAILY)
    admin = await make_account("root_admin", admin=True)
    badge = await recognition.create_badge(admin.actor, "Mentor", "")
    await recognition.give_badge(admin.actor, badge.id, ada.actor, "")
    assert not await OutgoingMail.filter(account=ada).exists()  # not at once
    await due_now(ada)
    assert await DigestScheduler(settings).run_once(utcnow() + timedelta(seconds=1)) >= 1
    digest = await OutgoingMail.get(account=ada, kind="digest")
    assert "- You earned the badge “Mentor”" in digest.text_body.splitlines()


# --- the admin page ----------------------------------------------------------------------------


async def test_admin_badges__create_give_and_take_back(client: httpx.AsyncClient) -> None:
    await make_account("root_admin", admin=True)
    ada = await make_account("ada")
    await log_in(client, "root_admin")
    page = await client.get("/admin/badges")
    assert page.status_code == 200
    token = csrf_from(page.text)
    # When the admin creates a badge
    created = await client.post(
        "/admin/badges/new",
        data={"csrf_token": token, "name": "Mentor", "description": "Guides newcomers"},
    )
    assert (created.status_code, created.headers["location"]) == (
        303,
        "/admin/badges?notice=created",
    )
    badge = await Badge.get(name="Mentor")
    # And gives it to Ada
    given = await client.post(
        "/admin/badges/give",
        data={"csrf_token": token, "badge": badge.id, "handle": "ada", "reason": "Thanks"},
    )
    assert given.status_code == 303
    award = await BadgeAward.get(actor_id=ada.actor_id)
    assert award.reason == "Thanks"
    # Then it shows on her profile, and the admin can take it back
    profile = (await client.get("/u/ada")).text
    assert items_of(profile, '<section class="card badges" id="badges"') == [
        "Mentor · just now Thanks"
    ]
    revoked = await client.post(
        f"/admin/badges/awards/{award.id}/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 303
    assert await BadgeAward.all().count() == 0
    actions = await AuditEntry.all().order_by("created_at").values_list("action", flat=True)
    assert actions == ["badge.create", "badge.grant", "badge.revoke"]


async def test_admin_badges__bad_input_is_422_with_the_reason_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    await make_account("root_admin", admin=True)
    await log_in(client, "root_admin")
    token = csrf_from((await client.get("/admin/badges")).text)
    too_long = await client.post("/admin/badges/new", data={"csrf_token": token, "name": "x" * 81})
    assert too_long.status_code == 422
    assert "Use at most 80 characters." in too_long.text
    nobody = await client.post(
        "/admin/badges/give", data={"csrf_token": token, "badge": "", "handle": "ghost"}
    )
    assert nobody.status_code == 422
    assert "There is nobody with that handle" in nobody.text
    assert await Badge.all().count() == 0
    assert await BadgeAward.all().count() == 0
    no_token = await client.post("/admin/badges/new", data={"name": "Sneaky"})
    assert no_token.status_code == 403
    assert await Badge.all().count() == 0


async def test_admin_badges__members_get_403(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    await log_in(client, "ada")
    assert (await client.get("/admin/badges")).status_code == 403
    token = csrf_from((await client.get("/")).text)
    response = await client.post("/admin/badges/new", data={"csrf_token": token, "name": "Mine"})
    assert response.status_code == 403
    assert await Badge.all().count() == 0
