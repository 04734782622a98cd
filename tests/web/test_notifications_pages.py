"""The unread count in the header, opening a notification, the moderation notifications' links,
and the watch / mute forms with their settings list."""

from __future__ import annotations

import re

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.models import (
    Account,
    MemberRole,
    Membership,
    Notification,
    NotificationKind,
    Post,
    RegistrationMode,
    Watch,
    WatchLevel,
)
from server.services import accounts, groups, instance, moderation, reports
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post
from tests.helpers import make_reply as reply_to

BADGE_RE = re.compile(r'class="badge unread-count">(\d+)<')


def header_count(html: str) -> int:
    """The unread count shown in the header (0 when there is no badge)."""
    match = BADGE_RE.search(html)
    return int(match.group(1)) if match else 0


async def thread_with_reply() -> tuple[Account, Account, groups.Group, Post, Post]:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings", name="Rustlings")
    student = await make_account("student", display_name="Stu Dent")
    await join_as_member(group, student)
    root = await make_post(owner, group, title="Borrowing rules")
    reply = await reply_to(student, root)
    return owner, student, group, root, reply


# --- the header and opening a notification -------------------------------------------------------


async def test_header__shows_the_unread_count_and_opening_lowers_it(
    client: httpx.AsyncClient,
) -> None:
    # Given two replies to the owner's thread
    owner, student, _, root, reply = await thread_with_reply()
    await reply_to(student, root, "Another")
    await log_in(client, "teacher")
    # Then every page's header shows 2 unread
    page = await client.get("/groups")
    assert header_count(page.text) == 2
    # When the owner opens the notification of the first reply from the list
    listing = await client.get("/notifications")
    note = await Notification.get(recipient=owner, post_id=reply.id)
    assert f'href="/notifications/{note.id}"' in listing.text
    assert "“Borrowing rules”" in listing.text  # the thread is named
    opened = await client.get(f"/notifications/{note.id}")
    # Then it leads to the thread at the reply's anchor, and one is left unread
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/p/{root.id}#{reply.id}"
    assert header_count((await client.get("/groups")).text) == 1
    assert (await Notification.get(id=note.id)).read_at is not None


async def test_header__no_count_for_visitors_or_with_nothing_unread(
    client: httpx.AsyncClient,
) -> None:
    await thread_with_reply()
    assert "unread-count" not in (await client.get("/groups")).text
    await log_in(client, "student")
    assert "unread-count" not in (await client.get("/groups")).text


async def test_header__does_not_count_notifications_about_removed_posts(
    client: httpx.AsyncClient,
) -> None:
    # Given a reply notification, when a moderator removes the reply
    owner, _, _, _, reply = await thread_with_reply()
    await moderation.remove_post(owner.actor, reply, "Spam")
    # Then the owner's header counts nothing and the list does not show it
    await log_in(client, "teacher")
    assert header_count((await client.get("/groups")).text) == 0
    note = await Notification.get(recipient=owner, post_id=reply.id)
    assert f"/notifications/{note.id}" not in (await client.get("/notifications")).text
    # And opening it is a 404
    assert (await client.get(f"/notifications/{note.id}")).status_code == 404


async def test_open__someone_elses_or_an_unknown_id_is_404_and_stays_unread(
    client: httpx.AsyncClient,
) -> None:
    owner, _, _, _, reply = await thread_with_reply()
    note = await Notification.get(recipient=owner, post_id=reply.id)
    await log_in(client, "student")
    assert (await client.get(f"/notifications/{note.id}")).status_code == 404
    assert (await client.get(f"/notifications/{'0' * 26}")).status_code == 404
    assert (await client.get("/notifications/not-an-id")).status_code == 404
    assert (await Notification.get(id=note.id)).read_at is None


