"""Reporting on the web, and the report queues of a group and of the admins
(web/routes/reports.py, admin_reports.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from server.models import (
    Account,
    AuditEntry,
    Delivery,
    Group,
    Membership,
    MembershipState,
    Post,
    PostKind,
    PostState,
    Report,
    ReportState,
)
from server.services import reports
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.helpers import (
    client_for,
    csrf,
    join_as_member,
    log_in,
    make_account,
    make_group,
    make_post,
    make_remote_actor,
)


@dataclass
class World:
    owner: Account  # owns physics: its moderator
    author: Account
    reader: Account  # reports things
    group: Group
    post: Post


@pytest.fixture
async def world(database: None, monkeypatch: pytest.MonkeyPatch) -> World:
    owner = await make_account("olga")
    author = await make_account("ben")
    reader = await make_account("cy")
    group = await make_group(owner, "physics")
    for account in (author, reader):
        await join_as_member(group, account)
    post = await make_post(author, group, title="Ben's thread", body="Buy pills")
    return World(owner, author, reader, group, post)


@asynccontextmanager
async def client_as(app: Starlette, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        await log_in(client, username)
        yield client


@pytest.fixture
async def reader(app: Starlette, world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with client_as(app, "cy") as client:
        yield client


@pytest.fixture
async def moderator(app: Starlette, world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with client_as(app, "olga") as client:
        yield client


@pytest.fixture
async def admin(app: Starlette, world: World) -> AsyncIterator[httpx.AsyncClient]:
    await make_account("eve", admin=True)
    async with client_as(app, "eve") as client:
        yield client


async def post_form(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    return await client.post(path, data={**fields, "csrf_token": await csrf(client, "/")})


async def file(world: World, comment: str = "Spam") -> Report:
    return await reports.file_report(
        world.reader.actor, post=world.post, target_actor=None, comment=comment
    )


# --- reporting ---------------------------------------------------------------------------------


async def test_report_links__on_posts_and_profiles_for_people_logged_in(
    client: httpx.AsyncClient, world: World
) -> None:
    thread = f"/p/{world.post.id}"
    assert f"{thread}/report" not in (await client.get(thread)).text
    await log_in(client, "cy")
    assert f'href="{thread}/report"' in (await client.get(thread)).text
    assert 'href="/u/ben/report"' in (await client.get("/u/ben")).text
    # Not on one's own post or profile
    assert 'href="/u/cy/report"' not in (await client.get("/u/cy")).text


async def test_report_post__files_a_report_and_thanks(
    reader: httpx.AsyncClient, world: World
) -> None:
    path = f"/p/{world.post.id}/report"
    form = await reader.get(path)
    assert form.status_code == 200
    assert "Buy pills" in form.text
    response = await post_form(reader, path, comment="Spam, please look")
    assert response.status_code == 303
    assert response.headers["location"] == "/reports/sent"
    assert (await reader.get("/reports/sent")).status_code == 200
    report = await Report.get(post_id=world.post.id)
    assert (report.comment, report.reporter_id) == ("Spam, please look", world.reader.actor_id)  # type: ignore[attr-defined]


async def test_report_person__files_a_report_about_the_person(
    reader: httpx.AsyncClient, world: World
) -> None:
    response = await post_form(reader, "/u/ben/report", comment="Sends me spam")
    assert response.status_code == 303
    report = await Report.get(target_actor_id=world.author.actor_id)
    assert (report.post_id, report.group_id) == (None, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize("comment", ["", "   ", "x" * (reports.COMMENT_MAX + 1)])
async def test_report_post__bad_comment_is_422_and_nothing_stored(
    reader: httpx.AsyncClient, world: World, comment: str
) -> None:
    response = await post_form(reader, f"/p/{world.post.id}/report", comment=comment)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert await Report.all().count() == 0


async def test_report_post__without_csrf_is_403(reader: httpx.AsyncClient, world: World) -> None:
    response = await reader.post(f"/p/{world.post.id}/report", data={"comment": "Spam"})
    assert response.status_code == 403
    assert await Report.all().count() == 0


async def test_report_post__twice_is_refused_once_stored(
    reader: httpx.AsyncClient, world: World
) -> None:
    path = f"/p/{world.post.id}/report"
    assert (await post_form(reader, path, comment="Spam")).status_code == 303
    again = await post_form(reader, path, comment="Still spam")
    assert again.status_code == 409
    assert "already reported" in again.text
    assert await Report.all().count() == 1


async def test_report_post__anonymous_visitors_log_in_first(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(f"/p/{world.post.id}/report")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_report_post__rate_limited(settings: Settings, world: World) -> None:
    limited = settings.model_copy(update={"report_rate_limit": "1/hour"})
    second = await make_account("di")
    async with client_for(limited) as client:
        await log_in(client, "cy")
        assert (await post_form(client, f"/p/{world.post.id}/report", comment="a")).is_redirect
        response = await post_form(client, "/u/di/report", comment="b")
        assert response.status_code == 429
    assert await Report.filter(target_actor_id=second.actor_id).count() == 0


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(comment=st.text(max_size=1100), extra=st.text(max_size=30))
async def test_report_post__arbitrary_forms_never_fail_and_refusals_store_nothing(
    settings: Settings, world: World, comment: str, extra: str
) -> None:
    roomy = settings.model_copy(update={"report_rate_limit": "10000/hour"})
    async with client_for(roomy) as client:
        await log_in(client, "cy")
        response = await post_form(client, f"/p/{world.post.id}/report", comment=comment, x=extra)
    assert response.status_code in (303, 422), response.text
    stored = await Report.all()
    assert len(stored) == (1 if response.status_code == 303 else 0)
    await Report.all().delete()  # the next example starts from nothing again


# --- the group's queue -------------------------------------------------------------------------


async def test_group_reports__moderators_only(
    reader: httpx.AsyncClient, moderator: httpx.AsyncClient, world: World
) -> None:
    report = await file(world)
    assert (await reader.get("/g/physics/reports")).status_code == 403
    assert (await reader.get(f"/g/physics/reports/{report.id}")).status_code == 403
    page = await moderator.get("/g/physics/reports")
    assert page.status_code == 200
    assert f"/g/physics/reports/{report.id}" in page.text
    assert "@ben" in page.text and "Spam" in page.text
    # The reporter is shown to moderators as a member here
    assert "@cy" in page.text


async def test_group_report__remove_the_post(moderator: httpx.AsyncClient, world: World) -> None:
    report = await file(world)
    path = f"/g/physics/reports/{report.id}"
    detail = await moderator.get(path)
    assert 'value="remove_post"' in detail.text
    assert 'value="suspend_author"' not in detail.text  # for admins only
    response = await post_form(moderator, path, action="remove_post", reason="Spam")
    assert response.status_code == 303
    assert response.headers["location"] == "/g/physics/reports?notice=resolved"
    assert (await Post.get(id=world.post.id)).state == PostState.REMOVED
    assert (await Report.get(id=report.id)).state == ReportState.RESOLVED


@pytest.mark.parametrize("action", ["", "suspend_author", "launch"])
async def test_group_report__unavailable_action_is_422_and_changes_nothing(
    moderator: httpx.AsyncClient, world: World, action: str
) -> None:
    report = await file(world)
    response = await post_form(moderator, f"/g/physics/reports/{report.id}", action=action)
    assert response.status_code == 422
    assert (await Report.get(id=report.id)).state == ReportState.OPEN
    assert await AuditEntry.all().count() == 0


async def test_group_report__a_report_of_another_group_is_404(
    moderator: httpx.AsyncClient, world: World
) -> None:
    other = await make_group(world.owner, "optics")
    await join_as_member(other, world.author)
    post = await make_post(world.author, other)
    report = await reports.file_report(
        world.reader.actor, post=post, target_actor=None, comment="x"
    )
    assert (await moderator.get(f"/g/physics/reports/{report.id}")).status_code == 404


# --- the admin's queue -------------------------------------------------------------------------


async def test_admin_reports__members_and_moderators_get_403(
    moderator: httpx.AsyncClient, world: World
) -> None:
    report = await file(world)
    assert (await moderator.get("/admin/reports")).status_code == 403
    response = await post_form(moderator, f"/admin/reports/{report.id}", action="dismiss")
    assert response.status_code == 403
    assert (await Report.get(id=report.id)).state == ReportState.OPEN


async def test_admin_reports__lists_every_report_and_dismisses(
    admin: httpx.AsyncClient, world: World
) -> None:
    report = await file(world)
    person = await reports.file_report(
        world.reader.actor, post=None, target_actor=world.owner.actor, comment="Rude"
    )
    page = await admin.get("/admin/reports")
    assert f"/admin/reports/{report.id}" in page.text and f"/admin/reports/{person.id}" in page.text
    only = await admin.get("/admin/reports", params={"group": "physics"})
    assert f"/admin/reports/{person.id}" not in only.text
    detail = await admin.get(f"/admin/reports/{person.id}")
    assert 'value="suspend_author"' in detail.text
    response = await post_form(admin, f"/admin/reports/{person.id}", action="dismiss")
    assert response.status_code == 303
    assert (await Report.get(id=person.id)).state == ReportState.DISMISSED
    closed = await admin.get("/admin/reports", params={"state": "closed"})
    assert f"/admin/reports/{person.id}" in closed.text


async def test_admin_report__flag_from_elsewhere_names_the_server(
    admin: httpx.AsyncClient, world: World
) -> None:
    moderator_there = await make_remote_actor("mod", "far.example")
    report = await Report.create(
        reporter=moderator_there,
        target_actor_id=world.author.actor_id,
        post=world.post,
        group=world.group,
        comment="From afar",
        ap_id="https://far.example/flags/1",
        origin_domain="far.example",
    )
    page = await admin.get(f"/admin/reports/{report.id}")
    assert "the server far.example" in page.text


async def test_admin_report__forward_to_a_remote_authors_server(
    admin: httpx.AsyncClient, world: World
) -> None:
    # Given a report about a Mastodon user's post in the group
    alice = await make_remote_actor("alice", "mastodon.example", software="mastodon")
    await Membership.create(group=world.group, actor=alice, state=MembershipState.ACCEPTED)
    post = await Post.create(
        group=world.group,
        author=alice,
        kind=PostKind.DISCUSSION,
        title="Spam",
        content_html="<p>Spam</p>",
        ap_id="https://mastodon.example/users/alice/statuses/1",
    )
    report = await reports.file_report(
        world.reader.actor, post=post, target_actor=None, comment="Spam"
    )
    detail = await admin.get(f"/admin/reports/{report.id}")
    assert "Forward to mastodon.example" in detail.text
    # When the admin forwards it
    response = await post_form(admin, f"/admin/reports/{report.id}/forward")
    assert response.status_code == 303
    # Then a Flag is queued for that server, and the report stays open
    assert await Delivery.filter(inbox_url="https://mastodon.example/inbox").count() == 1
    stored = await Report.get(id=report.id)
    assert stored.forwarded_at is not None and stored.state == ReportState.OPEN
    # And a second forward is refused
    assert (await post_form(admin, f"/admin/reports/{report.id}/forward")).status_code == 409
