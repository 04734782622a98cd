"""Every page, asked with odd values in every query parameter the routes read: never a 5xx.

The parameter names are those `web/routes/` reads from `request.query_params` (a test below
keeps the list complete); each is set at once to values no link of ours makes: over-long text,
a cursor that decodes to an impossible time, huge numbers, right-to-left marks.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.web.access_matrix import ACCESS
from tests.web.test_access_matrix import build_world, fill
from tests.web.test_form_properties import logged_in

PARAMETERS = sorted(
    {
        "action",
        "actor",
        "answered",
        "author",
        "changed",
        "cursor",
        "domain",
        "group",
        "handle",
        "imported",
        "invite",
        "kind",
        "new",
        "next",
        "notice",
        "page",
        "q",
        "role",
        "saved",
        "scope",
        "since",
        "sort",
        "state",
        "tab",
        "title",
        "token",
        "topic",
        "type",
        "until",
    }
)
READ_RE = re.compile(r"""query_params(?:\.get\(|\[)"(\w+)"|"(\w+)" in request\.query_params""")
ODD_VALUES = {
    "long": "é" * 300,  # httpx refuses queries over 64 KiB: 24 of these stay under it
    "year one": base64.urlsafe_b64encode(b"0001-01-01T00:00:00+14:00|abc").decode(),
    "huge number": "9" * 40,
    "negative": "-1",
    "rtl": "\u202e\u200fabc",
}


def test_query_parameters__the_list_holds_every_parameter_the_routes_read() -> None:
    read = set()
    for module in (Path(__file__).parents[2] / "web" / "routes").glob("*.py"):
        for match in READ_RE.finditer(module.read_text()):
            read.add(match.group(1) or match.group(2))
    assert read - set(PARAMETERS) == set()


@pytest.mark.parametrize("value", ODD_VALUES.values(), ids=ODD_VALUES.keys())
async def test_query_parameters__odd_values_in_every_parameter_are_no_server_error(
    app: Starlette, value: str
) -> None:
    # Given a world and its admin, who may open every page
    world = await build_world(1)
    pages = [fill(route[4:], world) for route in ACCESS if route.startswith("GET ")]
    async with logged_in(app, world, "admin") as client:
        for page in pages:
            # When the page is asked with the value in every parameter
            response = await client.get(page, params=dict.fromkeys(PARAMETERS, value))
            # Then it is answered, or refused with a 4xx, never a server error
            assert response.status_code < 500, f"{page}: {response.status_code}"
