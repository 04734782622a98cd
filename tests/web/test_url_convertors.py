"""Malformed ids and names in URLs are a 404 at routing, before any query (the ORM refuses an
over-long value with an error, which would be a 500)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import log_in, make_account, make_group, make_post

pytestmark = pytest.mark.usefixtures("database")

TOO_LONG_NAME = "a" * 65
TOO_LONG_ID = "0" * 27


@pytest.mark.parametrize(
    "path",
    [
        f"/u/{TOO_LONG_NAME}",
        f"/g/{TOO_LONG_NAME}",
        f"/g/{TOO_LONG_NAME}/members",
        f"/g/physics@{'h' * 256}",
        f"/p/{TOO_LONG_ID}",
        f"/admin/users/{TOO_LONG_ID}",
        f"/admin/reports/{TOO_LONG_ID}",
        f"/admin/domains/{'d' * 256}",
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "application/activity+json"])
async def test_malformed_path__is_404_for_everyone(
    client: httpx.AsyncClient, path: str, accept: str
) -> None:
    await make_account("adminuser", admin=True)
    await log_in(client, "adminuser")
    response = await client.get(path, headers={"Accept": accept})
    assert response.status_code == 404


async def test_post_id__is_read_in_any_case(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    post = await make_post(owner, await make_group(owner, "physics"), title="Entropy")
    response = await client.get(f"/p/{post.id.upper()}")
    assert response.status_code == 200 and "Entropy" in response.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=st.text(st.characters(blacklist_characters="/?#", codec="utf-8"), min_size=1))
async def test_any_segment__never_fails(client: httpx.AsyncClient, segment: str) -> None:
    quoted = quote(segment, safe="")
    for path in (f"/u/{quoted}", f"/g/{quoted}", f"/p/{quoted}", f"/g/{quoted}/members"):
        response = await client.get(path)
        assert response.status_code < 500, (path, response.status_code)
