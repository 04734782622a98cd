"""Sessions on the web: a copied cookie dies with its log-out, the sessions page, ending sessions,
and several web processes sharing the database."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from server.models import Actor, Session
from server.services import users
from server.settings import Settings
from tests.helpers import client_for, csrf, log_in, make_account

COOKIE = "lyceum_session"


def device(app: Starlette, user_agent: str = "python-httpx") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://lyceum.test",
        headers={"Accept": "text/html", "User-Agent": user_agent},
    )


def copy_of(client: httpx.AsyncClient, app: Starlette) -> httpx.AsyncClient:
    """Another client holding the same session cookie (a stolen or copied cookie)."""
    thief = device(app)
    thief.cookies.set(COOKIE, client.cookies[COOKIE], domain="lyceum.test")
    return thief


async def is_logged_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/settings/profile")
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


async def test_logout__a_copied_cookie_is_dead_at_once(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    # Given a logged-in member whose cookie was copied
    await make_account("ada")
    await log_in(client, "ada")
    async with copy_of(client, app) as thief:
        assert await is_logged_in(thief)
        # When the member logs out
        response = await client.post("/logout", data={"csrf_token": await csrf(client)})
        assert response.status_code == 303
        # Then the copy gets the log-in redirect, and the session row is gone
        answer = await thief.get("/settings/profile")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")
    assert not await Session.all().exists()


async def test_suspension__ends_the_persons_web_sessions(
    client: httpx.AsyncClient,
) -> None:
    # Given a logged-in member
    admin = await make_account("ida", admin=True)
    ada = await make_account("ada")
    await log_in(client, "ada")
    assert await is_logged_in(client)
    # When an admin suspends her
    await users.suspend_actor(admin.actor, await Actor.get(id=ada.actor_id), "spam")
    # Then her browser is logged out
    assert not await is_logged_in(client)


async def test_sessions_page__lists_each_browser_and_marks_this_one(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    # Given a member logged in here and in Firefox elsewhere
    await make_account("ada")
    await log_in(client, "ada")
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
    async with device(app, firefox) as other:
        await log_in(other, "ada")
        # When she opens her sessions page here
        page = await client.get("/settings/sessions")
    # Then both sessions are listed, with their browser, and this one is marked
    assert page.status_code == 200
    assert "Firefox 121 on Linux" in page.text
    assert page.text.count("this browser") == 1
    assert page.text.count("End this session") == 1  # only the other one offers it
    assert "127.0.0.1" in page.text
    profile = await client.get("/settings/profile")
    assert 'href="/settings/sessions"' in profile.text


async def test_end_others__logs_out_every_other_browser_and_keeps_this_one(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    # Given a member logged in on two devices
    await make_account("ada")
    await log_in(client, "ada")
    async with device(app) as other:
        await log_in(other, "ada")
        # When she ends the others here
        token = await csrf(client, "/settings/sessions")
        response = await client.post("/settings/sessions/end-others", data={"csrf_token": token})
        # Then the other device is logged out and this one is not
        assert response.status_code == 303
        assert not await is_logged_in(other)
    assert await is_logged_in(client)


async def test_end_others__without_csrf_is_403_and_ends_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    await make_account("ada")
    await log_in(client, "ada")
    async with device(app) as other:
        await log_in(other, "ada")
        response = await client.post("/settings/sessions/end-others", data={"csrf_token": "x"})
        assert response.status_code == 403
        assert await is_logged_in(other)


async def test_end_one__ends_that_session_only_and_not_another_persons(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    # Given Ada on two devices and Ben on one
    await make_account("ada")
    await make_account("ben")
    await log_in(client, "ada")
    async with device(app) as other, device(app) as bens:
        await log_in(other, "ada")
        await log_in(bens, "ben")
        ada_rows = await Session.filter(account__actor__username="ada").order_by("created_at")
        ben_row = await Session.get(account__actor__username="ben")
        token = await csrf(client, "/settings/sessions")
        # When Ada tries to end Ben's session
        refused = await client.post(
            f"/settings/sessions/{ben_row.id}/end", data={"csrf_token": token}
        )
        # Then that is a 404 and Ben stays logged in
        assert refused.status_code == 404
        assert await is_logged_in(bens)
        # When she ends her other device's session
        ended = await client.post(
            f"/settings/sessions/{ada_rows[1].id}/end", data={"csrf_token": token}
        )
        # Then only that device is logged out
        assert ended.status_code == 303
        assert not await is_logged_in(other)
        assert await is_logged_in(client)


@pytest.mark.usefixtures("database")
async def test_sessions__two_web_processes_share_them_through_the_database(
    settings: Settings,
) -> None:
    # Given two web processes (two apps) on one database
    await make_account("ada")
    async with client_for(settings) as first, client_for(settings) as second:
        # When Ada logs in on the first, and her cookie goes to the second
        await log_in(first, "ada")
        second.cookies.set(COOKIE, first.cookies[COOKIE], domain="lyceum.test")
        # Then the second knows her
        assert await is_logged_in(second)
        # When she logs out through the second
        await second.post("/logout", data={"csrf_token": await csrf(second)})
        # Then the first does not know her any more either
        assert not await is_logged_in(first)
