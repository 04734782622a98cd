"""The instance's run-time settings (one row)."""

from __future__ import annotations

from server.models import InstanceConfig


async def get_config() -> InstanceConfig:
    config, _ = await InstanceConfig.get_or_create(id=1)
    return config
