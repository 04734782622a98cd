"""Finding and joining a group on another instance.

Discovery first, as any peer does it: WebFinger `acct:group@127.0.0.1:PORT`, then the actor
document its `self` link names; each instance builds its ids from its own base URL, port included.
Then joining: a person on B finds a group on A by its handle with B's form, opens the group's page
on B and joins; A's group gains a member through B's signed Follow, and B learns it from A's
Accept (at once for an open group, once a moderator agrees for an approval group).
"""

from __future__ import annotations

import asyncio

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.live import flows
from tests.live.conftest import LogIn, Network
from tests.live.harness import OPERATOR, Check, Instance, Person, poll, text_of, unique

AS2 = "application/activity+json"
NODEINFO = "http://nodeinfo.diaspora.software/ns/schema/2.1"


async def _group_on(instance: Instance, *, approval: bool = False) -> str:
    group = unique("grp")
    await instance.create_group(group, approval=approval)
    return group


async def test_discovery__a_group_is_found_by_handle_and_its_actor_fetched(
    network: Network,
) -> None:
    # Given an approval group on A
    a = network.a
    group = await _group_on(a, approval=True)
    async with httpx.AsyncClient(timeout=10.0) as peer:
        # When a peer looks up @group@127.0.0.1:<port of A> with WebFinger
        finger = await peer.get(
            a.url("/.well-known/webfinger"), params={"resource": f"acct:{group}@{a.domain}"}
        )
        # Then A names the group's actor on its own base URL, port included
        assert finger.status_code == 200
        jrd = finger.json()
        assert jrd["subject"] == f"acct:{group}@{a.domain}"
        [self_link] = [link for link in jrd["links"] if link["rel"] == "self"]
        assert self_link == {"rel": "self", "type": AS2, "href": a.url(f"/g/{group}")}

        # When the peer fetches that actor as ActivityStreams
        actor = await peer.get(self_link["href"], headers={"Accept": AS2})
        # Then it is the Group, with its inbox, a key it owns, and its approval policy
        assert actor.status_code == 200
        assert actor.headers["content-type"].startswith(AS2)
        document = actor.json()
        assert document["id"] == self_link["href"]
        assert document["type"] == "Group"
        assert document["preferredUsername"] == group
        assert document["inbox"] == a.url(f"/g/{group}/inbox")
        assert document["endpoints"]["sharedInbox"] == a.url("/inbox")
        assert document["manuallyApprovesFollowers"] is True
        key = document["publicKey"]
        assert key["id"] == f"{document['id']}#main-key"
        assert key["owner"] == document["id"]
        public_key = load_pem_public_key(key["publicKeyPem"].encode())
        assert isinstance(public_key, rsa.RSAPublicKey)
        assert public_key.key_size >= 2048


async def test_discovery__each_instance_names_itself_by_its_own_port(network: Network) -> None:
    # Given a group on each of A, B and C
    names = await asyncio.gather(*(_group_on(instance) for instance in network))
    groups = dict(zip([instance.name for instance in network], names, strict=True))
    async with httpx.AsyncClient(timeout=10.0) as peer:
        for instance in network:
            group = groups[instance.name]
            # When a peer fetches each group's actor and each NodeInfo
            actor = await peer.get(instance.url(f"/g/{group}"), headers={"Accept": AS2})
            links = await peer.get(instance.url("/.well-known/nodeinfo"))
            [href] = [link["href"] for link in links.json()["links"] if link["rel"] == NODEINFO]
            nodeinfo = await peer.get(href)
            # Then each id is on that instance's own base URL, and each runs lyceum
            assert actor.json()["id"] == f"http://127.0.0.1:{instance.port}/g/{group}"
            assert nodeinfo.json()["software"]["name"] == "lyceum"
            # and another instance does not claim the group
            other = network.b if instance is network.a else network.a
            finger = await peer.get(
                other.url("/.well-known/webfinger"),
                params={"resource": f"acct:{group}@{instance.domain}"},
            )
            assert finger.status_code == 404
    assert len({instance.port for instance in network}) == 3


