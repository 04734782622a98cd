"""The cast of the live scenarios: an open group on A, moderated by A's operator, that Bea on B
and Cal on C joined through their own instance's pages; and the checks the scenarios poll."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tests.live import flows
from tests.live.conftest import LogIn, Network
from tests.live.harness import OPERATOR, Check, Instance, Person, poll, unique


@dataclass
class Cast:
    group: str
    moderator: Person  # on A, where the group lives
    bea: Person  # on B
    cal: Person  # on C
    paths: dict[str, str]  # the group's page on each instance, by instance name

    def path(self, person: Person) -> str:
        return self.paths[person.instance.name]


async def join_all(person: Person, groups: tuple[str, ...], home: Instance) -> list[str]:
    """Find each group from the person's instance and join it; the groups' paths there."""
    paths = []
    for group in groups:
        path = await flows.find_group(person, home.handle(group))
        await flows.join(person, path)
        paths.append(path)
    return paths


async def make_cast(network: Network, log_in: LogIn, *groups: str) -> list[Cast]:
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
    on_b, on_c = await asyncio.gather(join_all(bea_web, groups, a), join_all(cal_web, groups, a))
    casts = [
        Cast(group, moderator, bea_web, cal_web, {"A": f"/g/{group}", "B": b_path, "C": c_path})
        for group, b_path, c_path in zip(groups, on_b, on_c, strict=True)
    ]
    for cast in casts:
        for person in (bea_web, cal_web):
            await poll(
                is_member(person, cast.path(person)),
                what=f"{person.handle} is a member of {cast.group} on {person.instance.name}",
            )
    return casts


def is_member(person: Person, path: str) -> Check:
    async def check() -> bool:
        return await flows.standing(person, path) == "member"

    return check


def listed(reader: Person, path: str, title: str) -> Check:
    async def check() -> bool:
        return await flows.thread_link(reader, path, title) is not None

    return check


async def thread_on(cast: Cast, reader: Person, title: str) -> str:
    """The path of the thread `title` on the reader's instance, once it is listed there."""
    path = cast.path(reader)
    await poll(
        listed(reader, path, title),
        what=f"{reader.instance.name} lists the thread {title!r} in {cast.group}",
    )
    found = await flows.thread_link(reader, path, title)
    assert found is not None
    return found


def shows(reader: Person, post: str, text: str) -> Check:
    async def check() -> bool:
        return text in await flows.thread_text(reader, post)

    return check


def not_listed(reader: Person, path: str, title: str) -> Check:
    async def check() -> bool:
        return await flows.thread_link(reader, path, title) is None

    return check
