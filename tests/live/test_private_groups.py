"""A members-only group across three instances.

A hosts the group and its operator makes it members-only in its settings. Bea on B joins it
from B; Cal on C finds it but does not join. What A sends about the group's posts is addressed
to the group's followers, never to the public; B, where a member lives, may fetch a private
post with a signed GET, C may not; B keeps the group's posts for its members alone; and once Bea
is banned, B gets nothing more and may fetch nothing more.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from federation.httpsig import CavageAuth
from tests.federation.test_outbox_private_groups import public_addresses
from tests.live import flows
from tests.live.conftest import LogIn, Network
from tests.live.harness import OPERATOR, Check, Instance, Person, poll, unique

AS2 = "application/activity+json"


async def signed_get(signer: Instance, username: str, url: str) -> httpx.Response:
    """A GET for ActivityStreams signed with the key `signer` keeps for its user `username`."""
    [person] = await signer.query(
        "SELECT private_key_pem FROM actor WHERE username = ? AND domain = ''", username
    )
    key_id = signer.url(f"/u/{username}#main-key")
    async with httpx.AsyncClient(timeout=10.0) as client:
        return await client.get(
            url, headers={"Accept": AS2}, auth=CavageAuth(key_id, person["private_key_pem"])
        )


async def make_members_only(operator: Person, group: str) -> None:
    """The group's settings form, with "Members only" chosen."""
    path = f"/g/{group}/settings"
    response = await operator.submit(
        path,
        {
            "name": group.title(),
            "description": "Our internal group.",
            "rules": "",
            "topics": "",
            "join_policy": "open",
            "posting_policy": "members",
            "visibility": "members",
        },
        form_page=path,
    )
    assert response.status_code == 303, f"saving the settings: {response.status_code}"


def _standing(person: Person, path: str, wanted: str) -> Check:
    async def check() -> bool:
        return await flows.standing(person, path) == wanted

    return check


def _shut_out(person: Person, path: str) -> Check:
    """The group's page on the person's instance is its "members only" page for them."""

    async def check() -> bool:
        return (await person.client.get(path)).status_code == 403

    return check


async def _deliveries(a: Instance, post_id: str) -> list[dict[str, Any]]:
    return await a.query(
        "SELECT domain, payload FROM delivery WHERE payload LIKE ?", f"%/p/{post_id}%"
    )


async def test_private_group__followers_only_to_members_signed_fetch_for_their_servers_alone(
    network: Network, log_in: LogIn
) -> None:
    a, b, c = network
    group = unique("inner")
    bea, cal = unique("bea"), unique("cal")
    await a.create_group(group)
    await b.create_user(bea)
    await c.create_user(cal)
    operator, bea_web, cal_web = (
        await log_in(a, OPERATOR),
        await log_in(b, bea),
        await log_in(c, cal),
    )
    # Given the group made members-only on A, Bea (B) a member, Cal (C) not
    await make_members_only(operator, group)
    on_b = await flows.find_group(bea_web, a.handle(group))
    await flows.join(bea_web, on_b)
    await poll(_standing(bea_web, on_b, "member"), what=f"{bea} is a member on B")
    await flows.find_group(cal_web, a.handle(group))  # Cal knows the group, is not in it

    # When A's operator starts a thread
    title, body = unique("Roadmap "), unique("Internal plans ")
    on_a = await flows.write_post(operator, f"/g/{group}", title, body)
    post_id = on_a.rsplit("/", 1)[-1]
    # Then Bea reads it on B
    await poll(lambda: _listed(bea_web, on_b, title), what=f"B lists the thread {title!r}")
    on_b_post = await flows.thread_link(bea_web, on_b, title)
    assert on_b_post is not None
    assert body in await flows.thread_text(bea_web, on_b_post)
    # And everything A queued about it went to B alone, addressed to the group's followers
    rows = await _deliveries(a, post_id)
    assert rows, "A queued nothing for the thread"
    followers = a.url(f"/g/{group}/followers")
    for row in rows:
        payload = json.loads(row["payload"])
        assert row["domain"] == b.domain
        assert public_addresses(payload) == [], payload
        assert followers in payload["to"], payload
    # And B keeps it for its members: a logged-out visitor on B cannot read it
    async with b.client() as visitor:
        assert (await visitor.get(on_b_post)).status_code == 403
        assert body not in (await visitor.get(on_b_post)).text

    # When B (where Bea lives) and C (where nobody of the group lives) fetch the post from A
    note_url = a.url(on_a)
    from_b = await signed_get(b, bea, note_url)
    from_c = await signed_get(c, cal, note_url)
    async with httpx.AsyncClient(timeout=10.0) as anonymous:
        unsigned = await anonymous.get(note_url, headers={"Accept": AS2})
    # Then B gets the Note, followers-only, and C and an unsigned GET get nothing
    assert from_b.status_code == 200, from_b.text
    assert public_addresses(from_b.json()) == []
    assert from_c.status_code == 404
    assert unsigned.status_code == 404
    assert body not in from_c.text + unsigned.text

    # When Bea writes into the group from B
    from_bea = unique("From B ")
    await flows.write_post(bea_web, on_b, from_bea, "A member's question.")
    # Then A takes it (B sends it followers-only too), and lists it for its members
    await poll(
        lambda: _listed(operator, f"/g/{group}", from_bea),
        what=f"A lists Bea's thread {from_bea!r}",
    )

    # When A's operator bans Bea
    await flows.ban(operator, f"/g/{group}", bea_web.handle, "Left the company.")
    await poll(_shut_out(bea_web, on_b), what="B learns Bea is out of the group")
    # Then a new thread goes nowhere (no member is left elsewhere), and B may fetch nothing
    after = await flows.write_post(operator, f"/g/{group}", unique("After "), "Not for B.")
    assert await _deliveries(a, after.rsplit("/", 1)[-1]) == []
    refused = await signed_get(b, bea, a.url(after))
    assert refused.status_code == 404
    assert (await signed_get(b, bea, note_url)).status_code == 404


async def _listed(reader: Person, path: str, title: str) -> bool:
    return await flows.thread_link(reader, path, title) is not None
