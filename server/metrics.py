"""Prometheus metrics at `/metrics`, for an operator's scraper (off unless a token is set).

Three kinds:
- what the queues hold (deliveries by state, received activities by outcome, mail by state,
  rows leased by a worker now, and how long the oldest due item has waited), read from the
  database at scrape time: every process answers for the whole instance, whichever the
  scraper reaches, and a worker needs no port of its own;
- this process's requests: latency by route (a histogram) and responses by route and status
  (the inbox's 202s, 401s and 429s among them), so scrape each web process;
- what this process decided, counted where it decides it: delivery attempts by outcome (done,
  retry, final). A `lyceum worker` serves them on its own port (LYCEUM_WORKER_METRICS_PORT),
  with the queues; the embedded worker's are in its web process's page.

A scrape must send `Authorization: Bearer <LYCEUM_METRICS_TOKEN>`; without the setting the
route answers 404, as if it did not exist.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.functions import Count, Min
from tortoise.models import Model

from server.models import Delivery, DeliveryState, InboxActivity, MailState, OutgoingMail, utcnow

__all__ = ["DELIVERY_ATTEMPTS", "PROCESS", "Metrics", "RequestTimer", "routes"]

MAX_CACHED_SERIES = 1024
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Counters of this process, incremented where the outcome is decided; every Metrics page of the
# process includes them.
PROCESS = CollectorRegistry()
DELIVERY_ATTEMPTS = Counter(
    "lyceum_delivery_attempts",
    "Delivery attempts this process made, by outcome: done (the peer took it), retry (to be "
    "tried again later), final (given up: refused for good, or out of attempts).",
    ["outcome"],
    registry=PROCESS,
)
for _outcome in ("done", "retry", "final"):  # every series from the start, at 0
    DELIVERY_ATTEMPTS.labels(_outcome)


class _Included(Collector):
    """Another registry's metrics, collected with this one's."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class Metrics:
    """One process's registry: its request histogram and the queue gauges it fills per scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_Included(PROCESS))
        self.responses = Counter(
            "lyceum_responses",
            "Responses this process sent, by method, route (its path template) and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
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
        self._children: dict[tuple[str, str, int], tuple[Histogram, Counter]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the server answers when the app fails before it starts a response

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            # The router leaves the route it chose in the scope; unmatched paths share one label.
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            timer, counter = self._series(scope["method"], template, status)
            timer.observe(time.perf_counter() - start)
            counter.inc()

    def _series(self, method: str, template: str, status: int) -> tuple[Histogram, Counter]:
        """The histogram and counter of these labels, looked up once: `labels()` takes a lock
        and builds its key on every call, a noticeable part of a busy inbox's request."""
        key = (method, template, status)
        series = self._children.get(key)
        if series is None:
            series = (
                self.metrics.request_seconds.labels(method, template),
                self.metrics.responses.labels(method, template, str(status)),
            )
            if len(self._children) < MAX_CACHED_SERIES:  # methods and statuses come from peers
                self._children[key] = series
        return series


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
