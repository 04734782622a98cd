"""Log-in and log-out on the web: cookies, vague failures, `next`, CSRF and rate limits."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from server.models import Account
from server.settings import Settings
from tests.helpers import PASSWORD, client_for, csrf, make_account


async def post_login(
    client: httpx.AsyncClient, login: str = "ada", password: str = PASSWORD, **extra: str
) -> httpx.Response:
    token = await csrf(client, "/login")
    return await client.post(
        "/login", data={"login": login, "password": password, "csrf_token": token, **extra}
    )


def session_cookie(response: httpx.Response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("lyceum_")]
    assert cookies, "the response sets no session cookie"
    return cookies[-1].lower()


async def test_login__by_user_name_sets_an_http_only_same_site_cookie(
    client: httpx.AsyncClient,
) -> None:
    # Given an account
    await make_account("ada", display_name="Ada")
    # When its owner logs in with their user name
    response = await post_login(client, "Ada")
    # Then they are redirected with a session cookie scripts cannot read
    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    cookie = session_cookie(response)
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http base URL
    page = await client.get("/")
    assert 'href="/u/ada"' in page.text


async def test_login__by_e_mail_address(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    response = await post_login(client, "ada@example.org")
    assert response.status_code == 303


async def test_login__the_cookie_is_secure_when_the_instance_is_https(
    settings: Settings, database: None
) -> None:
    # Given an instance known by an https URL
    await make_account("ada")
    https = settings.model_copy(update={"base_url": "https://lyceum.test"})
    async with client_for(https, base_url="https://lyceum.test") as client:
        # When someone logs in
        response = await post_login(client)
    # Then the session cookie is only ever sent over https
    assert response.status_code == 303
    cookie = session_cookie(response)
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


async def test_login__wrong_password_and_unknown_user_give_the_same_message(
    client: httpx.AsyncClient,
) -> None:
    # Given an account
    await make_account("ada")
    # When someone tries a wrong password, and a user name that does not exist
    wrong = await post_login(client, "ada", "not the password")
    unknown = await post_login(client, "nobody", PASSWORD)
    # Then both answers say the same and log nobody in
    assert wrong.status_code == unknown.status_code == 403
    message = "That e-mail or user name and password do not match."
    assert message in wrong.text and message in unknown.text
    assert 'href="/u/ada"' not in (await client.get("/")).text


async def test_login__empty_fields_are_422(client: httpx.AsyncClient) -> None:
    response = await post_login(client, "", "")
    assert response.status_code == 422
    assert "Enter your e-mail or user name." in response.text


@pytest.mark.parametrize("token", [None, "forged"])
async def test_login__without_a_valid_csrf_token_is_403(
    client: httpx.AsyncClient, token: str | None
) -> None:
    account = await make_account("ada")
    await client.get("/login")
    data = {"login": "ada", "password": PASSWORD}
    response = await client.post(
        "/login", data=data if token is None else {**data, "csrf_token": token}
    )
    assert response.status_code == 403
    assert (await Account.get(id=account.id)).last_login_at is None


async def test_login__honours_a_local_next(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    page = await client.get("/login?next=/settings/profile")
    assert 'name="next" type="hidden" value="/settings/profile"' in page.text
    response = await post_login(client, next="/settings/profile?tab=1")
    assert response.headers["location"] == "/settings/profile?tab=1"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "home"],
)
async def test_login__a_next_leading_elsewhere_is_ignored(
    client: httpx.AsyncClient, target: str
) -> None:
    await make_account("ada")
    response = await post_login(client, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/home"


async def test_login__too_many_attempts_from_one_address_answer_429(
    settings: Settings, database: None
) -> None:
    # Given an instance allowing three attempts a minute
    await make_account("ada")
    limited = settings.model_copy(update={"login_rate_limit": "3/minute"})
    async with client_for(limited) as client:
        # When one address tries three different accounts, then a fourth time
        for name in ("bob", "cy", "dee"):
            assert (await post_login(client, name, "guess guess guess")).status_code == 403
        # (a spoofed X-Forwarded-For changes nothing when proxy headers are not trusted)
        token = await csrf(client, "/login")
        refused = await client.post(
            "/login",
            data={"login": "ada", "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    # Then the fourth is refused before the password is even checked
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert (await Account.get(email="ada@example.org")).last_login_at is None


async def test_login__too_many_attempts_on_one_account_answer_429_from_any_address(
    settings: Settings, database: None
) -> None:
    # Given a proxy-fronted instance allowing two attempts a minute
    await make_account("ada")
    limited = settings.model_copy(
        update={
            "login_rate_limit": "2/minute",
            "trust_proxy_headers": True,
            "trusted_proxies": "127.0.0.1,10.0.0.0/8",
        }
    )
    async with client_for(limited) as client:
        # When three different addresses try the same account
        statuses = []
        for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
            token = await csrf(client, "/login")
            response = await client.post(
                "/login",
                data={"login": "ADA", "password": "guess guess guess", "csrf_token": token},
                headers={"X-Forwarded-For": f"{address}, 10.0.0.1"},
            )
            statuses.append(response.status_code)
    # Then the third is refused: the limit follows the account too
    assert statuses == [403, 403, 429]


async def test_logout__ends_the_session(client: httpx.AsyncClient) -> None:
    # Given a logged-in member
    await make_account("ada")
    await post_login(client)
    # When they log out
    token = await csrf(client, "/")
    response = await client.post("/logout", data={"csrf_token": token})
    # Then they are sent home and member pages ask them to log in again
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    settings_page = await client.get("/settings/profile")
    assert settings_page.status_code == 303
    assert settings_page.headers["location"].startswith("/login?next=")


async def test_logout__without_csrf_is_403_and_keeps_the_session(
    client: httpx.AsyncClient,
) -> None:
    await make_account("ada")
    await post_login(client)
    response = await client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert (await client.get("/settings/profile")).status_code == 200


async def test_login_page__logged_in_people_are_sent_on(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    await post_login(client)
    response = await client.get("/login?next=/u/ada")
    assert response.status_code == 303
    assert response.headers["location"] == "/u/ada"


async def test_login__pages_opened_right_after_share_one_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    # Given a person who has just logged in
    await make_account("ada")
    await post_login(client)
    # When two pages are opened at the same moment from that session
    first, second = await asyncio.gather(csrf(client, "/"), csrf(client, "/groups"))
    # Then both forms carry the same token, so either can be submitted
    assert first == second
