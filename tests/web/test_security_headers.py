"""Security headers on every response: pages, ActivityPub JSON, static files, errors; HSTS only
for an https instance; no inline script or style in the templates for the CSP to refuse."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.app import create_app
from server.settings import Settings
from tests.helpers import client_for
from web.security_headers import SecurityHeaders

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
CSP_PARTS = {
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def assert_secure(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert {part.strip() for part in csp.split(";")} == CSP_PARTS
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("/", "text/html", 200),
        ("/groups", "text/html", 200),
        ("/actor", "application/activity+json", 200),
        ("/.well-known/nodeinfo", "application/json", 200),
        ("/static/lyceum.css", "text/css", 200),
        ("/no/such/page", "text/html", 404),
        ("/no/such/page", "application/json", 404),
    ],
)
async def test_security_headers__on_every_kind_of_response(
    client: httpx.AsyncClient, path: str, accept: str, status: int
) -> None:
    # When a page, a JSON document, a static file or an error is asked for
    response = await client.get(path, headers={"Accept": accept})
    # Then it carries every header, and no HSTS over plain http
    assert response.status_code == status
    assert_secure(response)
    assert "strict-transport-security" not in response.headers


async def test_security_headers__hsts_when_the_instance_is_https(
    settings: Settings, database: None
) -> None:
    # Given an instance known by an https URL
    https = settings.model_copy(update={"base_url": "https://lyceum.test"})
    async with client_for(https, base_url="https://lyceum.test") as client:
        # When a page and a static file are asked for
        for path in ("/", "/static/lyceum.css"):
            response = await client.get(path)
            # Then browsers are told to use https only from now on
            assert response.headers["strict-transport-security"] == "max-age=31536000"
            assert_secure(response)


async def test_security_headers__a_response_keeps_its_own_value() -> None:
    # Given an app whose route sets a stricter policy of its own
    async def strict(request: object) -> PlainTextResponse:
        return PlainTextResponse("x", headers={"Content-Security-Policy": "sandbox"})

    app = SecurityHeaders(Starlette(routes=[Route("/", strict)]), https=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/")
    # Then that policy stays, and the other headers are added
    assert response.headers.get_list("content-security-policy") == ["sandbox"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_security_headers__even_an_unexpected_failure_carries_them(
    settings: Settings, database: None
) -> None:
    # Given the app, with a route that fails unexpectedly
    app = create_app(settings, manage_database=False)

    async def broken(request: object) -> PlainTextResponse:
        raise RuntimeError("a bug")

    app.router.routes.insert(0, Route("/broken", broken))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://lyceum.test") as client:
        # When it is asked for
        response = await client.get("/broken")
    # Then Starlette's 500 carries the headers too
    assert response.status_code == 500
    assert_secure(response)


INLINE = re.compile(
    r"<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


def test_templates__hold_no_inline_script_style_or_handler() -> None:
    # The CSP refuses them: each would be a broken page, not a working one
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in INLINE.finditer(path.read_text())
    ]
    assert found == []
