"""Reading submitted forms: size limits and the CSRF check come before anything else.

Every POST handler of the web adapter reads its body through `read_form`, which refuses (403) a
form whose `csrf_token` does not match the session's, so no form can be forged from another site.

It is also the one place where submitted text is made storable. As Discourse does, control
characters other than tab, line feed and carriage return are stripped from every text value
(PostgreSQL refuses NUL in text; the others only hide text or break a page), and a lone UTF-16
surrogate, which no database can encode, becomes U+FFFD. Stripping rather than refusing keeps a
pasted text with a stray control character from failing the whole form.

The body is read through a byte counter: a body without a Content-Length (chunked) is refused
with 413 as soon as it passes the limit, so the form parser (and the temporary files it writes
uploads to) get at most the limit plus the one chunk that crossed it.
"""

from __future__ import annotations

import hmac
import re
from typing import Any, Self

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Receive
from wtforms import Form

from server.text import without_surrogates
from web.context import web
from web.session import csrf_token

MAX_FILES = 4
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


async def read_form(request: Request, *, with_files: bool = False) -> FormData:
    settings = web(request).settings
    limit = settings.max_upload_bytes + 64 * 1024 if with_files else settings.max_form_bytes
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"The form is too large (the limit is {limit // 1024} KiB).")
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded.")
    if content_type.startswith("multipart/form-data") and not with_files:
        raise HTTPException(415, "This form takes no files.")
    counted = Request(request.scope, _capped(request.receive, limit))
    try:
        form = await counted.form(
            max_files=MAX_FILES if with_files else 0,
            max_fields=200,
            max_part_size=limit,
        )
    except MultiPartException as exc:
        raise HTTPException(400, f"The form could not be read: {exc.message}") from exc
    form = FormData([(clean_text(name), _cleaned(value)) for name, value in form.multi_items()])
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(),
        csrf_token(request).encode(),  # bytes: a str with non-ASCII would raise
    ):
        raise HTTPException(
            403, "The form expired or came from another site. Reload the page and try again."
        )
    return form


def clean_text(text: str) -> str:
    """`text` without control characters but tab, line feed and carriage return, and with
    each lone surrogate replaced by U+FFFD."""
    return without_surrogates(UNSTORABLE.sub("", text))


def _cleaned(value: str | UploadFile) -> str | UploadFile:
    return clean_text(value) if isinstance(value, str) else value


def _capped(receive: Receive, limit: int) -> Receive:
    """`receive`, raising 413 once the body it has passed on exceeds `limit` bytes."""
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(
                    413, f"The form is too large (the limit is {limit // 1024} KiB)."
                )
        return message

    return capped_receive


class WebForm(Form):
    """A WTForms form fed from Starlette's FormData (multi-valued fields kept)."""

    @classmethod
    def from_formdata(cls, formdata: FormData, **kwargs: Any) -> Self:
        return cls(formdata=_MultiDict(formdata), **kwargs)

    def add_errors(self, errors: dict[str, str]) -> None:
        """Show domain validation errors next to their fields ("" is a form-wide error)."""
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.append(message)
            else:
                field.errors = [*field.errors, message]


class _MultiDict:
    def __init__(self, formdata: FormData) -> None:
        self._formdata = formdata

    def __iter__(self) -> Any:
        return iter(self._formdata.keys())

    def __len__(self) -> int:
        return len(self._formdata)

    def __contains__(self, key: object) -> bool:
        return key in self._formdata

    def getlist(self, key: str) -> list[Any]:
        return list(self._formdata.getlist(key))
