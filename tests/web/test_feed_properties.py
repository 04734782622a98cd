"""Feeds asked with generated query strings and path values: a valid feed or a clear 4xx, never
a server error. `kind` is the one parameter feeds read (any other is ignored)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote, unquote_to_bytes

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from tests.conftest import BASE_URL
from tests.helpers import make_account, make_group, make_post
from tests.web._feed_check import check_atom, check_rss
from web.url_guard import CONTROL

KINDS = ("discussion", "question", "resource")
FEEDS = ("/feed", "/g/maths/feed", "/tags/algebra/feed", "/u/ada/feed")
PROPERTIES = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Long values stay under what a client sends at all (httpx refuses URLs over 64 KiB): four
# "é" * 2000 take 48,000 characters percent-encoded.
odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "\ud800", "\u202e\u200fabc", "é" * 2000, "-1", "9" * 40, "%", "&"]),
)
parameter_names = st.one_of(st.just("kind"), st.text(min_size=1, max_size=12))


def encoded(text: str) -> str:
    """Percent-encoding as any client may send it, lone surrogates included (their UTF-8-ish
    bytes are not UTF-8: the server must cope)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@pytest.fixture
async def reader(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    ada = await make_account("ada")
    group = await make_group(ada, "maths")
    await make_post(ada, group, kind="question", title="On #algebra", body="#algebra")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def assert_feed_or_refusal(path: str, response: httpx.Response) -> None:
    assert response.status_code < 500, f"{path}: {response.status_code}"
    if response.status_code == 200:
        (check_atom if ".atom" in path else check_rss)(response.content)
    else:
        assert response.status_code in (400, 404), f"{path}: {response.status_code}"


@PROPERTIES
@given(
    feed=st.sampled_from(FEEDS),
    atom=st.booleans(),
    query=st.lists(st.tuples(parameter_names, odd_text), max_size=4),
)
async def test_feed_query__generated_parameters_give_a_feed_or_400(
    reader: httpx.AsyncClient, feed: str, atom: bool, query: list[tuple[str, str]]
) -> None:
    # When a feed is asked with generated parameters
    raw = "&".join(f"{encoded(name)}={encoded(value)}" for name, value in query)
    path = f"{feed}.{'atom' if atom else 'rss'}" + (f"?{raw}" if raw else "")
    response = await reader.get(path)
    # Then it is a valid feed, or a 400 that says why
    assert_feed_or_refusal(path, response)
    kinds = [value for name, value in query if name == "kind"]
    if CONTROL.search(raw.encode()) or CONTROL.search(unquote_to_bytes(raw)):
        assert response.status_code == 400  # refused by the guard before any route (url_guard)
    elif feed == "/g/maths/feed" and kinds:
        # the last `kind` counts, as Starlette reads it; a kind that is no kind is refused
        assert response.status_code == (200 if kinds[-1] in ("", *KINDS) else 400)
    elif feed != "/g/maths/feed" or not kinds:
        assert response.status_code == 200  # other parameters are ignored


@PROPERTIES
@given(
    prefix=st.sampled_from(["/g/", "/tags/", "/u/"]),
    name=st.text(min_size=1, max_size=300),
    atom=st.booleans(),
)
async def test_feed_path__generated_names_give_a_feed_or_404(
    reader: httpx.AsyncClient, prefix: str, name: str, atom: bool
) -> None:
    path = f"{prefix}{encoded(name)}/feed.{'atom' if atom else 'rss'}"
    response = await reader.get(path)
    assert_feed_or_refusal(path, response)
