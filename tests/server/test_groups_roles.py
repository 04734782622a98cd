"""Who runs a group (server/services/groups.py): appointing and removing moderators, handing the
group over, and rule changes, each with its moderation-log entry."""

from __future__ import annotations

import pytest

from server import events
from server.models import Account, AuditEntry, Group, MemberRole, Membership
from server.services import groups
from server.services.errors import Conflict, Forbidden, NotFound
from server.services.groups import GroupForm
from tests.helpers import make_account, make_group, make_remote_actor, record_events

pytestmark = pytest.mark.usefixtures("database")


async def club() -> tuple[Group, Account, Account]:
    """An open group `club` owned by olga, with bert as a member."""
    owner = await make_account("olga")
    group = await make_group(owner, "club")
    bert = await make_account("bert", display_name="Bert Bloggs")
    await groups.request_membership(group, bert.actor)
    return group, owner, bert


async def role_of(group: Group, account: Account) -> MemberRole:
    return (await Membership.get(group=group, actor_id=account.actor_id)).role


# --- set_role -------------------------------------------------------------------------------


async def test_set_role__owner_appoints_and_removes_with_log_and_events() -> None:
    group, owner, bert = await club()
    seen = record_events(events.ModeratorChanged, events.GroupUpdated)
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MODERATOR)
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MEMBER)
    entries = await AuditEntry.filter(group=group).order_by("created_at", "id")
    assert [(e.action, e.actor_id, e.target_id, e.target_label) for e in entries] == [  # type: ignore[attr-defined]
        ("moderator.appoint", owner.actor_id, bert.actor_id, "Bert Bloggs (@bert)"),
        ("moderator.remove", owner.actor_id, bert.actor_id, "Bert Bloggs (@bert)"),
    ]
    assert seen == [
        events.ModeratorChanged(group.id, bert.actor_id, owner.actor_id, appointed=True),
        events.GroupUpdated(group.id),
        events.ModeratorChanged(group.id, bert.actor_id, owner.actor_id, appointed=False),
        events.GroupUpdated(group.id),
    ]


async def test_set_role__an_admin_may_too() -> None:
    group, _, bert = await club()
    admin = await make_account("ada", admin=True)
    await groups.set_role(group, admin.actor, bert.actor_id, MemberRole.MODERATOR)
    assert await role_of(group, bert) == MemberRole.MODERATOR
    entry = await AuditEntry.get(action="moderator.appoint")
    assert entry.actor_id == admin.actor_id  # type: ignore[attr-defined]


async def test_set_role__a_moderator_may_not() -> None:
    group, owner, bert = await club()
    mina = await make_account("mina")
    await groups.request_membership(group, mina.actor)
    await groups.set_role(group, owner.actor, mina.actor_id, MemberRole.MODERATOR)
    with pytest.raises(Forbidden):
        await groups.set_role(group, mina.actor, bert.actor_id, MemberRole.MODERATOR)
    assert await role_of(group, bert) == MemberRole.MEMBER
    assert await AuditEntry.filter(action="moderator.appoint").count() == 1


async def test_set_role__same_role_again_logs_nothing() -> None:
    group, owner, bert = await club()
    seen = record_events(events.ModeratorChanged)
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MEMBER)
    assert seen == []
    assert not await AuditEntry.exists()


# --- transfer_ownership ---------------------------------------------------------------------


async def test_transfer__owner_hands_over_to_a_moderator() -> None:
    # Given a group whose owner appointed a moderator
    group, owner, bert = await club()
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MODERATOR)
    seen = record_events(events.GroupUpdated)
    # When the owner hands the group over
    await groups.transfer_ownership(owner.actor, group, bert.actor_id)
    # Then the moderator owns it and the old owner stays on as a moderator
    assert await role_of(group, bert) == MemberRole.OWNER
    assert await role_of(group, owner) == MemberRole.MODERATOR
    entry = await AuditEntry.get(action="group.transfer")
    assert (entry.actor_id, entry.target_id) == (owner.actor_id, bert.actor_id)  # type: ignore[attr-defined]
    assert seen == [events.GroupUpdated(group.id)]
    # And the new owner may now change roles, the old one no longer
    with pytest.raises(Forbidden):
        await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MEMBER)


async def test_transfer__owner_must_pick_a_moderator() -> None:
    group, owner, bert = await club()
    with pytest.raises(Conflict, match="moderators"):
        await groups.transfer_ownership(owner.actor, group, bert.actor_id)
    assert await role_of(group, owner) == MemberRole.OWNER
    assert not await AuditEntry.exists()


async def test_transfer__an_admin_may_give_it_to_any_member() -> None:
    group, owner, bert = await club()
    admin = await make_account("ada", admin=True)
    await groups.transfer_ownership(admin.actor, group, bert.actor_id)
    assert await role_of(group, bert) == MemberRole.OWNER
    assert await role_of(group, owner) == MemberRole.MODERATOR
    entry = await AuditEntry.get(action="group.transfer")
    assert entry.actor_id == admin.actor_id  # type: ignore[attr-defined]


async def test_transfer__others_may_not() -> None:
    group, owner, bert = await club()
    await groups.set_role(group, owner.actor, bert.actor_id, MemberRole.MODERATOR)
    mina = await make_account("mina")
    await groups.request_membership(group, mina.actor)
    await groups.set_role(group, owner.actor, mina.actor_id, MemberRole.MODERATOR)
    with pytest.raises(Forbidden):
        await groups.transfer_ownership(mina.actor, group, bert.actor_id)
    assert await role_of(group, owner) == MemberRole.OWNER


async def test_transfer__to_a_non_member_or_a_remote_person_is_refused() -> None:
    group, owner, _ = await club()
    admin = await make_account("ada", admin=True)
    stranger = await make_account("stranger")
    with pytest.raises(NotFound):
        await groups.transfer_ownership(admin.actor, group, stranger.actor_id)
    alice = await make_remote_actor("alice", "mastodon.example")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    with pytest.raises(Conflict, match="account here"):
        await groups.transfer_ownership(admin.actor, group, alice.id)
    with pytest.raises(Conflict, match="already own"):
        await groups.transfer_ownership(admin.actor, group, owner.actor_id)
    assert await role_of(group, owner) == MemberRole.OWNER


# --- rules ----------------------------------------------------------------------------------


async def test_update_group__rule_change_is_logged_once() -> None:
    group, owner, _ = await club()
    await group.fetch_related("actor")
    form = GroupForm(handle="club", name="Club", rules="Be kind.")
    await groups.update_group(group, form, by=owner.actor)
    # Saving again with the same rules (a new description) logs nothing more
    await groups.update_group(
        group,
        GroupForm(handle="club", name="Club", rules="Be kind.", description="New"),
        by=owner.actor,
    )
    [entry] = await AuditEntry.filter(action="group.rules")
    assert (entry.actor_id, entry.group_id, entry.target_type) == (  # type: ignore[attr-defined]
        owner.actor_id,
        group.id,
        "group",
    )
