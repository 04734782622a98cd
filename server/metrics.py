"""Prometheus metrics at `/metrics`, for an operator's scraper (off unless a token is set).

Two kinds:
- what the queues hold (deliveries by state, received activities by outcome, mail by state,
  rows leased by a worker now, and how long the oldest due item has waited), read from the
  database at scrape time: every process answers for the whole instance, whichever the
  scraper reaches, and a worker needs no port of its own;
- this process's request latency by route (a histogram), so scrape each web process.

A scrape must send `Authorization: Bearer <LYCEUM_METRICS_TOKEN>`; without the setting the
route answers 404, as if it did not exist.
"""

from __future__ import annotations

import hmac
import time
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.functions import Count, Min
from tortoise.models import Model

from server.models import Delivery, DeliveryState, InboxActivity, MailState, OutgoingMail, utcnow

__all__ = ["Metrics", "RequestTimer", "routes"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One process's registry: its request histogram and the queue gauges it fills per scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "lyceum_request_seconds",
            "Time to answer a request, by method and route (its path template).",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "lyceum_deliveries",
            "Outgoing deliveries stored, by state (queued, done, failed).",
            ["state"],
            registry=self.registry,
        )
        self.inbox = Gauge(
            "lyceum_inbox_activities",
            "Received activities stored, by outcome (waiting, processed, refused, dead).",
            ["result"],
            registry=self.registry,
        )
        self.mail = Gauge(
            "lyceum_mail",
            "Outgoing mail stored, by state (queued, sent, dead).",
            ["state"],
            registry=self.registry,
        )
        self.leased = Gauge(
            "lyceum_leased_rows",
            "Rows a worker holds under a lease right now, by queue.",
            ["queue"],
            registry=self.registry,
        )
        self.oldest_due = Gauge(
            "lyceum_oldest_due_seconds",
            "How long the oldest item that is due has waited, by queue (0: none waits).",
            ["queue"],
            registry=self.registry,
        )

    async def refresh(self) -> None:
        """Read the queues' figures from the database into the gauges."""
        now = utcnow()
        self._by_state(self.deliveries, [s.value for s in DeliveryState], await _counts(Delivery))
        self._by_state(self.mail, [s.value for s in MailState], await _counts(OutgoingMail))
        waiting = InboxActivity.filter(processed_at__isnull=True, dead_at__isnull=True)
        handled = InboxActivity.filter(processed_at__isnull=False, dead_at__isnull=True)
        self.inbox.labels("waiting").set(await waiting.count())
        self.inbox.labels("processed").set(await handled.filter(error="").count())
        self.inbox.labels("refused").set(await handled.exclude(error="").count())
        self.inbox.labels("dead").set(await InboxActivity.filter(dead_at__isnull=False).count())
        for queue, model in (
            ("delivery", Delivery),
            ("inbox", InboxActivity),
            ("mail", OutgoingMail),
        ):
            self.leased.labels(queue).set(await model.filter(lease_until__gt=now).count())
        due_delivery = Delivery.filter(state=DeliveryState.QUEUED, next_attempt_at__lte=now)
        due_mail = OutgoingMail.filter(state=MailState.QUEUED, next_attempt_at__lte=now)
        self.oldest_due.labels("delivery").set(
            _age(await _oldest(due_delivery, "next_attempt_at"), now)
        )
        self.oldest_due.labels("inbox").set(_age(await _oldest(waiting, "created_at"), now))
        self.oldest_due.labels("mail").set(_age(await _oldest(due_mail, "next_attempt_at"), now))

    @staticmethod
    def _by_state(gauge: Gauge, states: list[str], counts: dict[str, int]) -> None:
        for state in states:  # every state, 0 included, so a series never disappears
            gauge.labels(state).set(counts.get(state, 0))


async def _counts(model: type[Model]) -> dict[str, int]:
    rows = await model.all().annotate(n=Count("id")).group_by("state").values_list("state", "n")
    return {str(state): int(count) for state, count in rows}


async def _oldest(query: object, column: str) -> datetime | None:
    rows = await query.annotate(first=Min(column)).values_list("first", flat=True)  # type: ignore[attr-defined]
    return rows[0] if rows else None


def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


class RequestTimer:
    """ASGI middleware: time every HTTP request by the route that answered it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            # The router leaves the route it chose in the scope; unmatched paths share one label.
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            self.metrics.request_seconds.labels(scope["method"], template).observe(
                time.perf_counter() - start
            )


async def metrics_page(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if not token:
        return PlainTextResponse("Not Found", status_code=404)
    sent = request.headers.get("authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return PlainTextResponse(
            "Send the metrics token as Authorization: Bearer TOKEN.",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    metrics: Metrics = request.app.state.metrics
    await metrics.refresh()
    return Response(
        generate_latest(metrics.registry),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/metrics", metrics_page, methods=["GET"])]
