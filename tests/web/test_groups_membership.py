"""Joining and leaving groups, the approval queue, and roles, on the web."""

from __future__ import annotations

import httpx
import pytest

from server import events
from server.models import Account, Actor, Group, JoinPolicy, MemberRole, Membership, MembershipState
from server.services import groups
from tests.helpers import csrf, log_in, make_account, make_group, record_events


async def as_person(client: httpx.AsyncClient, username: str) -> tuple[Account, str]:
    """A new account, logged in on `client`; returns it with a CSRF token."""
    account = await make_account(username)
    await log_in(client, username)
    return account, await csrf(client, "/groups")


async def approval_group_with_request(
    client: httpx.AsyncClient, *, viewer: str
) -> tuple[Group, Membership, str]:
    """An approval group owned by olga with a request from cleo; `viewer` is logged in."""
    owner = await make_account("olga")
    asker = await make_account("cleo")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    request = await groups.request_membership(
        group, await Actor.get(id=asker.actor_id), message="Please let me in"
    )
    if viewer != "olga" and viewer != "cleo":
        await make_account(viewer)
    await log_in(client, viewer)
    return group, request, await csrf(client, "/groups")


# --- join -------------------------------------------------------------------------------------


async def test_join__open_group_makes_a_member_at_once(client: httpx.AsyncClient) -> None:
    # Given an open group and a logged-in person
    owner = await make_account("olga")
    group = await make_group(owner, "open")
    ada, token = await as_person(client, "ada")
    accepted = record_events(events.MembershipAccepted)
    # When they press Join
    response = await client.post("/g/open/join", data={"csrf_token": token})
    # Then they are a member, counted, and the event was published
    assert response.status_code == 303
    assert response.headers["location"] == "/g/open"
    membership = await Membership.get(group=group, actor_id=ada.actor_id)
    assert membership.state == MembershipState.ACCEPTED
    assert (await Group.get(id=group.id)).member_count == 2
    assert len(accepted) == 1
    members = await client.get("/g/open/members")
    assert "@ada@lyceum.test" in members.text


