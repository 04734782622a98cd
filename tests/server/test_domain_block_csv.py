"""Domain blocks as Mastodon's CSV: reading, writing, planning and applying an import
(server/services/domain_block_csv.py)."""

from __future__ import annotations

import pytest

from server.models import AuditEntry, DomainBlock, DomainBlockSeverity
from server.services import domain_block_csv
from server.services.domain_block_csv import (
    HEADER,
    MAX_BYTES,
    BlockRow,
    export_blocks_csv,
    import_blocks,
    parse_blocks_csv,
    plan_import,
)
from server.services.domain_blocks import block_domain
from server.services.errors import Invalid

MASTODON_EXPORT = (
    b"#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
    b"spam.example,suspend,false,false,Spam waves,false\n"
    b"loud.example,silence,true,false,,true\n"
    b"pics.example,noop,true,false,Media only,false\n"
)


def test_parse__mastodons_export() -> None:
    assert parse_blocks_csv(MASTODON_EXPORT) == [
        BlockRow("spam.example", DomainBlockSeverity.SUSPEND, "Spam waves", public=True),
        BlockRow("loud.example", DomainBlockSeverity.LIMIT, "", public=False),
        BlockRow("pics.example", None, "Media only", public=True),
    ]


def test_parse__only_the_domain_column_and_a_bom() -> None:
    rows = parse_blocks_csv("\ufeff#domain\nA.Example\n\n b.example \n".encode())
    assert [(row.domain, row.severity) for row in rows] == [
        ("a.example", DomainBlockSeverity.SUSPEND),
        ("b.example", DomainBlockSeverity.SUSPEND),
    ]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"domain,severity\nspam.example,suspend\n", "#domain"),
        (b"#domain,#severity\nspam.example,ban\n", "Line 2"),
        (b"#domain\nnot a domain\n", "not a domain name"),
        (b"#domain\nspam.example\nSPAM.example\n", "twice"),
        (b"#domain,#obfuscate\nspam.example,maybe\n", "#obfuscate"),
        (b"#domain\nspam.example,extra\n", "more cells"),
        (b'#domain\n"spam.example\n', "Line"),
        (b"#domain\nspam\x00.example\n", "NUL"),
        (b"#domain\n\xff\xfe\n", "UTF-8"),
        (b"#domain\n" + b"a.example\n" * (MAX_BYTES // 10 + 1), "larger"),
    ],
)
def test_parse__malformed_files_are_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_blocks_csv(data)
    assert says in refused.value.errors["file"]


def test_parse__too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(domain_block_csv, "MAX_ROWS", 2)
    with pytest.raises(Invalid):
        parse_blocks_csv(b"#domain\na.example\nb.example\nc.example\n")


async def test_export__public_reasons_only(database: None) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "Spam", public=True)
    await block_domain("loud.example", DomainBlockSeverity.LIMIT, "Private note")
    text = export_blocks_csv(await DomainBlock.all().order_by("domain"))
    assert text.splitlines() == [
        ",".join(HEADER),
        "loud.example,silence,false,false,,true",
        "spam.example,suspend,false,false,Spam,false",
    ]


async def test_round_trip__export_then_import_gives_the_same_blocks(database: None) -> None:
    # Given blocks of each kind, exported
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, 'Spam, "lots"', public=True)
    await block_domain("loud.example", DomainBlockSeverity.LIMIT, "Loud", public=True)
    await block_domain("quiet.example", DomainBlockSeverity.SUSPEND, "")
    text = export_blocks_csv(await DomainBlock.all())
    before = {(b.domain, b.severity, b.reason, b.public) for b in await DomainBlock.all()}
    # When they are all lifted and the file imported again
    await DomainBlock.all().delete()
    plan = await import_blocks(None, parse_blocks_csv(text.encode()))
    # Then the same blocks are back
    assert len(plan.new) == 3
    after = {(b.domain, b.severity, b.reason, b.public) for b in await DomainBlock.all()}
    assert after == before


async def test_plan_import__new_changed_unchanged_and_skipped(database: None) -> None:
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "Spam waves", public=True)
    await block_domain("loud.example", DomainBlockSeverity.SUSPEND, "Private")
    plan = await plan_import(parse_blocks_csv(MASTODON_EXPORT + b"new.example,suspend\n"))
    assert [row.domain for row in plan.new] == ["new.example"]
    assert [row.domain for row in plan.changed] == ["loud.example"]
    assert (plan.unchanged, plan.skipped) == (1, 1)
    # Planning stores nothing
    assert await DomainBlock.all().count() == 2


async def test_import_blocks__keeps_a_reason_the_file_leaves_empty(database: None) -> None:
    await block_domain("loud.example", DomainBlockSeverity.SUSPEND, "Private note")
    await import_blocks(None, parse_blocks_csv(MASTODON_EXPORT))
    block = await DomainBlock.get(domain="loud.example")
    assert (block.severity, block.reason) == (DomainBlockSeverity.LIMIT, "Private note")
    assert await AuditEntry.filter(action="domain.update", target_id="loud.example").exists()


async def test_import_blocks__a_failure_midway_changes_nothing(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file of three blocks, and a store that fails on the second
    calls = 0
    real = domain_block_csv.block_domain

    async def failing(*args: object, **kwargs: object) -> DomainBlock:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the disk is full")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(domain_block_csv, "block_domain", failing)
    rows = parse_blocks_csv(b"#domain\na.example\nb.example\nc.example\n")
    with pytest.raises(RuntimeError):
        await import_blocks(None, rows)
    # Then not even the first block was kept
    assert await DomainBlock.all().count() == 0
    assert await AuditEntry.all().count() == 0