async def test_open__needs_login(client: httpx.AsyncClient) -> None:
    owner, _, _, _, reply = await thread_with_reply()
    note = await Notification.get(recipient=owner, post_id=reply.id)
    response = await client.get(f"/notifications/{note.id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await Notification.get(id=note.id)).read_at is None


# --- moderation notifications on the page ------------------------------------------------------


async def test_report_filed__links_to_the_groups_report(client: httpx.AsyncClient) -> None:
    owner, student, group, _, _ = await thread_with_reply()
    post = await make_post(student, group, title="Cheap pills")
    reporter = await make_account("reporter")
    await join_as_member(group, reporter)
    report = await reports.file_report(
        reporter.actor, post=post, target_actor=None, comment="Spam here"
    )
    await log_in(client, "teacher")
    listing = await client.get("/notifications")
    assert "Spam here" in listing.text and "“Cheap pills”" in listing.text
    note = await Notification.get(recipient=owner, kind=NotificationKind.REPORT_FILED)
    opened = await client.get(f"/notifications/{note.id}")
    assert opened.headers["location"] == f"/g/rustlings/reports/{report.id}"


async def test_report_outcome__is_shown_to_the_reporter(client: httpx.AsyncClient) -> None:
    owner, student, group, _, _ = await thread_with_reply()
    post = await make_post(student, group, title="Cheap pills")
    reporter = await make_account("reporter")
    report = await reports.file_report(
        reporter.actor, post=post, target_actor=None, comment="Spam here"
    )
    await reports.resolve_report(owner.actor, report, reports.ReportAction.REMOVE_POST, "Ads")
    await log_in(client, "reporter")
    assert "The moderators removed the post." in (await client.get("/notifications")).text
    client.cookies.clear()
    await log_in(client, "student")
    listing = await client.get("/notifications")
    assert "removed your post “Cheap pills”: Ads" in listing.text


async def test_post_held__moderators_reach_the_queue_and_the_author_reads_why(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings", hold_first_posts=True)
    newcomer = await make_account("newcomer")
    await join_as_member(group, newcomer)
    post = await make_post(newcomer, group, title="Hello all")
    await log_in(client, "teacher")
    note = await Notification.get(recipient=owner, kind=NotificationKind.POST_HELD)
    opened = await client.get(f"/notifications/{note.id}")
    assert opened.headers["location"] == "/g/rustlings/moderation"
    client.cookies.clear()
    await log_in(client, "newcomer")
    listing = await client.get("/notifications")
    assert "first post" in listing.text and "waits for a moderator" in listing.text
    mine = await Notification.get(recipient=newcomer, kind=NotificationKind.HELD_FOR_REVIEW)
    assert (await client.get(f"/notifications/{mine.id}")).headers["location"] == f"/p/{post.id}"


async def test_signup_waiting__leads_admins_to_the_sign_ups(client: httpx.AsyncClient) -> None:
    admin = await make_account("grace", admin=True)
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    await accounts.sign_up(
        accounts.SignUp(
            username="ada", email="ada@example.org", password="correct horse battery", reason="Hi"
        )
    )
    await log_in(client, "grace")
    note = await Notification.get(recipient=admin)
    assert (await client.get(f"/notifications/{note.id}")).headers["location"] == "/admin/signups"


# --- watching and muting -----------------------------------------------------------------------


async def test_watch_thread__the_form_stores_the_choice_and_the_page_shows_it(
    client: httpx.AsyncClient,
) -> None:
    _, _, _, root, _ = await thread_with_reply()
    lurker = await make_account("lurker")
    await log_in(client, "lurker")
    page = await client.get(f"/p/{root.id}")
    assert f'action="/p/{root.id}/watch"' in page.text and "Not watching" in page.text
    token = await csrf(client, f"/p/{root.id}")
    response = await client.post(
        f"/p/{root.id}/watch", data={"csrf_token": token, "level": "watching"}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/p/{root.id}"
    assert (await Watch.get(account=lurker)).level == WatchLevel.WATCHING
    assert "Watching this thread" in (await client.get(f"/p/{root.id}")).text
    # When they choose "normal", the choice is gone
    await client.post(f"/p/{root.id}/watch", data={"csrf_token": token, "level": "normal"})
    assert await Watch.filter(account=lurker).count() == 0


async def test_watch_thread__refused_without_csrf_or_login_or_with_a_bad_level(
    client: httpx.AsyncClient,
) -> None:
    _, _, _, root, reply = await thread_with_reply()
    anonymous = await client.post(f"/p/{root.id}/watch", data={"level": "watching"})
    assert anonymous.status_code in (303, 403)
    lurker = await make_account("lurker")
    await log_in(client, "lurker")
    token = await csrf(client, f"/p/{root.id}")
    forged = await client.post(f"/p/{root.id}/watch", data={"level": "watching"})
    assert forged.status_code == 403
    bad = await client.post(f"/p/{root.id}/watch", data={"csrf_token": token, "level": "loud"})
    assert 400 <= bad.status_code < 500
    of_reply = await client.post(
        f"/p/{reply.id}/watch", data={"csrf_token": token, "level": "watching"}
    )
    assert of_reply.status_code == 404
    unknown = await client.post(
        f"/p/{'0' * 26}/watch", data={"csrf_token": token, "level": "watching"}
    )
    assert unknown.status_code == 404
    assert await Watch.filter(account=lurker).count() == 0


async def test_watch_group__from_the_group_page_and_listed_in_settings(
    client: httpx.AsyncClient,
) -> None:
    await thread_with_reply()
    lurker = await make_account("lurker")
    await log_in(client, "lurker")
    page = await client.get("/g/rustlings")
    assert 'action="/g/rustlings/watch"' in page.text
    token = await csrf(client, "/g/rustlings")
    response = await client.post("/g/rustlings/watch", data={"csrf_token": token, "level": "muted"})
    assert response.status_code == 303 and response.headers["location"] == "/g/rustlings"
    assert (await Watch.get(account=lurker)).level == WatchLevel.MUTED
    settings_page = await client.get("/settings/watches")
    assert settings_page.status_code == 200
    assert 'href="/g/rustlings">Rustlings</a>' in settings_page.text
    # When they unmute it from the settings list, they come back to the list
    back = await client.post(
        "/g/rustlings/watch",
        data={"csrf_token": token, "level": "normal", "return_to": "settings"},
    )
    assert back.headers["location"] == "/settings/watches?saved=normal"
    assert "You watch and mute nothing yet" in (await client.get(back.headers["location"])).text


async def test_watch_group__unknown_group_is_404(client: httpx.AsyncClient) -> None:
    await make_account("lurker")
    await log_in(client, "lurker")
    token = await csrf(client, "/groups")
    response = await client.post(
        "/g/nosuchgroup/watch", data={"csrf_token": token, "level": "watching"}
    )
    assert response.status_code == 404


async def test_watch_thread__anonymous_sees_no_buttons(client: httpx.AsyncClient) -> None:
    _, _, _, root, _ = await thread_with_reply()
    assert "/watch" not in (await client.get(f"/p/{root.id}")).text


async def test_watched_reply__is_listed_naming_the_thread(client: httpx.AsyncClient) -> None:
    owner, _, _, root, _ = await thread_with_reply()
    lurker = await make_account("lurker")
    await Watch.create(account=lurker, thread=root, level=WatchLevel.WATCHING)
    await reply_to(owner, root, "More")
    await log_in(client, "lurker")
    listing = await client.get("/notifications")
    assert "replied in “Borrowing rules”" in listing.text and "a thread you watch" in listing.text


async def test_moderator_demoted__no_longer_sees_held_post_notifications(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings", hold_first_posts=True)
    moderator = await make_account("mo")
    await join_as_member(group, moderator)
    await Membership.filter(group=group, actor_id=moderator.actor_id).update(
        role=MemberRole.MODERATOR
    )
    newcomer = await make_account("newcomer")
    await join_as_member(group, newcomer)
    await make_post(newcomer, group, title="Hello all")
    await log_in(client, "mo")
    assert header_count((await client.get("/groups")).text) == 1
    await Membership.filter(group=group, actor_id=moderator.actor_id).update(role=MemberRole.MEMBER)
    assert header_count((await client.get("/groups")).text) == 0


# --- bad input, generated ----------------------------------------------------------------------


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(level=st.text(max_size=300), return_to=st.text(max_size=50))
async def test_watch_form__any_level_is_stored_only_when_valid(
    client: httpx.AsyncClient, level: str, return_to: str
) -> None:
    # Given a member on a thread (built once; the client keeps its session between examples)
    if not await Account.filter(actor__username="lurker").exists():
        await thread_with_reply()
        await make_account("lurker")
        await log_in(client, "lurker")
    root = await Post.get(title="Borrowing rules")
    await Watch.all().delete()
    token = await csrf(client, "/groups")
    # When any text is sent as the level
    response = await client.post(
        f"/p/{root.id}/watch",
        data={"csrf_token": token, "level": level, "return_to": return_to},
    )
    # Then a known level is stored, and anything else is a 4xx that stores nothing
    assert response.status_code < 500
    if level in ("watching", "muted"):
        assert response.status_code == 303
        assert (await Watch.get(thread_id=root.id)).level == level
    elif level == "normal":
        assert response.status_code == 303 and await Watch.all().count() == 0
    else:
        assert 400 <= response.status_code < 500
        assert await Watch.all().count() == 0
    location = response.headers.get("location", "")
    assert location in ("", f"/p/{root.id}") or location.startswith("/settings/watches?saved=")
