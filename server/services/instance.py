"""The instance's run-time settings (one row): its name, description, rules, contact address,
registration mode, whether new groups need an admin's approval, and how long new accounts'
posts with links wait for a moderator."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server import events
from server.models import Actor, InstanceConfig, RegistrationMode
from server.services import audit
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
    async with in_transaction():
        await config.save(update_fields=["registration_mode", "updated_at"])
        await events.bus.publish(events.InstanceUpdated())
    forget_cached_name()
    return config


NAME_MAX = 100
DESCRIPTION_MAX = 5000
RULES_MAX = 10000
NEW_ACCOUNT_DAYS_MAX = 365


@dataclass(frozen=True)
class InstanceSettings:
    """What the admins' settings page changes."""

    name: str
    description: str = ""
    rules: str = ""
    contact_email: str = ""
    registration_mode: str = RegistrationMode.OPEN
    groups_need_approval: bool = False
    new_account_link_days: int = 7


async def update_settings(by: Actor, change: InstanceSettings) -> InstanceConfig:
    """Save the instance's settings (`instance.settings` in the audit log); Invalid by field,
    and then nothing is saved. `by` must be an active admin (checked by the caller)."""
    errors: dict[str, str] = {}
    name = " ".join(change.name.split())
    if not name:
        errors["name"] = "Give the instance a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Use at most {NAME_MAX} characters."
    for field, text, limit in (
        ("description", change.description, DESCRIPTION_MAX),
        ("rules", change.rules, RULES_MAX),
    ):
        if len(text) > limit or "\x00" in text:
            errors[field] = f"Use at most {limit:,} characters of text."
    contact = change.contact_email.strip()
    if contact:
        from server.services.accounts import normalise_email  # accounts imports this module

        try:
            contact = normalise_email(contact)
        except Invalid as exc:
            errors["contact_email"] = exc.errors["email"]
    try:
        mode = RegistrationMode(change.registration_mode)
    except ValueError:
        errors["registration_mode"] = "Choose open, approval required or invite only."
    if not 0 <= change.new_account_link_days <= NEW_ACCOUNT_DAYS_MAX:
        errors["new_account_link_days"] = f"Choose between 0 (off) and {NEW_ACCOUNT_DAYS_MAX} days."
    if "\x00" in change.name:
        errors["name"] = "Remove the control characters from the name."
    if errors:
        raise Invalid(errors)
    async with in_transaction():
        config = await get_config()
        config.name = name
        config.description = change.description.strip()
        config.rules = change.rules.strip()
        config.contact_email = contact
        config.registration_mode = mode
        config.groups_need_approval = change.groups_need_approval
        config.new_account_link_days = change.new_account_link_days
        await config.save()
        await audit.record(by, "instance.settings", target_type="instance", target_label=name)
        await events.bus.publish(events.InstanceUpdated())
    forget_cached_name()
    return config
