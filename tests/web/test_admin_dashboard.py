"""The admin dashboard: admins only; totals with their links, and four charts with numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx

from server.models import Account, Report, utcnow
from tests.helpers import log_in, make_account, make_group, make_post


async def test_dashboard__sends_visitors_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin"


async def test_dashboard__is_403_for_members(client: httpx.AsyncClient) -> None:
    await make_account("bob")
    await log_in(client, "bob")
    response = await client.get("/admin")
    assert response.status_code == 403
    assert "Only admins" in response.text


async def test_dashboard__shows_totals_and_charts_to_admins(client: httpx.AsyncClient) -> None:
    # Given an instance with a group, three posts and an open report
    admin = await make_account("ada", admin=True)
    group = await make_group(admin, "physics")
    for title in ("One", "Two", "Three"):
        post = await make_post(admin, group, title=title)
    await Report.create(reporter_id=admin.actor_id, post=post, group=group, comment="spam")
    await log_in(client, "ada")
    # When the admin opens the dashboard
    response = await client.get("/admin")
    assert response.status_code == 200
    html = response.text
    # Then it has one h1, the admin nav marking the dashboard, and the totals with their links
    assert html.count("<h1") == 1
    assert 'href="/admin" aria-current="page"' in html
    for href, figure, words in [
        ("/admin/signups", 0, "pending sign-ups"),
        ("/admin/reports", 1, "open report"),
        ("/admin/federation", 0, "in the federation queue"),
    ]:
        pattern = rf'<a href="{href}"><span class="figure">{figure}</span> {words}</a>'
        assert re.search(pattern, html), f"no {words} link"
    assert '<span class="figure">3</span> published posts' in html
    # And four inline SVG charts, each an image named by its title, none with a script
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 4
    names = [ET.fromstring(svg)[0].text for svg in svgs]
    day = post.created_at.strftime("%-d %b")
    assert names[0] == f"Posts per day, last 30 days: 3 in all, the most (3) on {day}"
    assert names[1] is not None and names[1].startswith("Active members per day, last 30 days: 1")
    assert names[2] is not None and names[2].startswith("Reports opened per day, last 30 days: 1")
    assert names[3] == "Deliveries done per hour, last 48 hours: 0 in all"
    assert all('role="img"' in svg for svg in svgs)
    assert "<script" not in html
    # And the numbers are in tables too: today's posts first
    assert html.count('<table class="data">') == 4
    assert f'<th scope="row">{day}</th><td>3</td>' in html


async def test_dashboard__counts_members_active_in_the_last_30_days(
    client: httpx.AsyncClient,
) -> None:
    # Given an admin, a member active yesterday in a session started long ago, and one idle
    now = utcnow()
    await make_account("ada", admin=True)
    for username, active_days in [("bob", 1), ("cyd", 45)]:
        account = await make_account(username)
        await Account.filter(id=account.id).update(
            last_login_at=now - timedelta(days=90),
            last_active_at=now - timedelta(days=active_days),
        )
    await log_in(client, "ada")  # logging in is activity too
    # When the admin opens the dashboard
    html = (await client.get("/admin")).text
    # Then the admin and the member in a long session count as active, the idle one does not
    assert '<span class="figure">2</span> active in the last 30 days' in html
