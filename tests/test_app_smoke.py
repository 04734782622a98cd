"""The assembled app answers its front page and unknown paths."""

from __future__ import annotations

import httpx


async def test_front_page__renders_for_a_visitor(client: httpx.AsyncClient) -> None:
    # When a visitor opens the front page
    response = await client.get("/")
    # Then it renders with the instance name and a way to sign up
    assert response.status_code == 200
    assert "<h1>Lyceum</h1>" in response.text
    assert 'href="/signup"' in response.text


async def test_unknown_page__is_404_with_a_readable_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
