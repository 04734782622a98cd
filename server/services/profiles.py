"""Profiles: what a member shows about themselves (name, bio, avatar), and who sees it.

A change is checked completely before anything is stored, so a bad avatar leaves the old name
and bio in place too. Followers on other servers learn about it through `ActorUpdated`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from server import events
from server.content import render_markdown
from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    Group,
    GroupState,
    Membership,
    MembershipState,
)
from server.services import reading
from server.services.errors import Invalid, NotFound
from server.services.images import ImageKind, delete_image, store_image

DISPLAY_NAME_MAX = 100
BIO_MAX = 2000


@dataclass(frozen=True)
class ProfileChange:
    display_name: str
    bio: str
    avatar: bytes | None = None  # a new upload; None keeps the current avatar
    remove_avatar: bool = False


@dataclass(frozen=True)
class Profile:
    actor: Actor
    account: Account | None  # None for a person on another server
    groups: list[Group]


def _check(change: ProfileChange) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = change.display_name.strip()
    if len(name) > DISPLAY_NAME_MAX:
        errors["display_name"] = f"Use at most {DISPLAY_NAME_MAX} characters."
    elif any(ord(char) < 32 for char in name):
        errors["display_name"] = "Remove the control characters from the name."
    if len(change.bio) > BIO_MAX:
        errors["bio"] = f"Use at most {BIO_MAX:,} characters."
    elif "\x00" in change.bio:
        errors["bio"] = "Remove the control characters from the bio."
    return errors


async def update_profile(account: Account, change: ProfileChange, media_dir: Path) -> Actor:
    """Store a new name, bio and avatar; raise Invalid (nothing changed) on bad input."""
    if errors := _check(change):
        raise Invalid(errors)
    new_avatar = ""
    if change.avatar is not None:
        # Decoding and resizing is CPU work: keep it off the event loop.
        new_avatar = await asyncio.to_thread(
            store_image, change.avatar, ImageKind.AVATAR, media_dir, "avatar"
        )
    actor = await Actor.get(id=account.actor_id)
    old_avatar = actor.avatar_path
    try:
        async with in_transaction():
            account.bio_source = change.bio
            await account.save(update_fields=["bio_source"])
            actor.display_name = change.display_name.strip()
            actor.summary_html = render_markdown(change.bio).html if change.bio.strip() else ""
            if new_avatar:
                actor.avatar_path = new_avatar
            elif change.remove_avatar:
                actor.avatar_path = ""
            await actor.save(update_fields=["display_name", "summary_html", "avatar_path"])
            await events.bus.publish(events.ActorUpdated(actor.id))
    except BaseException:
        delete_image(new_avatar, media_dir)
        raise
    if old_avatar and old_avatar != actor.avatar_path:
        delete_image(old_avatar, media_dir)
    return actor


async def get_profile(username: str, viewer: Account | None = None) -> Profile:
    """A local person's public profile and the groups they belong to that `viewer` may read;
    NotFound otherwise.

    Sign-ups still waiting for approval and suspended accounts have no public profile.
    """
    account = (
        await Account.filter(
            actor__username=username.lower(),
            actor__domain="",
            actor__kind=ActorKind.PERSON,
            state=AccountState.ACTIVE,
        )
        .select_related("actor")
        .first()
    )
    if account is None:
        raise NotFound("There is nobody with that handle here.")
    return Profile(account.actor, account, await _groups_of(account.actor, viewer))


async def get_person(
    handle: str, viewer: Account | None = None, *, local_domain: str = ""
) -> Profile:
    """A person by handle: `name` (or `name@<this host>`) here, `name@host` elsewhere, as this
    server knows them (a person elsewhere has a page once they took part here); NotFound
    otherwise."""
    name, at, domain = handle.strip().removeprefix("@").rpartition("@")
    if not at or domain.lower() == local_domain.lower():
        return await get_profile(name if at else domain, viewer)
    # Remote servers choose the case of their names; ours are lower case.
    query = Actor.filter(kind=ActorKind.PERSON, domain=domain.lower())
    actor = name and (
        await query.filter(username=name).first()
        or await query.filter(username=name.lower()).first()
    )
    if not actor:
        raise NotFound("This server knows nobody with that handle.")
    return Profile(actor, None, await _groups_of(actor, viewer))


async def _groups_of(actor: Actor, viewer: Account | None) -> list[Group]:
    readable = Group.filter(reading.readable_groups(viewer)).values("id")
    memberships = (
        await Membership.filter(
            actor_id=actor.id,
            state=MembershipState.ACCEPTED,
            group__state=GroupState.ACTIVE,
            group_id__in=Subquery(readable),
        )
        .select_related("group__actor")
        .order_by("group__actor__username")
    )
    return [m.group for m in memberships]
