"""Production's layout: the group's instance A runs `lyceum serve` with its embedded worker off,
beside separate `lyceum worker` processes (two on PostgreSQL, which shares its queues between
workers through row locks; one on SQLite, which supports one worker per database). B and C are
ordinary instances.

Everything a remote member expects of A must then come from those worker processes: the Accept
of a Follow, the group's Announce of a member's post (once to each follower's server), the
notification of a reply, and the Reject that tells a banned member's server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BACKEND
from tests.live import conftest as live
from tests.live import flows
from tests.live.casting import make_cast, thread_on
from tests.live.conftest import LogIn, Network
from tests.live.harness import (
    Check,
    Instance,
    Person,
    poll,
    start_instances,
    stop_instances,
    unique,
)

WORKERS = 2 if BACKEND == "postgres" else 1


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """A with separate workers only; B and C with their embedded ones."""
    instances = start_instances(
        ["A", "B", "C"], tmp_path_factory.mktemp("live"), separate_workers={"A": WORKERS}
    )
    live._running.extend(instances)
    try:
        yield Network(*instances)
        for instance in instances:
            instance.assert_alive()
    finally:
        stop_instances(instances)
        for instance in instances:
            live._running.remove(instance)


async def test_separate_workers__a_runs_no_worker_in_its_web_process(network: Network) -> None:
    # Given A as started for this module
    a = network.a
    # Then its web process has the embedded worker off, and its separate workers run
    assert a.env["LYCEUM_EMBEDDED_WORKER"] == "false"
    assert len(a.workers) == WORKERS
    a.assert_alive()


async def test_separate_workers__remote_follows_are_accepted_and_posts_announced_once_to_each(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea (on B) and Cal (on C) who joined the open group on A: make_cast waits until
    # both instances show them as members, which takes A's Accept, sent by A's workers
    [cast] = await make_cast(network, log_in, unique("grp"))
    a, b, c = network

    # When Bea starts a thread in the group from B
    title = unique("Worked example ")
    await flows.write_post(cast.bea, cast.path(cast.bea), title, unique("Step one is "))
    # Then C lists it, through the group's Announce
    on_c = await thread_on(cast, cast.cal, title)
    page = await cast.cal.page(cast.path(cast.cal))
    assert page.count(f'href="{on_c}"') == 1

    # And A queued that Announce once for each follower's server, and sent each once
    post_id = (await thread_on(cast, cast.moderator, title)).rsplit("/", 1)[-1]

    async def announces_sent() -> list[dict[str, Any]]:
        rows = await _announces_of(a, post_id)
        assert len(rows) == 2, f"A has queued {len(rows)} Announces of the thread"
        assert rows, "A has queued no Announce of the thread yet"
        assert all(row["state"] == "done" for row in rows), f"not all sent yet: {rows}"
        return rows

    rows = await poll(announces_sent, what=f"A's workers send the Announce of {title!r}")
    assert sorted(row["domain"] for row in rows) == sorted([b.domain, c.domain])
    assert [row["attempts"] for row in rows] == [1, 1]


async def test_separate_workers__a_remote_reply_notifies_the_author_on_a(
    network: Network, log_in: LogIn
) -> None:
    # Given a thread the group's moderator started on A, seen by Cal on C
    [cast] = await make_cast(network, log_in, unique("grp"))
    title = unique("Question of the week ")
    await flows.write_post(cast.moderator, f"/g/{cast.group}", title, "What did you learn?")
    on_c = await thread_on(cast, cast.cal, title)

    # When Cal replies from C
    answer = unique("Recursion, finally ")
    await flows.reply(cast.cal, on_c, answer)

    # Then A's worker handles the reply and its author is notified
    await poll(
        _notified_of_reply(network.a, answer),
        what=f"A notifies the moderator of Cal's reply {answer!r}",
    )


async def test_separate_workers__a_ban_on_a_sends_reject_to_the_banned_members_server(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea (on B), a member of the group on A
    [cast] = await make_cast(network, log_in, unique("grp"))

    # When the group's moderator bans her on A
    await flows.ban(cast.moderator, f"/g/{cast.group}", cast.bea.handle, "Spam.")

    # Then A's workers send the Reject, and B shows her outside the group
    await poll(
        _outside(cast.bea, cast.path(cast.bea)),
        what=f"B learns that {cast.bea.handle} was turned out of {cast.group}",
    )

    # And A's workers recorded that one Reject as delivered (B may act on it before A records)
    async def rejects_recorded() -> list[str]:
        rows = await network.a.query(
            "SELECT state, payload FROM delivery WHERE domain = ?", network.b.domain
        )
        states = [row["state"] for row in rows if json.loads(row["payload"])["type"] == "Reject"]
        assert states == ["done"], f"the Reject rows to B: {states}"
        return states

    await poll(rejects_recorded, what="A records the Reject to B as delivered")


async def _announces_of(instance: Instance, post_id: str) -> list[dict[str, Any]]:
    """The instance's delivery rows of the group's Announce of the post, in either shape (of the
    Note by id, or of its Create): each server gets the shape its software reads."""
    rows = await instance.query(
        "SELECT domain, state, attempts, activity_id FROM delivery WHERE activity_id LIKE ?",
        f"%/announces/{post_id}%",
    )
    shapes = (f"/announces/{post_id}", f"/announces/{post_id}/create")
    return [row for row in rows if row["activity_id"].endswith(shapes)]


def _notified_of_reply(instance: Instance, answer: str) -> Check:
    async def check() -> bool:
        rows = await instance.query(
            "SELECT p.content_html FROM notification n JOIN post p ON p.id = n.post_id"
            " WHERE n.kind = ?",
            "reply",
        )
        return any(answer in row["content_html"] for row in rows)

    return check


def _outside(person: Person, path: str) -> Check:
    async def check() -> bool:
        return await flows.standing(person, path) == "outside"

    return check
