"""Mail bodies from the Jinja2 templates beside this module: each message has a plain-text part
(`<name>.txt`) and an HTML part (`<name>.html`), both from the same context."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = ["RenderedMail", "render_mail"]


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_mail(template: str, subject: str, /, **context: Any) -> RenderedMail:
    environment = _environment()
    context = {"subject": subject, **context}
    return RenderedMail(
        subject=subject,
        text=environment.get_template(f"{template}.txt").render(context),
        html=environment.get_template(f"{template}.html").render(context),
    )
