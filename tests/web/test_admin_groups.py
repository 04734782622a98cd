"""The admins' group pages: listing every group, approving, suspending, handing one over."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from server.models import (
    Account,
    AuditEntry,
    Group,
    GroupState,
    MemberRole,
    Membership,
    Post,
)
from server.services import group_admin, groups, instance
from server.services.errors import Conflict, Forbidden, Invalid
from tests.helpers import csrf, join_as_member, make_account, make_group, make_post
from tests.web._admin_world import admin, admin_client, member_client

__all__ = ["admin", "admin_client"]  # fixtures used by name


async def post_form(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    token = await csrf(client, "/admin/groups")
    return await client.post(path, data={**fields, "csrf_token": token})


async def three_groups() -> dict[str, Group]:
    """An active, a pending and a suspended group, all owned by Ada."""
    ada = await make_account("ada")
    made = {name: await make_group(ada, name) for name in ("physics", "optics", "alchemy")}
    await Group.filter(id=made["optics"].id).update(state=GroupState.PENDING)
    await Group.filter(id=made["alchemy"].id).update(state=GroupState.SUSPENDED)
    return made


async def test_group_list__filters_by_state_and_searches(admin_client: httpx.AsyncClient) -> None:
    await three_groups()

    async def listed(query: str) -> list[str]:
        page = await admin_client.get(f"/admin/groups?{query}")
        assert page.status_code == 200, page.text
        return re.findall(r'href="/admin/groups/(\w+)"', page.text)

    assert sorted(await listed("")) == ["alchemy", "optics", "physics"]
    assert await listed("state=pending") == ["optics"]
    assert await listed("state=suspended") == ["alchemy"]
    assert await listed("q=phys") == ["physics"]
    bad = await admin_client.get("/admin/groups?state=sleeping")
    assert bad.status_code == 422 and "Choose a state" in bad.text
    page = await admin_client.get("/admin/groups")
    assert '<a href="/admin/groups" aria-current="page">Groups</a>' in page.text
    assert page.text.count("<h1") == 1


async def test_group_pages__refuse_members(app: Starlette, admin: Account) -> None:
    await three_groups()
    ada = await member_client(app, "ada")
    try:
        assert (await ada.get("/admin/groups")).status_code == 403
        assert (await ada.get("/admin/groups/optics")).status_code == 403
        token = await csrf(ada, "/home")
        refused = await ada.post("/admin/groups/optics/approve", data={"csrf_token": token})
        assert refused.status_code == 403
    finally:
        await ada.aclose()
    assert (await Group.get(actor__username="optics")).state == GroupState.PENDING


async def test_approve__opens_a_pending_group(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # Given a group waiting for approval, which visitors cannot see
    await three_groups()
    assert (await client.get("/g/optics")).status_code == 404
    # When an admin approves it
    response = await post_form(admin_client, "/admin/groups/optics/approve")
    # Then it is active and visible, and the approval is audited
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/groups/optics?notice=approved"
    assert (await Group.get(actor__username="optics")).state == GroupState.ACTIVE
    assert (await client.get("/g/optics")).status_code == 200
    assert await AuditEntry.filter(action="group.approve").exists()
    # And approving again is a conflict
    assert (await post_form(admin_client, "/admin/groups/optics/approve")).status_code == 409


async def test_suspend__hides_the_group_and_closes_it(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # Given an active group with a member
    made = await three_groups()
    ben = await make_account("ben")
    await join_as_member(made["physics"], ben)
    # When an admin suspends it without a reason: 422, nothing changes
    empty = await post_form(admin_client, "/admin/groups/physics/suspend", reason="")
    assert empty.status_code == 422 and "Say why" in empty.text
    assert (await Group.get(actor__username="physics")).state == GroupState.ACTIVE
    # When with a reason
    response = await post_form(admin_client, "/admin/groups/physics/suspend", reason="spam ring")
    assert response.status_code == 303
    group = await Group.get(actor__username="physics")
    assert group.state == GroupState.SUSPENDED
    # Then visitors no longer see it, and nobody can post in it or join it
    assert (await client.get("/g/physics")).status_code == 404
    with pytest.raises(Forbidden):
        await make_post(ben, group, title="Still here?")
    carla = await make_account("carla")
    with pytest.raises(Forbidden):
        await groups.request_membership(group, carla.actor)
    entry = await AuditEntry.get(action="group.suspend")
    assert (entry.group_id, entry.reason) == (group.id, "spam ring")
    # When the suspension is lifted, it is back
    lifted = await post_form(admin_client, "/admin/groups/physics/unsuspend")
    assert lifted.status_code == 303
    assert (await Group.get(id=group.id)).state == GroupState.ACTIVE
    assert await AuditEntry.filter(action="group.unsuspend").exists()
    assert not await Post.filter(group=group).exists()


async def test_transfer__hands_the_group_to_a_member(admin_client: httpx.AsyncClient) -> None:
    # Given Ada's group with Ben as a member
    made = await three_groups()
    ben = await make_account("ben")
    await join_as_member(made["physics"], ben)
    page = await admin_client.get("/admin/groups/physics")
    assert f'<option value="{ben.actor_id}">@ben</option>' in page.text
    # When an admin chooses nobody: 422
    empty = await post_form(admin_client, "/admin/groups/physics/transfer", new_owner="")
    assert empty.status_code == 422 and "Choose the member" in empty.text
    # When they choose someone who is not a member: 422 with the reason
    stranger = await make_account("carla")
    wrong = await post_form(
        admin_client, "/admin/groups/physics/transfer", new_owner=stranger.actor_id
    )
    assert wrong.status_code == 422 and "not a member" in wrong.text
    # When they choose Ben
    response = await post_form(
        admin_client, "/admin/groups/physics/transfer", new_owner=ben.actor_id
    )
    # Then Ben owns it and Ada stays on as a moderator
    assert response.status_code == 303
    roles = dict(
        await Membership.filter(group=made["physics"]).values_list("actor__username", "role")
    )
    assert roles == {"ben": MemberRole.OWNER, "ada": MemberRole.MODERATOR}
    assert await AuditEntry.filter(action="group.transfer").exists()
    assert "<code>group.transfer</code>" in (await admin_client.get("/admin/groups/physics")).text


async def test_group_admin__service_refuses_non_admins_and_bad_states(admin: Account) -> None:
    made = await three_groups()
    ada = await Account.get(actor__username="ada").select_related("actor")
    with pytest.raises(Forbidden):
        await group_admin.approve_group(ada.actor, made["optics"])
    with pytest.raises(Conflict):
        await group_admin.unsuspend_group(admin.actor, made["physics"])
    with pytest.raises(Invalid):
        await group_admin.suspend_group(admin.actor, made["physics"], "x" * 2001)
    assert not await AuditEntry.filter(action__startswith="group.").exists()


async def test_group_pending__when_the_instance_says_so(admin: Account) -> None:
    config = await instance.get_config()
    config.groups_need_approval = True
    await config.save()
    member = await make_account("ben")
    group = await make_group(member, "optics")
    assert group.state == GroupState.PENDING
    await group_admin.approve_group(admin.actor, group)
    assert (await Group.get(id=group.id)).state == GroupState.ACTIVE