async def test_join__approval_group_files_a_pending_request_with_message(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    ada, token = await as_person(client, "ada")
    requested = record_events(events.MembershipRequested)
    form = await client.get("/g/closed/join")
    assert form.status_code == 200
    assert '<label for="message"' in form.text
    response = await client.post(
        "/g/closed/join", data={"csrf_token": token, "message": "I teach maths"}
    )
    assert response.status_code == 303
    membership = await Membership.get(group=group, actor_id=ada.actor_id)
    assert (membership.state, membership.message) == (MembershipState.PENDING, "I teach maths")
    assert (await Group.get(id=group.id)).member_count == 1
    assert len(requested) == 1
    about = await client.get("/g/closed/about")
    assert "Request pending" in about.text


async def test_join__too_long_message_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    _, token = await as_person(client, "ada")
    response = await client.post(
        "/g/closed/join", data={"csrf_token": token, "message": "x" * 1001}
    )
    assert response.status_code == 422
    assert 'id="message-error"' in response.text
    assert await Membership.filter(group=group).count() == 1


async def test_join__anonymous_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "open")
    response = await client.post("/g/open/join", data={"csrf_token": "x"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert await Membership.filter(group=group).count() == 1


async def test_join__without_csrf_is_403(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "open")
    await as_person(client, "ada")
    response = await client.post("/g/open/join", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert await Membership.filter(group=group).count() == 1


async def test_join__banned_person_is_403(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "open")
    ada, token = await as_person(client, "ada")
    await groups.Ban.create(group=group, actor_id=ada.actor_id)
    response = await client.post("/g/open/join", data={"csrf_token": token})
    assert response.status_code == 403
    assert await Membership.filter(group=group).count() == 1


async def test_join__unknown_group_is_404(client: httpx.AsyncClient) -> None:
    _, token = await as_person(client, "ada")
    response = await client.post("/g/nowhere/join", data={"csrf_token": token})
    assert response.status_code == 404


# --- leave ------------------------------------------------------------------------------------


async def test_leave__member_leaves_and_is_uncounted(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "open")
    ada, token = await as_person(client, "ada")
    await groups.request_membership(group, ada.actor)
    ended = record_events(events.MembershipEnded)
    confirm = await client.get("/g/open/leave")
    assert confirm.status_code == 200
    response = await client.post("/g/open/leave", data={"csrf_token": token})
    assert response.status_code == 303
    assert not await Membership.filter(group=group, actor_id=ada.actor_id).exists()
    assert (await Group.get(id=group.id)).member_count == 1
    assert len(ended) == 1


async def test_leave__withdraws_a_pending_request(client: httpx.AsyncClient) -> None:
    _, request, token = await approval_group_with_request(client, viewer="cleo")
    response = await client.post("/g/closed/leave", data={"csrf_token": token})
    assert response.status_code == 303
    assert not await Membership.filter(id=request.id).exists()


async def test_leave__owner_cannot_leave(client: httpx.AsyncClient) -> None:
    owner, token = await as_person(client, "olga")
    group = await make_group(owner, "mine")
    response = await client.post("/g/mine/leave", data={"csrf_token": token})
    assert response.status_code == 403
    assert "owner" in response.text
    membership = await Membership.get(group=group, actor_id=owner.actor_id)
    assert membership.role == MemberRole.OWNER
    assert (await Group.get(id=group.id)).member_count == 1


async def test_leave__non_member_is_404(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "open")
    _, token = await as_person(client, "ada")
    response = await client.post("/g/open/leave", data={"csrf_token": token})
    assert response.status_code == 404
    assert await Membership.filter(group=group).count() == 1


# --- the approval queue -------------------------------------------------------------------------


async def test_requests__owner_sees_the_queue_and_accepts(client: httpx.AsyncClient) -> None:
    # Given an approval group with a request, its owner logged in
    group, request, token = await approval_group_with_request(client, viewer="olga")
    accepted = record_events(events.MembershipAccepted)
    # When the owner opens the queue
    queue = await client.get("/g/closed/requests")
    # Then the request is listed with its message
    assert queue.status_code == 200
    assert "Please let me in" in queue.text
    assert '>Requests <span class="badge">1<' in queue.text
    assert f'action="/g/closed/requests/{request.id}/accept"' in queue.text
    # And accepting it makes a member
    response = await client.post(
        f"/g/closed/requests/{request.id}/accept", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/g/closed/requests"
    stored = await Membership.get(id=request.id)
    assert stored.state == MembershipState.ACCEPTED
    assert (await Group.get(id=group.id)).member_count == 2
    assert len(accepted) == 1
    assert "No one is waiting to join." in (await client.get("/g/closed/requests")).text


async def test_requests__reject(client: httpx.AsyncClient) -> None:
    group, request, token = await approval_group_with_request(client, viewer="olga")
    rejected = record_events(events.MembershipRejected)
    response = await client.post(
        f"/g/closed/requests/{request.id}/reject", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert (await Membership.get(id=request.id)).state == MembershipState.REJECTED
    assert (await Group.get(id=group.id)).member_count == 1
    assert len(rejected) == 1


async def test_requests__deciding_twice_is_409(client: httpx.AsyncClient) -> None:
    _, request, token = await approval_group_with_request(client, viewer="olga")
    path = f"/g/closed/requests/{request.id}/accept"
    assert (await client.post(path, data={"csrf_token": token})).status_code == 303
    response = await client.post(path.replace("accept", "reject"), data={"csrf_token": token})
    assert response.status_code == 409
    assert (await Membership.get(id=request.id)).state == MembershipState.ACCEPTED


async def test_requests__unknown_request_or_decision_is_404(client: httpx.AsyncClient) -> None:
    _, request, token = await approval_group_with_request(client, viewer="olga")
    missing = await client.post("/g/closed/requests/nosuchid/accept", data={"csrf_token": token})
    assert missing.status_code == 404
    odd = await client.post(f"/g/closed/requests/{request.id}/maybe", data={"csrf_token": token})
    assert odd.status_code == 404
    assert (await Membership.get(id=request.id)).state == MembershipState.PENDING


async def test_requests__a_moderator_may_decide(client: httpx.AsyncClient) -> None:
    # Given a request, and mina, a moderator (not the owner), logged in
    group, request, token = await approval_group_with_request(client, viewer="mina")
    mina = await Actor.get(username="mina")
    await Membership.create(
        group=group, actor=mina, role=MemberRole.MODERATOR, state=MembershipState.ACCEPTED
    )
    # When she accepts it, Then it is accepted and recorded as her decision
    response = await client.post(
        f"/g/closed/requests/{request.id}/accept", data={"csrf_token": token}
    )
    assert response.status_code == 303
    stored = await Membership.get(id=request.id).select_related("decided_by")
    assert stored.state == MembershipState.ACCEPTED
    assert stored.decided_by is not None and stored.decided_by.username == "mina"


@pytest.mark.parametrize("viewer", ["cleo", "bert"])
async def test_requests__members_and_outsiders_get_403(
    client: httpx.AsyncClient, viewer: str
) -> None:
    # Given a request, and a viewer who is the asker or a plain member
    group, request, token = await approval_group_with_request(client, viewer=viewer)
    if viewer == "bert":
        bert = await Actor.get(username="bert")
        await Membership.create(group=group, actor=bert, state=MembershipState.ACCEPTED)
    # When they open the queue or try to decide
    queue = await client.get("/g/closed/requests")
    decide = await client.post(
        f"/g/closed/requests/{request.id}/accept", data={"csrf_token": token}
    )
    # Then both are refused and the request is untouched
    assert (queue.status_code, decide.status_code) == (403, 403)
    assert (await Membership.get(id=request.id)).state == MembershipState.PENDING


async def test_requests__anonymous_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    asker = await make_account("cleo")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    request = await groups.request_membership(group, await Actor.get(id=asker.actor_id))
    queue = await client.get("/g/closed/requests")
    decide = await client.post(f"/g/closed/requests/{request.id}/accept", data={})
    assert queue.status_code == decide.status_code == 303
    assert queue.headers["location"] == "/login?next=/g/closed/requests"
    assert (await Membership.get(id=request.id)).state == MembershipState.PENDING


# --- roles ----------------------------------------------------------------------------------


async def test_role__owner_appoints_and_removes_a_moderator(client: httpx.AsyncClient) -> None:
    owner, token = await as_person(client, "olga")
    group = await make_group(owner, "club")
    bert = await make_account("bert")
    await groups.request_membership(group, bert.actor)
    page = await client.get("/g/club/members")
    assert f'action="/g/club/members/{bert.actor_id}/role"' in page.text
    path = f"/g/club/members/{bert.actor_id}/role"
    made = await client.post(path, data={"csrf_token": token, "role": "moderator"})
    assert made.status_code == 303
    assert (await Membership.get(group=group, actor_id=bert.actor_id)).role == MemberRole.MODERATOR
    assert "Remove moderator" in (await client.get("/g/club/members")).text
    removed = await client.post(path, data={"csrf_token": token, "role": "member"})
    assert removed.status_code == 303
    assert (await Membership.get(group=group, actor_id=bert.actor_id)).role == MemberRole.MEMBER


@pytest.mark.parametrize("role", ["owner", "admin", ""])
async def test_role__unassignable_role_is_422(client: httpx.AsyncClient, role: str) -> None:
    owner, token = await as_person(client, "olga")
    group = await make_group(owner, "club")
    bert = await make_account("bert")
    await groups.request_membership(group, bert.actor)
    response = await client.post(
        f"/g/club/members/{bert.actor_id}/role", data={"csrf_token": token, "role": role}
    )
    assert response.status_code == 422
    assert (await Membership.get(group=group, actor_id=bert.actor_id)).role == MemberRole.MEMBER


async def test_role__a_moderator_cannot_change_roles(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "club")
    mina, token = await as_person(client, "mina")
    await Membership.create(
        group=group, actor_id=mina.actor_id, role=MemberRole.MODERATOR, state="accepted"
    )
    bert = await make_account("bert")
    await groups.request_membership(group, bert.actor)
    response = await client.post(
        f"/g/club/members/{bert.actor_id}/role", data={"csrf_token": token, "role": "moderator"}
    )
    assert response.status_code == 403
    assert (await Membership.get(group=group, actor_id=bert.actor_id)).role == MemberRole.MEMBER


async def test_role__of_a_non_member_is_404(client: httpx.AsyncClient) -> None:
    owner, token = await as_person(client, "olga")
    await make_group(owner, "club")
    outsider = await make_account("zed")
    response = await client.post(
        f"/g/club/members/{outsider.actor_id}/role", data={"csrf_token": token, "role": "moderator"}
    )
    assert response.status_code == 404
