"""Organiser analytics pages: who may see them, the date range, the CSV exports, and the page
views and activity they count."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
from starlette.applications import Starlette

from server.models import Account, AccountState, ThreadViewDay, utcnow
from server.services.insights import RollupWorker
from server.settings import Settings
from tests.helpers import join_as_member, log_in, make_account, make_group, make_post, make_reply

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


async def _group_with_activity() -> tuple[Account, object]:
    owner = await make_account("olga")
    group = await make_group(owner, "physics")
    member = await make_account("max")
    await join_as_member(group, member)
    question = await make_post(member, group, kind="question", title="Why is the sky blue?")
    await make_reply(owner, question, "Rayleigh scattering.")
    await make_post(
        owner, group, kind="resource", title="=HYPERLINK(1)", link_url="https://example.org/r"
    )
    return owner, group


async def _roll_up(settings: Settings) -> None:
    worker = RollupWorker(settings)
    while await worker.run_once():
        pass


async def test_group_insights__sends_visitors_to_log_in(client: httpx.AsyncClient) -> None:
    await _group_with_activity()
    response = await client.get("/g/physics/insights")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/g/physics/insights"


async def test_group_insights__is_403_for_members_and_others(client: httpx.AsyncClient) -> None:
    # Given a group with a plain member and someone who is not in it
    await _group_with_activity()
    await make_account("nina")
    for username in ("max", "nina"):
        await log_in(client, username)
        # When they ask for its insights, its report or a CSV
        for path in (
            "/g/physics/insights",
            "/g/physics/insights/report",
            "/g/physics/insights/weekly.csv",
        ):
            response = await client.get(path)
            # Then they are refused, with the reason
            assert response.status_code == 403, (username, path)
            assert "moderators and the admins can see its analytics" in response.text
        client.cookies.clear()


async def test_group_insights__shows_charts_and_tables_to_moderators(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Given a group with a question, its reply and a resource, rolled up by the worker
    await _group_with_activity()
    await _roll_up(settings)
    await log_in(client, "olga")
    # When its owner opens the insights
    response = await client.get("/g/physics/insights")
    # Then the page has the charts, each an image named by its title, and the tables
    assert response.status_code == 200, response.text
    html = response.text
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 6
    names = [ET.fromstring(svg)[0].text or "" for svg in svgs]
    assert names[0].startswith("Active members per week: 2 in all")
    assert names[3].startswith("Replies per week: 1 in all")
    assert names[4].startswith("Questions asked per week: 1 in all")
    assert 'href="/g/physics/insights" aria-current="page"' in html
    for table in (
        "weekly",
        "questions",
        "readers",
        "unanswered",
        "resources",
        "helpers",
        "federation",
    ):
        assert f'href="/g/physics/insights/{table}.csv?from=' in html
    assert "<script" not in html


async def test_admin_insights__admins_only(client: httpx.AsyncClient, settings: Settings) -> None:
    await _group_with_activity()
    await make_account("ada", admin=True)
    await _roll_up(settings)
    await log_in(client, "max")
    assert (await client.get("/admin/insights")).status_code == 403
    assert (await client.get("/admin/insights/weekly.csv")).status_code == 403
    assert (await client.get("/admin/insights/report")).status_code == 403
    client.cookies.clear()
    await log_in(client, "ada")
    response = await client.get("/admin/insights")
    assert response.status_code == 200
    assert 'href="/admin/insights" aria-current="page"' in response.text
    # And admins see a group's insights too (a group hosted here)
    assert (await client.get("/g/physics/insights")).status_code == 200


async def test_insights__bad_ranges_are_400_with_the_reason(client: httpx.AsyncClient) -> None:
    await _group_with_activity()
    await log_in(client, "olga")
    today = utcnow().date()
    for query, reason in [
        ("from=yesterday", "“from” must be a date written as YYYY-MM-DD."),
        ("to=2026-02-30", "“to” must be a date written as YYYY-MM-DD."),
        (f"from={today}&to={today - timedelta(days=1)}", "“from” must be on or before “to”."),
        (f"to={today + timedelta(days=1)}", "“to” cannot be after today."),
        (f"from={today - timedelta(days=800)}", "A report covers at most 731 days"),
        ("from=1999-12-31", "Reports start on 2000-01-01 at the earliest."),
    ]:
        for path in ("/g/physics/insights", "/g/physics/insights/weekly.csv"):
            response = await client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            assert reason in response.text, (path, query)


async def test_insights_csv__has_a_header_and_guards_formulas(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Given a resource titled like a spreadsheet formula, read once by a person
    await _group_with_activity()
    await log_in(client, "olga")
    page = await client.get("/g/physics/resources")
    resource_id = re.search(r'href="/p/([0-9a-z]{26})"[^>]*>=HYPERLINK', page.text)
    assert resource_id, "the resource is listed"
    await client.get(f"/p/{resource_id.group(1)}", headers={"User-Agent": BROWSER})
    await client._transport.app.state.web.views.flush()  # type: ignore[attr-defined]
    await _roll_up(settings)
    # When its moderator downloads the top resources
    response = await client.get("/g/physics/insights/resources.csv")
    # Then it is a CSV file with a header, the title defused and the views counted
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="physics-resources-'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Resource", "Resource address", "Group", "Thread views", "Likes"]
    assert rows[1] == [
        "'=HYPERLINK(1)",
        f"{settings.base_url}/p/{resource_id.group(1)}",
        "Physics",
        "1",
        "0",
    ]
    # And an unknown table is a 404
    assert (await client.get("/g/physics/insights/nope.csv")).status_code == 404


async def test_thread_views__count_people_not_bots_or_head(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "physics")
    post = await make_post(owner, group, title="Read me")
    views = app.state.web.views
    await client.get(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    await client.get(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    await client.head(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    await client.get(
        f"/p/{post.id}", headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}
    )
    await client.get(f"/p/{post.id}", headers={"User-Agent": BROWSER, "Sec-Purpose": "prefetch"})
    await client.get(f"/p/{post.id}")  # python-httpx: a script
    assert views.pending == 2
    assert await views.flush() == 2
    row = await ThreadViewDay.get(thread_id=post.id)
    assert (row.views, row.group_id, row.day) == (2, group.id, utcnow().date())
    # And a later flush adds to the same day's row
    await client.get(f"/p/{post.id}", headers={"User-Agent": BROWSER})
    assert await views.flush() == 1
    assert (await ThreadViewDay.get(thread_id=post.id)).views == 3


async def test_last_active__moves_on_at_most_every_15_minutes(client: httpx.AsyncClient) -> None:
    # Given a member who logged in
    account = await make_account("max")
    await log_in(client, "max")
    logged_in = (await Account.get(id=account.id)).last_active_at
    assert logged_in is not None
    # When they keep reading within 15 minutes, nothing is written
    await client.get("/groups")
    assert (await Account.get(id=account.id)).last_active_at == logged_in
    # When their last activity is older than 15 minutes, their next request moves it on
    old = utcnow() - timedelta(minutes=16)
    await Account.filter(id=account.id).update(last_active_at=old, last_login_at=old)
    await client.get("/groups")
    moved = (await Account.get(id=account.id)).last_active_at
    assert moved is not None and moved > old + timedelta(minutes=15)
    # And a suspended account's requests move nothing
    await Account.filter(id=account.id).update(last_active_at=old, state=AccountState.SUSPENDED)
    await client.get("/groups")
    assert (await Account.get(id=account.id)).last_active_at == old