async def test_discovery__an_unsigned_activity_is_refused_with_401(network: Network) -> None:
    # Given an open group on A
    a = network.a
    group = await _group_on(a)
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": network.b.url("/follows/forged"),
        "type": "Follow",
        "actor": network.b.url("/u/someone"),
        "object": a.url(f"/g/{group}"),
    }
    async with httpx.AsyncClient(timeout=10.0) as peer:
        # When a Follow arrives at the group's inbox without a signature
        response = await peer.post(
            a.url(f"/g/{group}/inbox"), json=follow, headers={"Content-Type": AS2}
        )
        # Then A refuses it with 401 (the verifier is on), and the group gains no member
        assert response.status_code == 401
        members = await peer.get(a.url(f"/g/{group}/members"), headers={"Accept": "text/html"})
    assert "No other members yet." in text_of(members.text)


def _lists(reader: Person, path: str, handle: str) -> Check:
    async def check() -> bool:
        return handle in await flows.members_text(reader, path)

    return check


def _standing(person: Person, path: str, wanted: str) -> Check:
    async def check() -> bool:
        return await flows.standing(person, path) == wanted

    return check


async def test_follow__a_person_on_b_joins_an_open_group_on_a(
    network: Network, log_in: LogIn
) -> None:
    # Given an open group on A and a person on B
    a, b = network.a, network.b
    group, name = unique("grp"), unique("pat")
    await asyncio.gather(a.create_group(group), b.create_user(name))
    moderator, person = await asyncio.gather(log_in(a, OPERATOR), log_in(b, name))

    # When the person looks the group up on B's groups page by its handle
    path = await flows.find_group(person, a.handle(group))
    # Then B shows the group's own page, named with A's host and port
    assert path == flows.group_path(f"{group}@{a.domain}")
    assert group.title() in await person.page(path)
    assert await flows.standing(person, path) == "outside"

    # When they press Join
    await flows.join(person, path)
    # Then A lists them among the group's members, and B shows them as a member
    await poll(
        _lists(moderator, f"/g/{group}", person.handle),
        what=f"A lists {person.handle} among the members of {group}",
    )
    await poll(
        _standing(person, path, "member"),
        what=f"B shows {person.handle} as a member of {group}@{a.domain}",
    )


async def test_follow__an_approval_group_keeps_the_request_until_a_moderator_accepts(
    network: Network, log_in: LogIn
) -> None:
    # Given an approval group on A, its moderator, and a person on B
    a, b = network.a, network.b
    group, name = unique("grp"), unique("pat")
    await asyncio.gather(a.create_group(group, approval=True), b.create_user(name))
    moderator, person = await asyncio.gather(log_in(a, OPERATOR), log_in(b, name))
    path = await flows.find_group(person, a.handle(group))

    # When the person asks to join from B
    await flows.join(person, path, message="I teach this.")
    # Then the request waits on A's requests page, and B shows it pending
    await poll(
        _lists_request(moderator, f"/g/{group}", person.handle),
        what=f"A's join requests of {group} list {person.handle}",
    )
    assert await flows.standing(person, path) == "pending"
    assert person.handle not in await flows.members_text(moderator, f"/g/{group}")

    # When A's moderator accepts it on A's web
    await flows.accept_join_request(moderator, f"/g/{group}", person.handle)
    # Then A lists the person as a member, and B shows them as one
    assert person.handle in await flows.members_text(moderator, f"/g/{group}")
    await poll(
        _standing(person, path, "member"),
        what=f"B shows {person.handle} as a member once A accepted",
    )


def _lists_request(moderator: Person, path: str, handle: str) -> Check:
    async def check() -> bool:
        return handle in text_of(await moderator.page(f"{path}/requests"))

    return check
