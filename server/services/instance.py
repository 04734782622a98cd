"""The instance's run-time settings (one row)."""

from __future__ import annotations

from server.models import InstanceConfig, RegistrationMode
from server.services.errors import Invalid


async def get_config() -> InstanceConfig:
    config, _ = await InstanceConfig.get_or_create(id=1)
    return config


async def set_registration_mode(mode: RegistrationMode | str) -> InstanceConfig:
    """Choose how people join: open, approval required, or invite only."""
    try:
        chosen = RegistrationMode(mode)
    except ValueError as exc:
        raise Invalid({"mode": "Choose open, approval required or invite only."}) from exc
    config = await get_config()
    config.registration_mode = chosen
    await config.save(update_fields=["registration_mode", "updated_at"])
    return config
