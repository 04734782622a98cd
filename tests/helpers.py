"""Small builders for tests: accounts, logged-in clients, groups. Real services, no mocks."""

from __future__ import annotations

import httpx

from server.models import Account, Role
from server.services import accounts, groups
from server.services.groups import GroupForm
from tests.conftest import csrf_from

PASSWORD = "correct horse battery"


async def make_account(username: str, *, admin: bool = False, display_name: str = "") -> Account:
    account = await accounts.create_account(
        username,
        f"{username}@example.org",
        PASSWORD,
        display_name=display_name,
        role=Role.ADMIN if admin else Role.MEMBER,
    )
    await account.fetch_related("actor")
    return account


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> None:
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"login": username, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text


async def csrf(client: httpx.AsyncClient, path: str = "/") -> str:
    """A valid CSRF token for the client's session, read from a page."""
    page = await client.get(path)
    return csrf_from(page.text)


async def make_group(owner: Account, handle: str, **kwargs: object) -> groups.Group:
    form = GroupForm(handle=handle, name=kwargs.pop("name", handle.title()), **kwargs)  # type: ignore[arg-type]
    return await groups.create_group(owner, form)
