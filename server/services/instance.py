"""The instance's run-time settings (one row)."""

from __future__ import annotations

import time

from server.models import InstanceConfig, RegistrationMode
from server.services.errors import Invalid

NAME_TTL_SECONDS = 5.0
_name_cache: tuple[float, str] | None = None


async def get_config() -> InstanceConfig:
    config, _ = await InstanceConfig.get_or_create(id=1)
    return config


async def instance_name() -> str:
    """The instance's display name, read at most every few seconds per process: every page
    shows it, and a database round trip per request (inbox POSTs included) is not worth it."""
    global _name_cache
    now = time.monotonic()
    if _name_cache is None or _name_cache[0] < now:
        _name_cache = (now + NAME_TTL_SECONDS, (await get_config()).name)
    return _name_cache[1]


def forget_cached_name() -> None:
    """Call after changing the config, so this process shows the change at once."""
    global _name_cache
    _name_cache = None


async def set_registration_mode(mode: RegistrationMode | str) -> InstanceConfig:
    """Choose how people join: open, approval required, or invite only."""
    try:
        chosen = RegistrationMode(mode)
    except ValueError as exc:
        raise Invalid({"mode": "Choose open, approval required or invite only."}) from exc
    config = await get_config()
    config.registration_mode = chosen
    await config.save(update_fields=["registration_mode", "updated_at"])
    forget_cached_name()
    return config
