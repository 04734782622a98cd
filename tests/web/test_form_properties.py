"""Every form of the app, fed generated values: never a 5xx, and a refusal stores nothing.

For each POST route of the access matrix (the inboxes aside: their property tests live with the
inbox), one world is built and a person the route lets in posts generated forms with a valid
CSRF token: text with NUL, other control characters, lone surrogates and right-to-left marks,
100 KB strings, empty values, numbers where text is expected, missing, repeated and unknown
fields, as urlencoded forms or, for the forms that take files, as multipart with junk files.

The field names come from the forms on the app's own pages (every GET route, read as each
role), so a form that gains a field is fuzzed on it without editing this file.

The world is not reset between examples: each example's assertions compare the database with
itself just before that example (a whole-database row-count snapshot), so they hold whatever
earlier examples changed. An earlier example may have deleted the post, say; later ones then
probe the 404 path, which must not fail either.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from tortoise import Tortoise

from server.settings import Settings
from tests.conftest import BASE_URL, csrf_from
from tests.helpers import PASSWORD
from tests.web.access_matrix import (
    ACCESS,
    ADMIN,
    AUTH,
    AUTHOR,
    AUTHOR_OR_MOD,
    MEMBERS,
    MOD,
    PUBLIC,
    SIGNED,
)
from tests.web.test_access_matrix import World, build_world, fill

FORM_ROUTES = sorted(
    route for route, roles in ACCESS.items() if route.startswith("POST ") and roles != SIGNED
)
ROLE_FOR = {
    PUBLIC: "anonymous",
    AUTH: "member",
    MEMBERS: "member",
    AUTHOR: "member",
    AUTHOR_OR_MOD: "member",
    MOD: "moderator",
    ADMIN: "admin",
}
FILE_FORMS = {
    "POST /groups/new",
    "POST /settings/profile",
    "POST /g/{handle}/settings",
    "POST /admin/domains/import",
}
UNLIMITED = "100000/minute"

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION_RE = re.compile(r'action="([^"]*)"')
TAG_RE = re.compile(r"<(input|button|select)\b([^>]*)>", re.I)
TEXTAREA_RE = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S | re.I)
ATTRIBUTE_RE = re.compile(r'([\w-]+)(?:="([^"]*)")?')
OPTION_RE = re.compile(r'<option\b[^>]*value="([^"]*)"', re.I)
INJECTED = ["\x00", "\x00\x00", "\ud800", "\udfff", "\u202e", "\u200f", "\x1b", "\x7f", "\x0b"]

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 50,
    "\ud800",
    "x\udfffy",
    "\u202e\u200fmixed \u05e9\u05dc\u05d5\u05dd\u200e",
    "\x1b[31m\x07\x7f",
    "x" * 100_000,
    "0",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "true",
    "[]",
    '{"a": 1}',
    "on",
    "accept",
    "admin",
    "moderator",
    "https://lyceum.test/g/g1",
    "javascript:alert(1)",
    "https://[::1/unclosed",
    "@g1@lyceum.test",
    "../../etc/passwd",
    "Ω≈ç√∫µ≤≥÷ 🎓",
]
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=()), max_size=60),
    st.integers().map(str),
)
field_values = st.lists(values, min_size=0, max_size=3)  # missing, one, or repeated


@dataclass
class Probe:
    """A logged-in (or anonymous) client, the form's target and its fields."""

    client: httpx.AsyncClient
    target: str
    fields: dict[str, str]
    token: str


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Rate limits would turn later examples into 429s that test nothing.
    return Settings(
        base_url=BASE_URL,
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        embedded_worker=False,
        login_rate_limit=UNLIMITED,
        signup_rate_limit=UNLIMITED,
        post_rate_limit=UNLIMITED,
        report_rate_limit=UNLIMITED,
    )


_fields_by_route: dict[str, dict[str, str]] = {}


async def form_fields(app: Starlette, world: World) -> dict[str, dict[str, str]]:
    """The fields (name → the value the page fills in) of every form on every page, by the POST
    route it is sent to; read once per run, since they do not depend on the world's ids."""
    if _fields_by_route:
        return _fields_by_route
    targets = {fill(route.split(" ", 1)[1], world): route for route in FORM_ROUTES}
    found: dict[str, dict[str, str]] = {route: {} for route in FORM_ROUTES}
    pages = [fill(route[4:], world) for route in ACCESS if route.startswith("GET ")]
    for role in ("anonymous", "member", "moderator", "admin"):
        async with logged_in(app, world, role) as client:
            for page in pages:
                response = await client.get(page)
                for attributes, body in FORM_RE.findall(response.text):
                    action = ACTION_RE.search(attributes)
                    route = targets.get(html.unescape(action.group(1)) if action else page)
                    if route is not None:
                        found[route] = fields_of(body) | found[route]
    # A form no page of this world shows (a claim, a token reset) gets every field seen.
    every = {name: value for fields in found.values() for name, value in fields.items()}
    _fields_by_route.update({route: fields or every for route, fields in found.items()})
    return _fields_by_route


def fields_of(form: str) -> dict[str, str]:
    """Each named field of a form's HTML with the value a browser would send untouched."""
    fields: dict[str, str] = {}
    for tag, raw in TAG_RE.findall(form):
        attributes = {key.lower(): html.unescape(value) for key, value in ATTRIBUTE_RE.findall(raw)}
        name = attributes.get("name")
        if not name:
            continue
        if tag.lower() == "select":
            option = OPTION_RE.search(form[form.index(raw) :])
            fields.setdefault(name, html.unescape(option.group(1)) if option else "")
        elif attributes.get("type") in ("radio", "checkbox"):
            if "checked" in attributes or name not in fields:
                fields[name] = attributes.get("value") or "y"
        else:
            fields.setdefault(name, attributes.get("value", ""))
    for raw, text in TEXTAREA_RE.findall(form):
        attributes = {key.lower(): value for key, value in ATTRIBUTE_RE.findall(raw)}
        if attributes.get("name"):
            fields.setdefault(attributes["name"], html.unescape(text).strip())
    return fields


