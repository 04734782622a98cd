"""Addresses with control characters (web/url_guard.py): 400 before any route reads them."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import make_account, make_group


@pytest.mark.parametrize(
    "url",
    [
        "/groups?q=%00",
        "/groups?topic=a%00b",
        "/g/%00",
        "/u/ada%00",
        "/admin/reports?group=%00",
        "/groups?q=line%0Abreak",
        "/groups?q=%1B",
        "/groups?q=%7F",
    ],
)
async def test_url_guard__a_control_character_in_the_path_or_query_is_400(
    client: httpx.AsyncClient, url: str
) -> None:
    # Given a group, when an address with a control character is asked for
    owner = await make_account("ada")
    await make_group(owner, "physics")
    response = await client.get(url)
    # Then it is refused with a reason, not looked up
    assert response.status_code == 400
    assert "control character" in response.text


@pytest.mark.parametrize("path", ["/g/%00/outbox", "/u/%00/outbox"])
async def test_url_guard__covers_activitypub_documents_too(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers={"Accept": "application/activity+json"})
    assert response.status_code == 400


async def test_url_guard__ordinary_addresses_pass(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    await make_group(owner, "physics")
    assert (await client.get("/groups?q=phys+ics%20%C3%A9&topic=")).status_code == 200
    assert (await client.get("/g/physics")).status_code == 200
