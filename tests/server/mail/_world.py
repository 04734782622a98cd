"""Shared setup for the mail tests: settings pointing at a real SMTP server, and subscribers."""

from __future__ import annotations

from server import events, mail
from server.services import notifications
from server.settings import Settings


def with_smtp(settings: Settings, port: int, **changes: object) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "worker_poll_seconds": 0.05, **changes}
    )


def subscribe(settings: Settings) -> None:
    notifications.register(events.bus)
    mail.register(events.bus, settings)
