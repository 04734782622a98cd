"""Custom badges: an admin names one, gives it to a person (here or elsewhere) and may take it
back. Every change is audited; giving it notifies the person (a local one) as the worker's
badges do."""

from __future__ import annotations

import re

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from server.models import Account, Actor, ActorKind, Badge, BadgeAward
from server.services import audit
from server.services.errors import Conflict, Invalid, NotFound
from server.services.recognition.badges import award, award_key
from server.services.users import ensure_admin

__all__ = [
    "DESCRIPTION_MAX",
    "NAME_MAX",
    "REASON_MAX",
    "create_badge",
    "custom_awards",
    "find_person",
    "give_badge",
    "list_badges",
    "revoke_award",
]

NAME_MAX = 80  # Badge.name
DESCRIPTION_MAX = 500
REASON_MAX = 500
AWARDS_LISTED = 100
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


async def create_badge(by: Actor, name: str, description: str) -> Badge:
    await ensure_admin(by)
    name, description = " ".join(name.split()), description.strip()
    errors = {}
    if not name:
        errors["name"] = "Give the badge a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Use at most {NAME_MAX} characters."
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Use at most {DESCRIPTION_MAX} characters."
    slug = "custom-" + _NOT_SLUG.sub("-", name.lower()).strip("-")[:50]
    if not errors and slug == "custom-":
        errors["name"] = "Use at least one letter or digit in the name."
    if errors:
        raise Invalid(errors)
    async with in_transaction():
        if await Badge.filter(slug=slug).exists():
            raise Conflict(f"There is already a badge called “{name}”.")
        badge = await Badge.create(
            slug=slug, name=name, description=description, created_by=await _account(by)
        )
        await audit.record(
            by, "badge.create", target_type="badge", target_id=badge.id, target_label=name
        )
    return badge


async def find_person(handle: str, local_domain: str) -> Actor:
    """A person by `name` (here) or `name@domain` (here or a remote one we know)."""
    name, _, domain = handle.strip().removeprefix("@").partition("@")
    domain = "" if domain.lower() == local_domain.lower() else domain.lower()
    actor = await Actor.get_or_none(username=name, domain=domain, kind=ActorKind.PERSON)
    if not name or actor is None:
        raise Invalid({"handle": "There is nobody with that handle here or among known people."})
    return actor


async def give_badge(by: Actor, badge_id: str, person: Actor, reason: str) -> BadgeAward:
    await ensure_admin(by)
    badge = await Badge.get_or_none(id=badge_id, builtin=False)
    if badge is None:
        raise Invalid({"badge": "Choose one of the custom badges."})
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": f"Use at most {REASON_MAX} characters."})
    if await BadgeAward.filter(dedup_key=award_key(badge.id, person.id, None)).exists():
        raise Conflict(f"{person.name} already has the badge “{badge.name}”.")
    async with in_transaction():
        given = await award(badge, person.id, None, reason=reason, by=await _account(by))
        if given is None:
            raise Conflict(f"{person.name} already has the badge “{badge.name}”.")
        await audit.record(
            by,
            "badge.grant",
            target_type="actor",
            target_id=person.id,
            target_label=f"{badge.name} → {person.username}",
            reason=reason,
        )
    return given


async def revoke_award(by: Actor, award_id: str) -> None:
    """Take back a custom badge (built-in ones follow their rules and are not revoked here)."""
    await ensure_admin(by)
    given = await BadgeAward.get_or_none(id=award_id, badge__builtin=False).select_related(
        "badge", "actor"
    )
    if given is None:
        raise NotFound("There is no such custom badge award.")
    async with in_transaction():
        await given.delete()
        await audit.record(
            by,
            "badge.revoke",
            target_type="actor",
            target_id=given.actor.id,
            target_label=f"{given.badge.name} → {given.actor.username}",
        )


async def _account(by: Actor) -> Account:
    return await Account.get(actor_id=by.id)


async def list_badges() -> list[tuple[Badge, int]]:
    """Every badge, built-in first, with how many people hold it."""
    counts = dict(
        await BadgeAward.annotate(n=Count("id")).group_by("badge_id").values_list("badge_id", "n")
    )
    badges = await Badge.all().order_by("-builtin", "name")
    return [(badge, int(counts.get(badge.id, 0))) for badge in badges]


async def custom_awards(limit: int = AWARDS_LISTED) -> list[BadgeAward]:
    """The custom badges given, newest first (what an admin may take back)."""
    return await (
        BadgeAward.filter(badge__builtin=False)
        .select_related("badge", "actor", "awarded_by__actor")
        .order_by("-created_at")
        .limit(limit)
    )
