"""Taking part in a group on another instance: posts written on B go to the group on A, which
Announces them to its followers on B and C; replies, edits, deletions, likes and a moderator's
removal travel the same way, and leaving the group stops what A sends to B.

Each scenario builds its own cast (`casting.make_cast`): an open group on A moderated by A's
operator, Bea on B and Cal on C, both joined through their own instance's pages.
"""

from __future__ import annotations

import re

from tests.live import flows
from tests.live.casting import Cast, make_cast, not_listed, shows, thread_on
from tests.live.conftest import LogIn, Network
from tests.live.harness import Check, Person, poll, text_of, unique


def _likes(reader: Person, post: str, count: int) -> Check:
    async def check() -> bool:
        return _like_count(await reader.page(post)) == count

    return check


def _like_count(page: str) -> int | None:
    """The like count under the thread's first post ("Like · 2", "Liked · 2" or "2 likes")."""
    root = page.split('<article class="post root', 1)[-1].split("</article>", 1)[0]
    match = re.search(r"Liked? · (\d+)|(\d+) likes?\b", text_of(root))
    return int(match.group(1) or match.group(2)) if match else None


async def test_group_posts__a_post_from_b_is_announced_to_c_and_a_reply_from_c_threads_everywhere(
    network: Network, log_in: LogIn
) -> None:
    # Given an open group on A that Bea (on B) and Cal (on C) joined
    [cast] = await make_cast(network, log_in, unique("grp"))
    title, body = unique("Proofs "), unique("Who has a nice proof of ")

    # When Bea starts a thread in the group from B
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, body)
    # Then A stores it, and the group's Announce brings it to C
    on_a = await thread_on(cast, cast.moderator, title)
    on_c = await thread_on(cast, cast.cal, title)
    assert body in await flows.thread_text(cast.moderator, on_a)
    assert body in await flows.thread_text(cast.cal, on_c)

    # When Cal replies to it on C
    answer = unique("Try induction on ")
    await flows.reply(cast.cal, on_c, answer)
    # Then the reply shows under the thread on A, B and C
    for reader, post in ((cast.moderator, on_a), (cast.bea, on_b), (cast.cal, on_c)):
        await poll(
            shows(reader, post, answer),
            what=f"{reader.instance.name} shows Cal's reply under {title!r}",
        )
    # and B lists Bea's thread once, though the group announced it back to B
    assert (await cast.bea.page(cast.path(cast.bea))).count(f">{title}</a>") == 1


async def test_group_posts__an_edit_and_a_delete_reach_every_instance(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea's thread in the group on A, seen on C
    [cast] = await make_cast(network, log_in, unique("grp"))
    title, body = unique("Draft "), unique("First version ")
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, body)
    on_a = await thread_on(cast, cast.moderator, title)
    on_c = await thread_on(cast, cast.cal, title)

    # When Bea edits it on B
    edited = unique("Second version ")
    await flows.edit(cast.bea, on_b, title, edited)
    # Then A and C show the new text
    for reader, post in ((cast.moderator, on_a), (cast.cal, on_c)):
        await poll(
            shows(reader, post, edited),
            what=f"{reader.instance.name} shows Bea's edit of {title!r}",
        )

    # When Bea deletes it on B
    await flows.delete(cast.bea, on_b)
    # Then it leaves the group's thread list on A and C, and its text is gone from its page
    for reader in (cast.moderator, cast.cal):
        await poll(
            not_listed(reader, cast.path(reader), title),
            what=f"{reader.instance.name} drops the deleted thread {title!r}",
        )
    for reader, post in ((cast.moderator, on_a), (cast.cal, on_c)):
        assert edited not in await flows.thread_text(reader, post)


async def test_group_posts__likes_are_counted_on_every_instance(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea's thread in the group on A, seen on A and C
    [cast] = await make_cast(network, log_in, unique("grp"))
    title = unique("Likeable ")
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, "Please vote.")
    on_a = await thread_on(cast, cast.moderator, title)
    on_c = await thread_on(cast, cast.cal, title)

    # When Cal likes it on C and the moderator likes it on A
    await flows.like(cast.cal, on_c)
    await flows.like(cast.moderator, on_a)
    # Then each instance counts two likes
    for reader, post in ((cast.moderator, on_a), (cast.bea, on_b), (cast.cal, on_c)):
        await poll(
            _likes(reader, post, 2),
            what=f"{reader.instance.name} counts 2 likes on {title!r}",
        )


async def test_group_posts__leaving_stops_deliveries_to_b(network: Network, log_in: LogIn) -> None:
    # Given two open groups on A that Bea (on B) and Cal (on C) joined
    cast, witness = await make_cast(network, log_in, unique("grp"), unique("wit"))

    # When Bea, the group's only member on B, leaves it
    await flows.leave(cast.bea, cast.path(cast.bea))
    # Then A no longer lists her among the members
    await poll(
        _not_member_on_a(cast),
        what=f"A drops {cast.bea.handle} from the members of {cast.group}",
    )

    # When the moderator posts in that group, then in the group Bea stayed in
    after, later = unique("After "), unique("Later ")
    await flows.write_post(cast.moderator, cast.path(cast.moderator), after, "Not for B.")
    await flows.write_post(cast.moderator, witness.path(witness.moderator), later, "For B.")
    # Then C receives the first post, B the later one, and B never the first
    await thread_on(cast, cast.cal, after)
    await thread_on(witness, witness.bea, later)
    assert await flows.thread_link(cast.bea, cast.path(cast.bea), after) is None


def _not_member_on_a(cast: Cast) -> Check:
    async def check() -> bool:
        return cast.bea.handle not in await flows.members_text(cast.moderator, f"/g/{cast.group}")

    return check
