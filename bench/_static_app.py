"""The yardstick of the reads benchmark: a static Starlette response, nothing else.

Served by uvicorn exactly as `lyceum serve` serves Lyceum (`python -m uvicorn
bench._static_app:app`, same defaults, same worker count), so that the ratio of a Lyceum page's
requests/s to this one's says how much of the machine the page leaves unused.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"subject":"acct:someone@example.org","links":[]}'


async def static(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/", static)])
