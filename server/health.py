"""Probes for process managers and load balancers (Kubernetes, compose, a proxy's checks).

- `/healthz`: the process is up and serving; it touches nothing else, so a slow database never
  gets a healthy process restarted.
- `/readyz`: this process can serve pages: the database answers and holds every migration this
  code knows. A 503 names what is wrong, so that a proxy stops sending traffic here meanwhile.
  Once the migrations were found current they stay so for this process (its code does not
  change), so later probes only ask the database `SELECT 1`.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from tortoise import Tortoise

from server import db

__all__ = ["liveness_routes", "routes"]

log = logging.getLogger("lyceum")

NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n", headers=NO_STORE)


async def readyz(request: Request) -> Response:
    migrated = getattr(request.app.state, "migrations_current", False)
    try:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
        pending = [] if migrated else await db.pending_migrations()
    except Exception as error:  # any failure to reach the database means "not ready"
        log.warning("not ready: the database cannot be reached (%s)", type(error).__name__)
        return JSONResponse(
            {"ready": False, "reason": "The database cannot be reached."},
            status_code=503,
            headers=NO_STORE,
        )
    if pending:
        return JSONResponse(
            {
                "ready": False,
                "reason": f"{len(pending)} migration(s) pending: run `{db.MIGRATE_COMMAND}`.",
            },
            status_code=503,
            headers=NO_STORE,
        )
    request.app.state.migrations_current = True
    return JSONResponse({"ready": True}, headers=NO_STORE)


liveness_routes = [Route("/healthz", healthz, methods=["GET", "HEAD"])]
routes = [*liveness_routes, Route("/readyz", readyz, methods=["GET", "HEAD"])]
