"""Domain blocks in and out, in the CSV format Mastodon exports and imports.

    #domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
    spam.example,suspend,false,false,Spam waves,false

How the columns map onto Lyceum's blocks:
- `#severity`: `suspend` is a suspension, `silence` a limit; `noop` rows (Mastodon's media- or
  report-only blocks, which Lyceum has no equivalent for) are skipped and counted;
- `#public_comment` is the reason of a public block; `#obfuscate` true means not public. A
  private block's reason never leaves: it is exported with an empty comment;
- `#reject_media` and `#reject_reports` are read for validity and otherwise ignored (written
  `false`). Unknown columns are ignored; `#domain` is required, every other column optional.

`parse_blocks_csv` reads the whole file or refuses it (Invalid, with the line at fault), so an
import changes either everything it lists or nothing; `import_blocks` applies the rows in one
transaction. `plan_import` tells, before anything is stored, what an import would change.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from server.models import Actor, DomainBlock, DomainBlockSeverity
from server.services.audit import REASON_MAX_CHARS
from server.services.domain_blocks import block_domain, clean_domain
from server.services.errors import Invalid

__all__ = [
    "HEADER",
    "MAX_BYTES",
    "MAX_ROWS",
    "BlockRow",
    "ImportPlan",
    "export_blocks_csv",
    "import_blocks",
    "parse_blocks_csv",
    "plan_import",
]

HEADER = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)
MAX_BYTES = 512 * 1024
MAX_ROWS = 5000
SEVERITIES = {"suspend": DomainBlockSeverity.SUSPEND, "silence": DomainBlockSeverity.LIMIT}
TO_MASTODON = {DomainBlockSeverity.SUSPEND: "suspend", DomainBlockSeverity.LIMIT: "silence"}
BOOLEANS = {"true": True, "false": False, "": False, "1": True, "0": False}


@dataclass(frozen=True)
class BlockRow:
    domain: str
    severity: DomainBlockSeverity | None  # None: a `noop` row, skipped
    reason: str = ""
    public: bool = False


@dataclass
class ImportPlan:
    """What an import does: blocks it adds, blocks it changes, and rows it leaves alone."""

    new: list[BlockRow] = field(default_factory=list)
    changed: list[BlockRow] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0  # noop rows

    @property
    def applies(self) -> list[BlockRow]:
        return [*self.new, *self.changed]


def parse_blocks_csv(data: bytes) -> list[BlockRow]:
    """Every row of the file, or Invalid naming the first problem (nothing is stored here)."""
    if len(data) > MAX_BYTES:
        raise Invalid({"file": f"The file is larger than {MAX_BYTES // 1024} KiB."})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid({"file": "The file is not UTF-8 text."}) from None
    if "\x00" in text:
        raise Invalid({"file": "The file contains NUL characters; it is not a CSV file."})
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return _rows(reader)
    except csv.Error as error:
        raise Invalid({"file": f"Line {reader.line_num}: {error}."}) from None


def _rows(reader: Iterable[list[str]]) -> list[BlockRow]:
    columns: dict[str, int] | None = None
    rows: dict[str, BlockRow] = {}
    for line, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if columns is None:
            columns = _header(cells)
            continue
        if len(cells) > len(columns):
            raise Invalid({"file": f"Line {line}: more cells than the header names."})
        row = _row(line, {name: cells[i] if i < len(cells) else "" for name, i in columns.items()})
        if row.domain in rows:
            raise Invalid({"file": f"Line {line}: {row.domain} is listed twice."})
        rows[row.domain] = row
        if len(rows) > MAX_ROWS:
            raise Invalid({"file": f"The file lists more than {MAX_ROWS:,} domains."})
    if columns is None:
        raise Invalid({"file": "The file is empty."})
    return list(rows.values())


def _header(cells: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in cells]
    if "#domain" not in names:
        raise Invalid(
            {"file": "Line 1: the header must name a #domain column (Mastodon's format)."}
        )
    return {name: i for i, name in enumerate(names) if name}


def _row(line: int, cells: dict[str, str]) -> BlockRow:
    try:
        domain = clean_domain(cells["#domain"])
    except Invalid:
        shown = cells["#domain"][:80]
        raise Invalid({"file": f"Line {line}: {shown!r} is not a domain name."}) from None
    severity_name = cells.get("#severity", "").strip().lower() or "suspend"
    if severity_name not in (*SEVERITIES, "noop"):
        raise Invalid({"file": f"Line {line}: the severity must be suspend, silence or noop."})
    flags = {}
    for name in ("#reject_media", "#reject_reports", "#obfuscate"):
        value = cells.get(name, "").strip().lower()
        if value not in BOOLEANS:
            raise Invalid({"file": f"Line {line}: {name} must be true or false."})
        flags[name] = BOOLEANS[value]
    comment = cells.get("#public_comment", "").strip()
    if len(comment) > REASON_MAX_CHARS:
        raise Invalid(
            {"file": f"Line {line}: the comment is longer than {REASON_MAX_CHARS:,} characters."}
        )
    return BlockRow(
        domain=domain,
        severity=SEVERITIES.get(severity_name),
        reason=comment,
        public=not flags["#obfuscate"],
    )


def export_blocks_csv(blocks: Iterable[DomainBlock]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for block in blocks:
        comment = block.reason if block.public else ""
        obfuscate = "false" if block.public else "true"
        writer.writerow(
            [block.domain, TO_MASTODON[block.severity], "false", "false", comment, obfuscate]
        )
    return out.getvalue()


async def plan_import(rows: list[BlockRow]) -> ImportPlan:
    existing = {
        block.domain: block
        for block in await DomainBlock.filter(domain__in=[row.domain for row in rows])
    }
    plan = ImportPlan()
    for row in rows:
        block = existing.get(row.domain)
        if row.severity is None:
            plan.skipped += 1
        elif block is None:
            plan.new.append(row)
        elif (block.severity, block.public) != (row.severity, row.public) or (
            row.reason and row.reason != block.reason
        ):
            plan.changed.append(row)
        else:
            plan.unchanged += 1
    return plan


async def import_blocks(by: Actor | None, rows: list[BlockRow]) -> ImportPlan:
    """Apply the rows in one transaction; an empty comment keeps a block's current reason."""
    async with in_transaction():
        plan = await plan_import(rows)
        current = {
            block.domain: block.reason
            for block in await DomainBlock.filter(domain__in=[row.domain for row in plan.changed])
        }
        for row in plan.applies:
            assert row.severity is not None
            reason = row.reason or current.get(row.domain, "")
            await block_domain(row.domain, row.severity, reason, by=by, public=row.public)
    return plan
