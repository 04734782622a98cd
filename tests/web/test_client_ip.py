"""The client address behind reverse proxies: the right-most X-Forwarded-For entry that is not a
trusted proxy, and only when the request itself comes from a trusted proxy."""

from __future__ import annotations

import httpx
import pydantic
import pytest

from server.app import create_app
from server.models import Session
from server.settings import Settings
from tests.conftest import BASE_URL, csrf_from
from tests.helpers import PASSWORD, make_account

pytestmark = pytest.mark.usefixtures("database")

BEHIND_PROXIES = {"trust_proxy_headers": True, "trusted_proxies": "127.0.0.1,::1,10.0.0.0/8"}


async def recorded_address(settings: Settings, peer: str, forwarded: str | None) -> str:
    """Log in through an app built from `settings`, from `peer`, with that X-Forwarded-For; the
    address the new session row recorded."""
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Accept": "text/html", **headers}
    ) as client:
        page = await client.get("/login")
        data = {"login": "ada", "password": PASSWORD, "csrf_token": csrf_from(page.text)}
        assert (await client.post("/login", data=data)).status_code == 303
    row = await Session.all().order_by("-created_at").first()
    assert row is not None
    return row.ip_address


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # The proxy appends the address it saw; whatever the client wrote before it is ignored.
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "6.6.6.6,198.51.100.7, 10.0.0.2, 10.1.2.3", "198.51.100.7"),
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("10.0.0.9", "6.6.6.6, 2001:db8::5", "2001:db8::5"),
        # A peer that is not a trusted proxy is the client, whatever it claims.
        ("203.0.113.5", "198.51.100.7", "203.0.113.5"),
        ("203.0.113.5", "127.0.0.1", "203.0.113.5"),
        # No header: the peer.
        ("127.0.0.1", None, "127.0.0.1"),
    ],
)
async def test_client_ip__behind_trusted_proxies(
    settings: Settings, peer: str, forwarded: str | None, client: str
) -> None:
    # Given an instance behind proxies, and an account
    await make_account("ada")
    proxied = settings.model_copy(update=BEHIND_PROXIES)
    # When someone logs in from `peer` with that X-Forwarded-For
    # Then the client is the right-most untrusted entry, or the peer when it is not a proxy
    assert await recorded_address(proxied, peer, forwarded) == client


async def test_client_ip__without_trusting_proxies_the_header_is_ignored(
    settings: Settings,
) -> None:
    await make_account("ada")
    assert await recorded_address(settings, "127.0.0.1", "198.51.100.7") == "127.0.0.1"


async def test_login_limit__a_spoofed_header_does_not_dodge_it_behind_a_proxy(
    settings: Settings,
) -> None:
    # Given a proxy-fronted instance allowing two log-in attempts a minute per address
    await make_account("ada")
    limited = settings.model_copy(update={**BEHIND_PROXIES, "login_rate_limit": "2/minute"})
    app = create_app(limited, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Accept": "text/html"}
    ) as client:
        statuses = []
        # When one client tries three accounts, writing a new address into the header each time
        for n, name in enumerate(("bob", "cy", "dee")):
            page = await client.get("/login")
            response = await client.post(
                "/login",
                data={"login": name, "password": "guess", "csrf_token": csrf_from(page.text)},
                headers={"X-Forwarded-For": f"192.0.2.{n}, 198.51.100.7"},
            )
            statuses.append(response.status_code)
    # Then the third is refused: the proxy's entry, not the client's, names the client
    assert statuses == [403, 403, 429]


@pytest.mark.parametrize("value", ["example.org", "10.0.0.0/33", "127.0.0.1,,nonsense"])
def test_trusted_proxies__anything_but_addresses_and_networks_is_refused(value: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        Settings(trusted_proxies=value)
