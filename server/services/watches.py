"""What a member watches or mutes: a thread (its root post) or a group.

- Watching a thread: a notification for every reply in it (`watched_reply`).
- Watching a group: a notification for every new thread in it (`watched_post`).
- Muting either: no notification at all about posts there, not even replies to one's own posts
  or mentions. A thread's own choice wins over its group's (watch one thread of a muted group).
- No row: the usual notifications (replies to one's posts, mentions, answers).
- Starting a thread watches it (as Discourse does): its author hears of every reply, and can
  set it back to normal or mute it like any other watch.

Only what the member may read can be watched (`reading`); what they watch is listed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.models import Account, Group, Post, Watch, WatchLevel
from server.services import _prepared, reading
from server.services.errors import Invalid, NotFound

__all__ = [
    "NORMAL",
    "WatchedItem",
    "level_for_post",
    "list_watches",
    "set_group_watch",
    "set_thread_watch",
    "watch_level",
    "watch_own_thread",
    "watchers",
]

NORMAL = "normal"  # the form value for "no choice": the usual notifications


def _parse_level(value: str) -> WatchLevel | None:
    if value == NORMAL:
        return None
    try:
        return WatchLevel(value)
    except ValueError:
        raise Invalid({"level": "Choose watching, normal or muted."}) from None


async def set_thread_watch(account: Account, thread: Post, level: str) -> WatchLevel | None:
    """Watch, mute (or with "normal" stop either) a thread; Invalid for another level,
    NotFound when the member may not read the thread or it is a reply."""
    chosen = _parse_level(level)
    if not thread.is_top_level or not await reading.can_read_post(account, thread):
        raise NotFound("There is no such thread.")
    await _store(account, chosen, thread=thread)
    return chosen


async def set_group_watch(account: Account, group: Group, level: str) -> WatchLevel | None:
    """Watch, mute (or with "normal" stop either) a group; as `set_thread_watch`."""
    chosen = _parse_level(level)
    if not await reading.can_read_group(account, group):
        raise NotFound("There is no such group.")
    await _store(account, chosen, group=group)
    return chosen


async def watch_own_thread(thread: Post) -> None:
    """The author of a new thread, if they have an account here, watches it."""
    account = await Account.get_or_none(actor_id=thread.author_id)
    if account is not None:
        await Watch.get_or_create(
            account=account, thread=thread, defaults={"level": WatchLevel.WATCHING}
        )


async def _store(
    account: Account,
    level: WatchLevel | None,
    *,
    thread: Post | None = None,
    group: Group | None = None,
) -> None:
    where = {"thread": thread} if thread is not None else {"group": group}
    if level is None:
        await Watch.filter(account=account, **where).delete()
        return
    await Watch.update_or_create(defaults={"level": level}, account=account, **where)


async def watch_level(
    account: Account | None, *, thread: Post | None = None, group: Group | None = None
) -> WatchLevel | None:
    """The member's own choice for this thread or group (None: none made)."""
    if account is None:
        return None
    # On every thread and group page a logged-in person opens: the SQL is kept (`_prepared`).
    if thread is not None:
        row: Watch | None = await _prepared.run(
            "watch of a thread",
            lambda account, thread: Watch.filter(account_id=account, thread_id=thread).first(),
            account=account.id,
            thread=thread.id,
        )
    elif group is not None:
        row = await _prepared.run(
            "watch of a group",
            lambda account, group: Watch.filter(account_id=account, group_id=group).first(),
            account=account.id,
            group=group.id,
        )
    else:
        return None
    return row.level if row is not None else None


async def level_for_post(account_id: str, post: Post) -> WatchLevel | None:
    """What applies to this post for the member: the thread's choice, else the group's."""
    thread_id = post.root_id or post.id
    rows = await Watch.filter(account_id=account_id, thread_id=thread_id) or await Watch.filter(
        account_id=account_id, group_id=post.group_id
    )
    return rows[0].level if rows else None


async def watchers(*, thread_id: str | None = None, group_id: str | None = None) -> list[str]:
    """The people watching this thread (or group), as the actor ids of their accounts."""
    where = {"thread_id": thread_id} if thread_id is not None else {"group_id": group_id}
    ids = await Watch.filter(level=WatchLevel.WATCHING, **where).values_list(
        "account__actor_id", flat=True
    )
    return [str(actor_id) for actor_id in ids]


@dataclass(frozen=True)
class WatchedItem:
    watch: Watch
    thread: Post | None
    group: Group | None


async def list_watches(account: Account) -> list[WatchedItem]:
    """What the member watches or mutes, newest choice first, leaving out what they may no
    longer read."""
    rows = (
        await Watch.filter(account=account)
        .select_related("group__actor", "thread__group__actor")
        .order_by("-created_at")
    )
    items: list[WatchedItem] = []
    for row in rows:
        if row.thread is not None:
            if await reading.can_read_post(account, row.thread):
                items.append(WatchedItem(row, row.thread, row.thread.group))
        elif row.group is not None and await reading.can_read_group(account, row.group):
            items.append(WatchedItem(row, None, row.group))
    return items
