"""Taking part in a group on another instance: posts written on B go to the group on A, which
Announces them to its followers on B and C; replies, edits, deletions, likes and a moderator's
removal travel the same way, and leaving the group stops what A sends to B.

Each scenario builds its own cast (`_cast`): an open group on A moderated by A's operator, Bea
on B and Cal on C, both joined through their own instance's pages.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from tests.live import flows
from tests.live.conftest import LogIn, Network
from tests.live.harness import OPERATOR, Check, Instance, Person, poll, text_of, unique


@dataclass
class Cast:
    group: str
    moderator: Person  # on A, where the group lives
    bea: Person  # on B
    cal: Person  # on C
    paths: dict[str, str]  # the group's page on each instance, by instance name

    def path(self, person: Person) -> str:
        return self.paths[person.instance.name]


async def _join_all(person: Person, groups: tuple[str, ...], home: Instance) -> list[str]:
    """Find each group from the person's instance and join it; the groups' paths there."""
    paths = []
    for group in groups:
        path = await flows.find_group(person, home.handle(group))
        await flows.join(person, path)
        paths.append(path)
    return paths


async def _cast(network: Network, log_in: LogIn, *groups: str) -> list[Cast]:
    """The scenario's people, and for each name in `groups` an open group on A that Bea and Cal
    have joined (polled until both instances show them as members)."""
    a, b, c = network

    async def make_groups() -> None:
        for group in groups:  # one at a time: one SQLite writer per instance is kindest
            await a.create_group(group)

    bea, cal = unique("bea"), unique("cal")
    await asyncio.gather(make_groups(), b.create_user(bea), c.create_user(cal))
    moderator, bea_web, cal_web = await asyncio.gather(
        log_in(a, OPERATOR), log_in(b, bea), log_in(c, cal)
    )
    # Bea and Cal at the same time, but each one form at a time, as a browser would: a session's
    # first pages race to set its CSRF token.
    on_b, on_c = await asyncio.gather(_join_all(bea_web, groups, a), _join_all(cal_web, groups, a))
    casts = [
        Cast(group, moderator, bea_web, cal_web, {"A": f"/g/{group}", "B": b_path, "C": c_path})
        for group, b_path, c_path in zip(groups, on_b, on_c, strict=True)
    ]
    for cast in casts:
        for person in (bea_web, cal_web):
            await poll(
                _is_member(person, cast.path(person)),
                what=f"{person.handle} is a member of {cast.group} on {person.instance.name}",
            )
    return casts


def _is_member(person: Person, path: str) -> Check:
    async def check() -> bool:
        return await flows.standing(person, path) == "member"

    return check


def _listed(reader: Person, path: str, title: str) -> Check:
    async def check() -> bool:
        return await flows.thread_link(reader, path, title) is not None

    return check


async def _thread_on(cast: Cast, reader: Person, title: str) -> str:
    """The path of the thread `title` on the reader's instance, once it is listed there."""
    path = cast.path(reader)
    await poll(
        _listed(reader, path, title),
        what=f"{reader.instance.name} lists the thread {title!r} in {cast.group}",
    )
    found = await flows.thread_link(reader, path, title)
    assert found is not None
    return found


def _shows(reader: Person, post: str, text: str) -> Check:
    async def check() -> bool:
        return text in await flows.thread_text(reader, post)

    return check


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
    [cast] = await _cast(network, log_in, unique("grp"))
    title, body = unique("Proofs "), unique("Who has a nice proof of ")

    # When Bea starts a thread in the group from B
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, body)
    # Then A stores it, and the group's Announce brings it to C
    on_a = await _thread_on(cast, cast.moderator, title)
    on_c = await _thread_on(cast, cast.cal, title)
    assert body in await flows.thread_text(cast.moderator, on_a)
    assert body in await flows.thread_text(cast.cal, on_c)

    # When Cal replies to it on C
    answer = unique("Try induction on ")
    await flows.reply(cast.cal, on_c, answer)
    # Then the reply shows under the thread on A, B and C
    for reader, post in ((cast.moderator, on_a), (cast.bea, on_b), (cast.cal, on_c)):
        await poll(
            _shows(reader, post, answer),
            what=f"{reader.instance.name} shows Cal's reply under {title!r}",
        )
    # and B lists Bea's thread once, though the group announced it back to B
    assert (await cast.bea.page(cast.path(cast.bea))).count(f">{title}</a>") == 1


async def test_group_posts__an_edit_and_a_delete_reach_every_instance(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea's thread in the group on A, seen on C
    [cast] = await _cast(network, log_in, unique("grp"))
    title, body = unique("Draft "), unique("First version ")
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, body)
    on_a = await _thread_on(cast, cast.moderator, title)
    on_c = await _thread_on(cast, cast.cal, title)

    # When Bea edits it on B
    edited = unique("Second version ")
    await flows.edit(cast.bea, on_b, title, edited)
    # Then A and C show the new text
    for reader, post in ((cast.moderator, on_a), (cast.cal, on_c)):
        await poll(
            _shows(reader, post, edited),
            what=f"{reader.instance.name} shows Bea's edit of {title!r}",
        )

    # When Bea deletes it on B
    await flows.delete(cast.bea, on_b)
    # Then it leaves the group's thread list on A and C, and its text is gone from its page
    for reader in (cast.moderator, cast.cal):
        await poll(
            _not_listed(reader, cast.path(reader), title),
            what=f"{reader.instance.name} drops the deleted thread {title!r}",
        )
    for reader, post in ((cast.moderator, on_a), (cast.cal, on_c)):
        assert edited not in await flows.thread_text(reader, post)


def _not_listed(reader: Person, path: str, title: str) -> Check:
    async def check() -> bool:
        return await flows.thread_link(reader, path, title) is None

    return check


async def test_group_posts__likes_are_counted_on_every_instance(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea's thread in the group on A, seen on A and C
    [cast] = await _cast(network, log_in, unique("grp"))
    title = unique("Likeable ")
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, "Please vote.")
    on_a = await _thread_on(cast, cast.moderator, title)
    on_c = await _thread_on(cast, cast.cal, title)

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
    cast, witness = await _cast(network, log_in, unique("grp"), unique("wit"))

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
    await _thread_on(cast, cast.cal, after)
    await _thread_on(witness, witness.bea, later)
    assert await flows.thread_link(cast.bea, cast.path(cast.bea), after) is None


def _not_member_on_a(cast: Cast) -> Check:
    async def check() -> bool:
        return cast.bea.handle not in await flows.members_text(cast.moderator, f"/g/{cast.group}")

    return check


async def test_group_posts__a_moderators_removal_withdraws_the_post_on_b_and_c(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea's thread in the group on A, seen on A and C
    [cast] = await _cast(network, log_in, unique("grp"))
    title, body = unique("Off topic "), unique("Buy my ")
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, body)
    on_a = await _thread_on(cast, cast.moderator, title)
    on_c = await _thread_on(cast, cast.cal, title)

    # When the group's moderator removes it on A
    await flows.delete(cast.moderator, on_a)
    # Then B and C withdraw it: gone from the group's list and its text from its page
    for reader, post in ((cast.bea, on_b), (cast.cal, on_c)):
        await poll(
            _not_listed(reader, cast.path(reader), title),
            what=f"{reader.instance.name} withdraws the removed thread {title!r}",
        )
        assert body not in await flows.thread_text(reader, post)
