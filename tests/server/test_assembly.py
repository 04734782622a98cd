"""The web app and the separate worker are assembled alike: the same subscribers hear the same
domain events, so a follower accepted, a post announced or a reply notified by `lyceum worker`
is handled as the embedded worker handles it."""

from __future__ import annotations

import pytest

from server import assembly, events
from server.app import create_app
from server.settings import Settings


def _listeners(bus: events.EventBus) -> set[tuple[str, str]]:
    """(event, handler) by name: the outbox's handlers are methods of one outbox per bus."""
    return {
        (kind.__name__, f"{handler.__module__}.{handler.__qualname__}")
        for kind, handlers in bus.subscriptions().items()
        for handler in handlers
    }


def test_assembly__the_worker_subscribes_everything_the_web_app_does(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the web app assembled on a bus of its own
    web_bus = events.EventBus()
    monkeypatch.setattr(events, "bus", web_bus)
    create_app(settings, manage_database=False)
    # And the separate worker's runtime assembled on another
    worker_bus = events.EventBus()
    monkeypatch.setattr(events, "bus", worker_bus)
    assembly.worker_runtime(settings)
    # Then both hear the same events through the same handlers
    assert _listeners(worker_bus) == _listeners(web_bus)


def test_assembly__the_outbox_and_notifications_both_listen(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the separate worker's runtime on a fresh bus
    bus = events.EventBus()
    monkeypatch.setattr(events, "bus", bus)
    assembly.worker_runtime(settings)
    # Then a new post reaches notifications and the federation outbox alike
    modules = {module for kind, module in _modules(bus) if kind == "PostCreated"}
    assert {"server.services.notifications", "federation.outbox.subscribers"} <= modules
    # And an accepted membership reaches the outbox (the Accept a remote follower waits for)
    assert ("MembershipAccepted", "federation.outbox.subscribers") in _modules(bus)


def _modules(bus: events.EventBus) -> set[tuple[str, str]]:
    return {
        (kind.__name__, handler.__module__)
        for kind, handlers in bus.subscriptions().items()
        for handler in handlers
    }


def test_assembly__the_credits_ledger_listens_and_the_worker_grants_badges(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the separate worker's runtime on a fresh bus
    bus = events.EventBus()
    monkeypatch.setattr(events, "bus", bus)
    assembly.worker_runtime(settings)
    # Then the ledger hears likes, accepted answers and pins, and the badge granter is work
    ledger = {kind for kind, module in _modules(bus) if module.endswith("recognition.ledger")}
    assert {"PostReacted", "PostUnreacted", "AnswerAccepted", "PostPinned"} <= ledger
    work = {
        getattr(w, "__self__", None).__class__.__name__ for w in assembly.background_work(settings)
    }
    assert "BadgeGranter" in work
