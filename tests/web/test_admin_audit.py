"""The audit log page: every admin and moderator action, newest first, filtered and paged."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from server.models import Account, AuditEntry
from server.services import audit, audit_log, users
from tests.helpers import make_account, make_group, make_remote_actor
from tests.web._admin_world import admin, admin_client, member_client

__all__ = ["admin", "admin_client"]  # fixtures used by name


def actions(html: str) -> list[str]:
    return re.findall(r"<td><code>([\w.]+)</code></td>", html)


async def test_audit__lists_entries_newest_first_with_who_what_where_and_why(
    admin_client: httpx.AsyncClient, admin: Account
) -> None:
    # Given a suspension, a group-level entry and a domain entry
    ben = await make_account("ben")
    group = await make_group(await make_account("ada"), "physics")
    await users.suspend_actor(admin.actor, ben.actor, "spam links")
    await audit.record(
        admin.actor,
        "member.ban",
        group=group,
        target_type="actor",
        target_id=ben.actor_id,
        target_label="@ben",
    )
    await audit.record(
        None,
        "domain.block",
        target_type="domain",
        target_id="bad.example",
        target_label="bad.example",
    )
    # When an admin opens the audit log
    page = await admin_client.get("/admin/audit")
    # Then every entry shows, newest first, linked to what it acted on
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert '<a href="/admin/audit" aria-current="page">Audit log</a>' in page.text
    assert actions(page.text) == ["domain.block", "member.ban", "user.suspend"]
    assert f'<a href="/admin/users/{ben.id}">@ben</a>' in page.text
    assert f'<a href="/admin/actors/{ben.actor_id}">@ben</a>' in page.text
    assert '<a href="/admin/domains">bad.example</a>' in page.text
    assert "spam links" in page.text and "the system" in page.text
    assert 'href="/g/physics"' in page.text


async def test_audit__filters_by_action_prefix_and_by_who(
    admin_client: httpx.AsyncClient, admin: Account
) -> None:
    ben = await make_account("ben")
    bob = await make_remote_actor("bob", "remote.example")
    await users.suspend_actor(admin.actor, ben.actor, "spam")
    await users.unsuspend_actor(admin.actor, ben.actor)
    await audit.record(bob, "report.file", target_type="report", target_id="x")
    await audit.record(None, "users.other")

    async def shown(query: str) -> list[str]:
        page = await admin_client.get(f"/admin/audit?{query}")
        assert page.status_code == 200, page.text
        return actions(page.text)

    assert await shown("action=user") == ["user.unsuspend", "user.suspend"]
    assert await shown("action=user.suspend") == ["user.suspend"]
    assert await shown("action=users") == ["users.other"]
    assert await shown("by=bob%40remote.example") == ["report.file"]
    assert await shown("by=%40olga") == ["user.unsuspend", "user.suspend"]
    assert await shown("by=olga%40lyceum.test") == ["user.unsuspend", "user.suspend"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("action=DROP%20TABLE", "Give an action such as"),
        ("by=nobody", "Nobody known here"),
        ("cursor=not-a-cursor", "That page link is broken"),
    ],
)
async def test_audit__bad_filters_are_422_with_a_reason(
    admin_client: httpx.AsyncClient, query: str, message: str
) -> None:
    page = await admin_client.get(f"/admin/audit?{query}")
    assert page.status_code == 422
    assert message in page.text


async def test_audit__pages_with_a_cursor(
    admin_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(5):
        await audit.record(None, f"test.step{number}")
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 2)
    seen: list[str] = []
    url: str | None = "/admin/audit?action=test"
    for _ in range(5):
        if url is None:
            break
        page = await admin_client.get(url)
        seen += actions(page.text)
        found = re.search(r'href="(/admin/audit\?[^"]+)" rel="next"', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [f"test.step{n}" for n in (4, 3, 2, 1, 0)]
    assert await AuditEntry.all().count() == 5


async def test_audit__refuses_members(app: Starlette, admin: Account) -> None:
    await make_account("ben")
    ben = await member_client(app, "ben")
    try:
        page = await ben.get("/admin/audit")
        assert page.status_code == 403
        assert "Only admins" in page.text
    finally:
        await ben.aclose()