@asynccontextmanager
async def logged_in(app: Starlette, world: World, role: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        if role != "anonymous":
            page = await client.get("/login")
            login = {"login": world.usernames[role], "password": PASSWORD}
            answer = await client.post("/login", data={**login, "csrf_token": csrf_from(page.text)})
            assert answer.status_code == 303, f"{role} could not log in"
        yield client


@pytest.fixture
async def probe(request: pytest.FixtureRequest, app: Starlette) -> AsyncIterator[Probe]:
    route: str = request.node.callspec.params["route"]
    world = await build_world(1)
    fields = (await form_fields(app, world))[route]
    role = ROLE_FOR.get(ACCESS[route], "member")  # the token routes: anyone, who lacks it
    async with logged_in(app, world, role) as client:
        page = await client.get("/login" if role == "anonymous" else "/")
        yield Probe(client, fill(route.split(" ", 1)[1], world), fields, csrf_from(page.text))


async def row_counts() -> dict[str, int]:
    """How many rows each table holds, in one query."""
    tables = sorted(model._meta.db_table for model in Tortoise.apps["models"].values())
    sql = " UNION ALL ".join(f"SELECT '{t}' AS t, COUNT(*) AS n FROM \"{t}\"" for t in tables)
    _, rows = await Tortoise.get_connection("default").execute_query(sql)
    return {str(row["t"]): int(row["n"]) for row in rows}


def urlencoded(fields: list[tuple[str, str]]) -> bytes:
    """The form body as a browser would send it, lone surrogates passed through as the bytes
    a careless client would write."""
    return "&".join(
        f"{quote_plus(name.encode('utf-8', 'surrogatepass'))}="
        f"{quote_plus(value.encode('utf-8', 'surrogatepass'))}"
        for name, value in fields
    ).encode()


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, bytes]]) -> bytes:
    boundary = b"fuzzboundary"
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary, quote_plus(name).encode(), value.encode("utf-8", "surrogatepass"))
        for name, value in fields
    ]
    parts += [
        b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="f.png"\r\n'
        b"Content-Type: image/png\r\n\r\n%s\r\n" % (boundary, name.encode(), data)
        for name, data in files
    ]
    return b"".join(parts) + b"--%s--\r\n" % boundary


def injected(value: str, at: int, what: str) -> str:
    at = min(at, len(value))
    return value[:at] + what + value[at:]


@st.composite
def form_values(draw: st.DrawFn, page_fields: dict[str, str]) -> list[tuple[str, str]]:
    """A form near the page's own: most fields keep a valid-looking value with something
    hostile put inside it; some are replaced by wild values, dropped or repeated."""
    word = draw(st.text("abcdefghijklmnop", min_size=4, max_size=10), label="word")
    extra = draw(st.lists(st.sampled_from(["x", "title[]", "\x00"]), max_size=2), label="extra")
    fields: list[tuple[str, str]] = []
    for name in [*page_fields, *extra]:
        if name == "csrf_token":
            continue
        base = page_fields.get(name) or word
        if draw(st.integers(0, 3), label=f"{name} kind") == 0:
            fields += [(name, value) for value in draw(field_values, label=name)]
        else:
            what = draw(st.sampled_from(["", *INJECTED]), label=f"{name} injected")
            fields.append((name, injected(base, draw(st.integers(0, 20)), what)))
    return fields


async def post_and_check(route: str, probe: Probe, body: bytes, content_type: str) -> None:
    before = await row_counts()
    response = await probe.client.post(
        probe.target, content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code < 500, f"{route}: {response.status_code}"
    if 400 <= response.status_code < 500:
        assert await row_counts() == before, f"{route} stored rows with a {response.status_code}"


@pytest.mark.parametrize("route", FORM_ROUTES)
async def test_form__a_hostile_character_in_every_field_of_a_valid_form_is_no_server_error(
    route: str, probe: Probe
) -> None:
    for n, what in enumerate(["\x00", "\ud800", "\u202e\x1b"]):
        # Given the form as its page fills it in (a fresh word where the page leaves a field
        # empty) with NUL, a lone surrogate, or an RTL override and an escape in every value
        fields = [("csrf_token", probe.token)] + [
            (name, injected(value or f"fuzzword{n}", 2, what))
            for name, value in probe.fields.items()
            if name != "csrf_token"
        ]
        # When it is posted, Then it is no server error, and a refusal stores nothing
        body = urlencoded(fields)
        await post_and_check(route, probe, body, "application/x-www-form-urlencoded")


@hypothesis_settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.parametrize("route", FORM_ROUTES)
async def test_form__generated_values_never_fail_and_refusals_store_nothing(
    route: str, probe: Probe, data: st.DataObject
) -> None:
    # Given a form of generated values near the page's own (and a few fields it does not have)
    fields = [("csrf_token", probe.token), *data.draw(form_values(probe.fields))]
    as_multipart = route in FILE_FORMS and data.draw(st.booleans(), label="multipart")
    if as_multipart:
        junk = data.draw(st.binary(max_size=200), label="file")
        body = multipart(fields, [("avatar", junk), ("banner", junk), ("file", junk)])
        content_type = "multipart/form-data; boundary=fuzzboundary"
    else:
        body = urlencoded(fields)
        content_type = "application/x-www-form-urlencoded"
    # When it is posted, Then it is no server error, and a refusal left every table as it was
    await post_and_check(route, probe, body, content_type)
