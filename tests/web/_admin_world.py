"""What the admin page tests share: fast accounts, and an admin's logged-in client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from server.models import Account
from tests.conftest import BASE_URL
from tests.helpers import log_in, make_account


@pytest.fixture
async def admin(database: None) -> Account:
    return await make_account("olga", admin=True, display_name="Olga Admin")


@pytest.fixture
async def admin_client(app: Starlette, admin: Account) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        await log_in(client, "olga")
        yield client


async def member_client(app: Starlette, username: str) -> httpx.AsyncClient:
    """A second client, logged in as `username` (the caller closes it)."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers={"Accept": "text/html"}
    )
    await log_in(client, username)
    return client


__all__ = ["admin", "admin_client", "member_client"]
