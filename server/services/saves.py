"""Saving posts to come back to: a member's own list, and a confirmation that credits the
author of a saved resource (`recognition.ledger`).

Only what the member may read can be saved, and the list shows only what they may still read
(a post removed since, or in a group they left that is members-only, drops out of it).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import events
from server.models import Account, Post, SavedPost
from server.services import reading
from server.services._paging import Page, keyset_page
from server.services.errors import NotFound

__all__ = ["is_saved", "list_saved", "save", "unsave"]

PAGE_SIZE = 20


async def save(account: Account, post: Post) -> bool:
    """Save the post for the member; False when it was saved already."""
    if not await reading.can_read_post(account, post):
        raise NotFound("There is no such post.")
    try:
        async with in_transaction():
            await SavedPost.create(account=account, post=post)
            await events.bus.publish(events.PostSaved(post.id, account.actor_id))
    except IntegrityError:
        return False
    return True


async def unsave(account: Account, post: Post) -> bool:
    """Take the post off the member's list; False when it was not on it."""
    async with in_transaction():
        removed = await SavedPost.filter(account=account, post=post).delete()
        if removed:
            await events.bus.publish(events.PostUnsaved(post.id, account.actor_id))
    return bool(removed)


async def is_saved(account: Account | None, post: Post) -> bool:
    return account is not None and await SavedPost.exists(account=account, post=post)


async def list_saved(account: Account, *, cursor: str | None = None) -> Page[SavedPost]:
    """What the member saved and may still read, newest save first."""
    query = SavedPost.filter(
        reading.readable_posts(account, prefix="post__"), account=account
    ).select_related("post__group__actor", "post__author", "post__root")
    return await keyset_page(
        query, field="created_at", cursor=cursor, limit=PAGE_SIZE, key=lambda row: row.created_at
    )
