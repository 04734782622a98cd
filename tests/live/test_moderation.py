"""Moderation crossing instances: what a moderator or admin does on A reaches B and C.

A removal withdraws the group's Announce and a restore brings the post back; a ban makes A
refuse the banned person's next post from B; a report filed on B about a post in A's group lands
in that group's queue on A; and a domain block on A stops deliveries to and from B.

Each scenario builds its own cast (`casting.make_cast`). What no page shows (a server's private
key, what its queues hold) is read from the instance's database, never written.
"""

from __future__ import annotations

import json
import uuid

import httpx

from federation.httpsig import CavageAuth
from tests.live import flows
from tests.live.casting import Cast, make_cast, not_listed, thread_on
from tests.live.conftest import LogIn, Network
from tests.live.harness import Check, Instance, Person, poll, text_of, unique

AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_moderation__a_removal_withdraws_the_post_on_b_and_c_and_a_restore_brings_it_back(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea's thread in the group on A, seen on A and C
    [cast] = await make_cast(network, log_in, unique("grp"))
    title, body = unique("Off topic "), unique("Buy my ")
    on_b = await flows.write_post(cast.bea, cast.path(cast.bea), title, body)
    on_a = await thread_on(cast, cast.moderator, title)
    on_c = await thread_on(cast, cast.cal, title)

    # When the group's moderator removes it on A, with a reason
    await flows.remove(cast.moderator, on_a, "Advertising is off topic here.")
    # Then B and C withdraw it: gone from the group's list and its text from its page
    for reader, post in ((cast.bea, on_b), (cast.cal, on_c)):
        await poll(
            not_listed(reader, cast.path(reader), title),
            what=f"{reader.instance.name} withdraws the removed thread {title!r}",
        )
        assert body not in await flows.thread_text(reader, post)
    # And A's moderation log tells the members why
    assert "Advertising is off topic here." in text_of(
        await cast.moderator.page(f"/g/{cast.group}/modlog")
    )

    # When the moderator restores it from the group's Moderation page
    await flows.restore(cast.moderator, on_a, f"/g/{cast.group}/moderation")
    # Then C lists it again
    await thread_on(cast, cast.cal, title)


async def test_moderation__a_ban_on_a_rejects_the_banned_persons_next_post_from_b(
    network: Network, log_in: LogIn
) -> None:
    # Given Bea (on B), a member of the group on A
    [cast] = await make_cast(network, log_in, unique("grp"))
    a, b = network.a, network.b

    # When the group's moderator bans her on A
    await flows.ban(cast.moderator, f"/g/{cast.group}", cast.bea.handle, "Spam, again.")
    # Then B hears of it: she is no longer in the group there
    await poll(
        _standing(cast.bea, cast.path(cast.bea), "outside"),
        what=f"B learns that {cast.bea.handle} was turned out of {cast.group}",
    )

    # When B sends her next post to the group anyway (as a server that missed the news would)
    title = unique("Banned but back ")
    activity_id = await _post_as(b, cast.bea.username, a, cast.group, title)
    # Then A takes the request, handles it, and refuses it: nothing is stored or listed
    await poll(_handled(a, activity_id), what=f"A's inbox handles {activity_id}")
    [handled] = await a.query("SELECT error FROM inbox_activity WHERE ap_id = ?", activity_id)
    assert handled["error"], "A's inbox accepted a post from a banned person"
    assert await a.query("SELECT id FROM post WHERE title = ?", title) == []
    assert await flows.thread_link(cast.moderator, f"/g/{cast.group}", title) is None


async def test_moderation__a_report_filed_on_b_reaches_the_groups_queue_on_a(
    network: Network, log_in: LogIn
) -> None:
    # Given Cal's thread in the group on A, seen by Bea on B
    [cast] = await make_cast(network, log_in, unique("grp"))
    title = unique("Dubious ")
    await flows.write_post(cast.cal, cast.path(cast.cal), title, "Click this link for answers.")
    on_b = await thread_on(cast, cast.bea, title)

    # When Bea reports it on B
    comment = unique("Looks like phishing ")
    await flows.report(cast.bea, on_b, comment)
    # Then the report reaches the group's report queue on A
    await poll(
        _page_shows(cast.moderator, f"/g/{cast.group}/reports", comment),
        what=f"A's moderators see the report {comment!r}",
    )


async def test_moderation__a_domain_block_on_a_stops_deliveries_to_and_from_b(
    network: Network, log_in: LogIn
) -> None:
    # Given the group on A with Bea (on B) and Cal (on C) as members
    [cast] = await make_cast(network, log_in, unique("grp"))
    a, b, c = network

    # When A's admin suspends B's domain (lifted at the end: the other scenarios, in any order,
    # share A and B)
    await flows.block_domain(cast.moderator, b.domain, "Spam factory.")
    try:
        # Then a new thread on A goes to C and not to B
        title = unique("After the block ")
        on_a = await flows.write_post(cast.moderator, f"/g/{cast.group}", title, "Not for B.")
        await thread_on(cast, cast.cal, title)
        post_id = on_a.rsplit("/", 1)[-1]
        rows = await a.query("SELECT domain FROM delivery WHERE payload LIKE ?", f"%/p/{post_id}%")
        assert {row["domain"] for row in rows} == {c.domain}

        # And a thread Bea writes on B is refused by A, and never listed there
        refused = unique("From B ")
        await flows.write_post(cast.bea, cast.path(cast.bea), refused, "Let me in.")
        await poll(_refused(b, a, refused), what=f"A refuses B's delivery of {refused!r}")
        assert await a.query("SELECT id FROM post WHERE title = ?", refused) == []
        assert await flows.thread_link(cast.moderator, f"/g/{cast.group}", refused) is None
    finally:
        await flows.unblock_domain(cast.moderator, b.domain)


# -- checks and steps ----------------------------------------------------------------------


def _standing(person: Person, path: str, wanted: str) -> Check:
    async def check() -> bool:
        return await flows.standing(person, path) == wanted

    return check


def _page_shows(person: Person, path: str, text: str) -> Check:
    async def check() -> bool:
        return text in text_of(await person.page(path))

    return check


def _handled(instance: Instance, activity_id: str) -> Check:
    async def check() -> bool:
        rows = await instance.query(
            "SELECT processed_at FROM inbox_activity WHERE ap_id = ?", activity_id
        )
        return bool(rows) and rows[0]["processed_at"] is not None

    return check


def _refused(sender: Instance, receiver: Instance, title: str) -> Check:
    """The receiver refused what the sender delivered about `title`: at its inbox's door (403),
    or in its worker, which checks the block again before handling anything (where the inbox
    that took it ran in another process, which remembers a domain as unblocked for up to ten
    seconds)."""

    async def check() -> bool:
        sent = await sender.query(
            "SELECT activity_id, last_status FROM delivery WHERE domain = ? AND payload LIKE ?",
            receiver.domain,
            f"%{title}%",
        )
        if any(row["last_status"] == 403 for row in sent):
            return True
        for row in sent:
            handled = await receiver.query(
                "SELECT error FROM inbox_activity WHERE ap_id = ?", row["activity_id"]
            )
            if handled and "blocked" in handled[0]["error"]:
                return True
        return False

    return check


async def _post_as(sender: Instance, username: str, to: Instance, group: str, title: str) -> str:
    """A `Create{Note}` into the group, signed with the person's key as their server keeps it;
    POSTed to the group's inbox. Returns the activity's id."""
    [person] = await sender.query(
        "SELECT private_key_pem FROM actor WHERE username = ? AND domain = ''", username
    )
    actor = sender.url(f"/u/{username}")
    group_id = to.url(f"/g/{group}")
    note_id = sender.url(f"/p/{uuid.uuid4().hex}")
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_id}/create",
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC, group_id],
        "cc": [],
        "audience": group_id,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor,
            "name": title,
            "content": "<p>I am still here.</p>",
            "to": [PUBLIC, group_id],
            "audience": group_id,
            "published": "2026-01-01T00:00:00Z",
        },
    }
    auth = CavageAuth(f"{actor}#main-key", person["private_key_pem"])
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(
            f"{group_id}/inbox",
            content=json.dumps(activity).encode(),
            headers={"Content-Type": AS2},
            auth=auth,
        )
    assert response.status_code == 202, f"A answered {response.status_code}: {response.text}"
    return str(activity["id"])


__all__ = ["Cast"]
