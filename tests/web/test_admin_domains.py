"""The admin's domain blocks, CSV import and export, and the public list
(web/routes/admin_domains.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from server.models import (
    AuditEntry,
    DomainBlock,
    DomainBlockSeverity,
    Membership,
    MembershipState,
    Post,
    PostKind,
    PostState,
)
from server.services.domain_block_csv import MAX_BYTES
from server.services.domain_blocks import block_domain
from tests.conftest import BASE_URL
from tests.helpers import (
    csrf,
    log_in,
    make_account,
    make_group,
    make_remote_actor,
)

ADMIN_PAGES = [
    "/admin/domains",
    "/admin/domains/import",
    "/admin/domains/export.csv",
    "/admin/domains/spam.example",
]
HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"


@pytest.fixture
async def admin(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account("eve", admin=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        await log_in(client, "eve")
        yield client


async def post_form(
    client: httpx.AsyncClient, path: str, *, files: dict[str, bytes] | None = None, **fields: str
) -> httpx.Response:
    data = {**fields, "csrf_token": await csrf(client, "/")}
    if files is None:
        return await client.post(path, data=data)
    upload = {name: ("blocks.csv", content, "text/csv") for name, content in files.items()}
    return await client.post(path, data=data, files=upload)


async def blocks() -> set[tuple[str, str, str, bool]]:
    return {(b.domain, b.severity.value, b.reason, b.public) for b in await DomainBlock.all()}


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_domain_pages__visitors_log_in_and_members_get_403(
    client: httpx.AsyncClient, path: str
) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND)
    response = await client.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await make_account("bob")
    await log_in(client, "bob")
    assert (await client.get(path)).status_code == 403


async def test_domain_forms__members_and_forged_forms_change_nothing(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND)
    await make_account("bob")
    await log_in(client, "bob")
    token = await csrf(client, "/")
    for path, fields in [
        ("/admin/domains", {"domain": "new.example", "severity": "suspend"}),
        ("/admin/domains/spam.example/unblock", {}),
        ("/admin/domains/spam.example", {"severity": "limit"}),
    ]:
        assert (await client.post(path, data={**fields, "csrf_token": token})).status_code == 403
        # An admin's form without the CSRF token is refused too
        assert (await admin.post(path, data={**fields, "x": "1"})).status_code == 403
    assert await blocks() == {("spam.example", "suspend", "", False)}


# --- list, add, change, lift ---------------------------------------------------------------


async def test_block__adds_the_block_and_hides_a_suspended_domains_posts(
    admin: httpx.AsyncClient,
) -> None:
    # Given a remote member's post in a group
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    bob = await make_remote_actor("bob", "spam.example")
    await Membership.create(group=group, actor=bob, state=MembershipState.ACCEPTED)
    post = await Post.create(
        group=group,
        author=bob,
        kind=PostKind.DISCUSSION,
        title="Buy",
        ap_id="https://spam.example/1",
    )
    # When the admin suspends the domain, publicly
    response = await post_form(
        admin,
        "/admin/domains",
        domain="Spam.Example",
        severity="suspend",
        reason="Spam waves",
        public="y",
    )
    assert response.status_code == 303
    # Then it is listed, audited, and its post is hidden
    assert await blocks() == {("spam.example", "suspend", "Spam waves", True)}
    assert "spam.example" in (await admin.get("/admin/domains")).text
    entry = await AuditEntry.get(action="domain.block")
    assert (entry.target_id, entry.reason) == ("spam.example", "Spam waves")
    assert (await Post.get(id=post.id)).state == PostState.REMOVED


@pytest.mark.parametrize(
    "fields",
    [
        {"domain": "", "severity": "suspend"},
        {"domain": "https://spam.example/", "severity": "suspend"},
        {"domain": "spam.example", "severity": "ban"},
        {"domain": "spam.example", "severity": "suspend", "reason": "x" * 2001},
        {"domain": "taken.example", "severity": "limit"},
    ],
)
async def test_block__bad_input_is_422_and_changes_nothing(
    admin: httpx.AsyncClient, fields: dict[str, str]
) -> None:
    await block_domain("taken.example", DomainBlockSeverity.SUSPEND, "First")
    before = await blocks()
    response = await post_form(admin, "/admin/domains", **fields)
    assert response.status_code == 422
    assert 'class="error"' in response.text
    assert await blocks() == before


async def test_change__updates_severity_reason_and_public(admin: httpx.AsyncClient) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "Spam")
    page = await admin.get("/admin/domains/spam.example")
    assert page.status_code == 200 and "Unblock spam.example" in page.text
    response = await post_form(
        admin, "/admin/domains/spam.example", severity="limit", reason="Calmer now", public="y"
    )
    assert response.status_code == 303
    assert await blocks() == {("spam.example", "limit", "Calmer now", True)}
    assert await AuditEntry.filter(action="domain.update").exists()
    bad = await post_form(admin, "/admin/domains/spam.example", severity="", reason="x")
    assert bad.status_code == 422
    assert await blocks() == {("spam.example", "limit", "Calmer now", True)}


async def test_change__an_unknown_domain_is_404(admin: httpx.AsyncClient) -> None:
    assert (await admin.get("/admin/domains/nope.example")).status_code == 404
    assert (await post_form(admin, "/admin/domains/nope.example/unblock")).status_code == 404


async def test_unblock__lifts_it_and_audits(admin: httpx.AsyncClient) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "Spam")
    response = await post_form(admin, "/admin/domains/spam.example/unblock")
    assert response.status_code == 303
    assert await blocks() == set()
    assert await AuditEntry.filter(action="domain.unblock", target_id="spam.example").exists()


async def test_public_list__shows_public_blocks_and_their_reasons(
    client: httpx.AsyncClient,
) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "Spam waves", public=True)
    await block_domain("secret.example", DomainBlockSeverity.LIMIT, "Private matter")
    page = await client.get("/about/blocks")
    assert page.status_code == 200
    assert "spam.example" in page.text and "Spam waves" in page.text
    assert "secret.example" not in page.text and "Private matter" not in page.text


# --- CSV -----------------------------------------------------------------------------------


async def test_export__mastodons_csv(admin: httpx.AsyncClient) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "Spam", public=True)
    response = await admin.get("/admin/domains/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines() == [HEADER, "spam.example,suspend,false,false,Spam,false"]


async def test_import__preview_then_confirm(admin: httpx.AsyncClient) -> None:
    await block_domain("old.example", DomainBlockSeverity.SUSPEND)
    data = f"{HEADER}\nspam.example,suspend,false,false,Spam,false\nold.example,silence,,,,true\n"
    # When the admin uploads the file, a preview says what would change, and nothing changes
    preview = await post_form(admin, "/admin/domains/import", files={"file": data.encode()})
    assert preview.status_code == 200
    assert "1 new block(s)" in preview.text and "1 changed block(s)" in preview.text
    assert await blocks() == {("old.example", "suspend", "", False)}
    # When they confirm it
    confirm = await post_form(admin, "/admin/domains/import", files={}, confirm="1", csv_text=data)
    assert confirm.status_code == 303
    assert "new=1" in confirm.headers["location"] and "changed=1" in confirm.headers["location"]
    assert await blocks() == {
        ("spam.example", "suspend", "Spam", True),
        ("old.example", "limit", "", False),
    }
    notice = await admin.get(confirm.headers["location"])
    assert "1 new block(s), 1 changed" in notice.text


async def test_import__csv_round_trip_through_the_pages(admin: httpx.AsyncClient) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "Spam, eggs", public=True)
    await block_domain("loud.example", DomainBlockSeverity.LIMIT, "", public=False)
    before = await blocks()
    exported = (await admin.get("/admin/domains/export.csv")).content
    await DomainBlock.all().delete()
    response = await post_form(
        admin, "/admin/domains/import", files={}, confirm="1", csv_text=exported.decode()
    )
    assert response.status_code == 303
    assert await blocks() == before


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "Choose a CSV file"),
        (b"domain\nspam.example\n", "#domain"),
        (b"#domain,#severity\nspam.example,ban\n", "Line 2"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
        (b"#domain\n" + b"a.example\n" * (MAX_BYTES // 10 + 1), "larger"),
    ],
)
async def test_import__malformed_files_are_422_with_a_reason_and_change_nothing(
    admin: httpx.AsyncClient, data: bytes, says: str
) -> None:
    await block_domain("old.example", DomainBlockSeverity.SUSPEND)
    before = await blocks()
    response = await post_form(admin, "/admin/domains/import", files={"file": data})
    assert response.status_code == 422
    assert says in response.text
    confirmed = await post_form(
        admin, "/admin/domains/import", files={}, confirm="1", csv_text=data.decode("latin-1")
    )
    assert confirmed.status_code == 422
    assert await blocks() == before


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.lists(
                st.sampled_from(["suspend", "silence", "noop", "true", "false", "", "a.example"])
                | st.text(max_size=12),
                max_size=7,
            ),
            max_size=6,
        ).map(lambda rows: (HEADER + "\n" + "\n".join(",".join(r) for r in rows)).encode()),
    ),
    confirm=st.booleans(),
)
async def test_import__arbitrary_files_never_fail_and_refusals_change_nothing(
    admin: httpx.AsyncClient, body: bytes, confirm: bool
) -> None:
    await DomainBlock.all().delete()
    if confirm:
        text = body.decode("utf-8", "replace")
        response = await post_form(
            admin, "/admin/domains/import", files={}, confirm="1", csv_text=text
        )
        assert response.status_code in (303, 422), response.text
        if response.status_code == 422:
            assert await DomainBlock.all().count() == 0
    else:
        response = await post_form(admin, "/admin/domains/import", files={"file": body})
        assert response.status_code in (200, 422), response.text
        assert await DomainBlock.all().count() == 0  # a preview stores nothing
