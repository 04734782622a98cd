"""A report as tables: the same rows for the page, the printable report and the CSV exports.

CSV files are written by the `csv` module with a header row. A text cell that a spreadsheet
would run as a formula (starting with = + - @, or a tab or carriage return) is written with a
leading apostrophe, so an exported post title cannot run anything when the file is opened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from server.services.insights.report import Report, duration

__all__ = ["TABLES", "Link", "Table", "csv_text", "report_tables", "safe_cell"]


@dataclass(frozen=True)
class Link:
    text: str
    path: str  # a path on this instance, e.g. /p/<id>


Cell = str | int | Link


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file's name, e.g. "weekly"
    title: str
    headers: list[str]
    rows: list[list[Cell]]


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "none asked"


def weekly(report: Report) -> Table:
    return Table(
        "weekly",
        "Activity per week",
        [
            "Week of",
            "Active members",
            "New members",
            "Posts",
            "Replies",
            "Questions asked",
            "Thread views",
        ],
        [
            [
                week.start.isoformat(),
                week.active,
                week.new_members,
                week.posts,
                week.replies,
                week.questions,
                week.views,
            ]
            for week in report.weeks
        ],
    )


def questions(report: Report) -> Table:
    asked = report.asked
    return Table(
        "questions",
        "Questions and answers",
        ["Measure", "Value"],
        [
            ["Questions asked", asked],
            ["Answered (a reply from someone else)", report.answered],
            ["Share answered", _share(report.answered, asked)],
            ["With an accepted answer", report.accepted],
            ["Share with an accepted answer", _share(report.accepted, asked)],
            ["Unanswered after 48 hours", report.unanswered_48h],
            ["Median time to first reply", duration(report.median_first_reply)],
            ["Median time to the accepted answer", duration(report.median_accepted)],
        ],
    )


def readers(report: Report) -> Table:
    return Table(
        "readers",
        "Readers and contributors per week",
        ["Week of", "Thread views", "Active members", "Views per active member"],
        [
            [
                week.start.isoformat(),
                week.views,
                week.active,
                f"{week.views / week.active:.1f}" if week.active else "none active",
            ]
            for week in report.weeks
        ],
    )


def unanswered(report: Report) -> Table:
    return Table(
        "unanswered",
        "Questions still unanswered after 48 hours",
        ["Asked on", "Question", "Group"],
        [
            [
                post.created_at.date().isoformat(),
                Link(post.title or "(untitled)", f"/p/{post.id}"),
                post.group_name,
            ]
            for post in report.unanswered
        ],
    )


def resources(report: Report) -> Table:
    return Table(
        "resources",
        "Top resources (most read)",
        ["Resource", "Group", "Thread views", "Likes"],
        [
            [
                Link(post.title or "(untitled)", f"/p/{post.id}"),
                post.group_name,
                views,
                post.likes,
            ]
            for post, views in report.resources
        ],
    )


def helpers(report: Report, local_domain: str) -> Table:
    return Table(
        "helpers",
        "Top helpers",
        ["Person", "Handle", "Accepted answers", "First replies to questions"],
        [
            [
                helper.actor.name,
                "@" + helper.actor.handle(local_domain),
                helper.accepted,
                helper.first_replies,
            ]
            for helper in report.helpers
        ],
    )


def federation(report: Report) -> Table:
    return Table(
        "federation",
        "Members reached over federation (followers today, by server software)",
        ["Server software", "Followers"],
        [[software, n] for software, n in report.reach],
    )


TABLES: dict[str, Callable[[Report, str], Table]] = {
    "weekly": lambda report, _: weekly(report),
    "questions": lambda report, _: questions(report),
    "readers": lambda report, _: readers(report),
    "unanswered": lambda report, _: unanswered(report),
    "resources": lambda report, _: resources(report),
    "helpers": helpers,
    "federation": lambda report, _: federation(report),
}


def report_tables(report: Report, local_domain: str) -> dict[str, Table]:
    return {name: build(report, local_domain) for name, build in TABLES.items()}


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_text(table: Table, base_url: str) -> str:
    """The table as CSV; a linked cell becomes its text and, in the next column, its address."""
    link_columns = {
        index for row in table.rows for index, cell in enumerate(row) if isinstance(cell, Link)
    }
    header: list[str] = []
    for index, name in enumerate(table.headers):
        header += [name, f"{name} address"] if index in link_columns else [name]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in table.rows:
        cells: list[str | int] = []
        for cell in row:
            if isinstance(cell, Link):
                cells += [safe_cell(cell.text), base_url.rstrip("/") + cell.path]
            elif isinstance(cell, str):
                cells.append(safe_cell(cell))
            else:
                cells.append(cell)
        writer.writerow(cells)
    return out.getvalue()
