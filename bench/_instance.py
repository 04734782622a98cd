"""The environment a benchmark starts Lyceum processes with: its settings, not the caller's."""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

from server.settings import Settings


def instance_environment(
    settings: Settings, passed_on: Collection[str] = (), **given: Any
) -> dict[str, str]:
    """This process's environment without its `LYCEUM_*` variables (but those named in
    `passed_on`), plus a `LYCEUM_*` variable for every setting `settings` or `given` sets.

    A caller's own `LYCEUM_*` (a developer's shell, CI's) would otherwise reach the instance
    under test and change what is measured."""
    settings = settings.model_copy(update=given)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LYCEUM_") or key in passed_on
    }
    for name, value in settings.model_dump(mode="json", include=settings.model_fields_set).items():
        env[f"LYCEUM_{name.upper()}"] = _text(value)
    env["LYCEUM_DATABASE_URL"] = settings.resolved_database_url
    return env


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
