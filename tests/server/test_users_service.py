"""Admins managing people: suspension, deletion, roles, password resets, and finding people."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server import events
from server.models import (
    Account,
    AccountState,
    Actor,
    AuditEntry,
    Group,
    Membership,
    MembershipState,
    PasswordReset,
    Post,
    PostState,
    Role,
    Session,
)
from server.services import accounts, sessions, users
from server.services.errors import Conflict, Forbidden, Invalid
from server.services.user_search import UserQuery, search_users
from tests.helpers import (
    PASSWORD,
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_post_row,
    make_remote_actor,
)

pytestmark = pytest.mark.usefixtures("database")


async def _admin() -> Actor:
    return (await make_account("olga", admin=True)).actor


async def _member_with_posts() -> tuple[Account, Group, Post, Post]:
    """Ben, a member of Ada's group, with a published thread and a held reply."""
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    ben = await make_account("ben", display_name="Ben Franklin")
    await join_as_member(group, ben)
    thread = await make_post(ben, group, title="Kites in storms")
    held = await make_post_row(ben, group, parent=thread, state=PostState.HELD)
    return ben, group, thread, held


# --- suspension -------------------------------------------------------------------------------


async def test_suspend_actor__local_account_is_locked_out_and_hidden() -> None:
    # Given a member with a published thread and a held reply
    admin = await _admin()
    ben, group, thread, held = await _member_with_posts()
    started = await sessions.start_session(ben, lifetime=timedelta(days=30))
    # When an admin suspends him
    await users.suspend_actor(admin, ben.actor, "spam")
    # Then the account is suspended, its sessions end and it cannot log in
    stored = await Account.get(id=ben.id).select_related("actor")
    assert stored.state == AccountState.SUSPENDED
    assert stored.actor.suspended_at is not None
    assert not await Session.filter(account_id=ben.id).exists()
    assert await sessions.find_account(started.token, lifetime=timedelta(days=30)) is None
    with pytest.raises(Forbidden):
        await accounts.authenticate("ben", PASSWORD)
    # And his published post is removed with the suspension's reason; the held one stays held
    removed = await Post.get(id=thread.id)
    assert (removed.state, removed.removal_reason) == (PostState.REMOVED, users.SUSPENDED_REASON)
    assert (await Post.get(id=held.id)).state == PostState.HELD
    assert (await Group.get(id=group.id)).post_count == 0
    # And he stays a member (so that unsuspending restores everything)
    assert await Membership.filter(actor_id=ben.actor_id, state=MembershipState.ACCEPTED).exists()
    # And the audit log says who, what and why
    entry = await AuditEntry.get(action="user.suspend")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "account", ben.id)
    assert (entry.target_label, entry.reason) == ("@ben", "spam")


async def test_suspend_actor__remote_person_loses_posts_and_memberships() -> None:
    # Given a remote member of a local group with a thread there
    admin = await _admin()
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    bob = await make_remote_actor("bob", "remote.example")
    await Membership.create(group=group, actor=bob, state=MembershipState.ACCEPTED)
    post = await Post.create(
        group=group, author=bob, kind="discussion", title="Remote", ap_id="https://r.example/1"
    )
    ended: list[events.Event] = []

    async def record(event: events.Event) -> None:
        ended.append(event)

    events.bus.subscribe(events.MembershipEnded, record)
    # When an admin suspends him
    await users.suspend_actor(admin, bob, "harassment")
    # Then his post is removed, his membership ended (with its event), and it is audited
    assert (await Post.get(id=post.id)).state == PostState.REMOVED
    assert not await Membership.filter(actor=bob).exists()
    assert ended == [events.MembershipEnded(group.id, bob.id, "")]
    assert (await Actor.get(id=bob.id)).suspended_at is not None
    entry = await AuditEntry.get(action="user.suspend")
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "actor",
        bob.id,
        "@bob@remote.example",
    )


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("self", Forbidden),
        ("not_admin", Forbidden),
        ("empty_reason", Invalid),
        ("group", Forbidden),
    ],
)
async def test_suspend_actor__refusals_change_nothing(case: str, error: type[Exception]) -> None:
    # Given an admin, a member and a group
    admin = await _admin()
    ben, group, thread, _ = await _member_with_posts()
    by, target, reason = admin, ben.actor, "spam"
    if case == "self":
        target = admin
    elif case == "not_admin":
        by = (await make_account("eve")).actor
    elif case == "empty_reason":
        reason = "   "
    elif case == "group":
        target = await Actor.get(id=group.actor_id)
    # When the suspension is refused
    with pytest.raises(error):
        await users.suspend_actor(by, target, reason)
    # Then nothing changed
    assert not await Actor.filter(suspended_at__isnull=False).exists()
    assert (await Post.get(id=thread.id)).state == PostState.PUBLISHED
    assert not await AuditEntry.filter(action="user.suspend").exists()


async def test_suspend_actor__twice_is_a_conflict() -> None:
    admin = await _admin()
    ben = await make_account("ben")
    await users.suspend_actor(admin, ben.actor, "spam")
    with pytest.raises(Conflict):
        await users.suspend_actor(admin, await Actor.get(id=ben.actor_id), "again")
    assert await AuditEntry.filter(action="user.suspend").count() == 1


async def test_unsuspend_actor__restores_account_and_its_own_removals_only() -> None:
    # Given a suspended member, and a post of his a moderator had removed for another reason
    admin = await _admin()
    ben, group, thread, _ = await _member_with_posts()
    other = await make_post_row(
        ben, group, title="Off topic", state=PostState.REMOVED, removal_reason="off topic"
    )
    await users.suspend_actor(admin, ben.actor, "spam")
    # When the suspension is lifted
    await users.unsuspend_actor(admin, await Actor.get(id=ben.actor_id))
    # Then he can log in, the thread is back, and the moderator's removal stands
    stored = await Account.get(id=ben.id).select_related("actor")
    assert (stored.state, stored.actor.suspended_at) == (AccountState.ACTIVE, None)
    assert (await accounts.authenticate("ben", PASSWORD)).id == ben.id
    restored = await Post.get(id=thread.id)
    assert (restored.state, restored.removal_reason) == (PostState.PUBLISHED, "")
    assert (await Post.get(id=other.id)).state == PostState.REMOVED
    assert (await Group.get(id=group.id)).post_count == 1
    assert await AuditEntry.filter(action="user.unsuspend", target_id=ben.id).exists()
    # And lifting it again is a conflict
    with pytest.raises(Conflict):
        await users.unsuspend_actor(admin, await Actor.get(id=ben.actor_id))


# --- deletion ---------------------------------------------------------------------------------


async def test_delete_account__wipes_data_posts_and_memberships() -> None:
    # Given a member with posts, a pending reset and an avatar name
    admin = await _admin()
    ben, group, thread, held = await _member_with_posts()
    await Actor.filter(id=ben.actor_id).update(summary_html="<p>bio</p>", avatar_path="x.webp")
    await accounts.start_password_reset(ben.email)
    await sessions.start_session(ben, lifetime=timedelta(days=30))
    published: list[events.Event] = []

    async def record(event: events.Event) -> None:
        published.append(event)

    events.bus.subscribe(events.ActorDeleted, record)
    events.bus.subscribe(events.PostDeleted, record)
    # When an admin deletes the account
    await users.delete_account(admin, ben, "asked to leave")
    # Then the personal data is gone and nobody can log in as him
    stored = await Account.get(id=ben.id).select_related("actor")
    assert stored.state == AccountState.DELETED
    assert stored.email != ben.email and stored.email.endswith(".invalid")
    assert stored.bio_source == ""
    actor = stored.actor
    assert (actor.display_name, actor.summary_html, actor.avatar_path) == ("", "", "")
    assert actor.deleted_at is not None and actor.private_key_pem  # the key signs the Delete
    with pytest.raises(Forbidden):
        await accounts.authenticate("ben", PASSWORD)
    assert not await PasswordReset.filter(account_id=ben.id).exists()
    assert not await Session.filter(account_id=ben.id).exists()
    # And his posts are deleted and emptied, and his memberships ended
    for post_id in (thread.id, held.id):
        post = await Post.get(id=post_id)
        assert (post.state, post.source, post.content_html) == (PostState.DELETED, "", "")
    assert not await Membership.filter(actor_id=ben.actor_id).exists()
    assert (await Group.get(id=group.id)).member_count == 1
    # And the Delete of the person was published first, then each post's
    assert published[0] == events.ActorDeleted(ben.actor_id)
    assert {e.post_id for e in published[1:] if isinstance(e, events.PostDeleted)} == {
        thread.id,
        held.id,
    }
    entry = await AuditEntry.get(action="user.delete")
    assert (entry.target_id, entry.target_label, entry.reason) == (ben.id, "@ben", "asked to leave")


async def test_delete_account__refused_for_group_owners_self_and_without_reason() -> None:
    admin_account = await make_account("olga", admin=True)
    admin = admin_account.actor
    ada = await make_account("ada")
    await make_group(ada, "physics")
    with pytest.raises(Conflict, match="physics"):
        await users.delete_account(admin, ada, "spam")
    with pytest.raises(Forbidden):
        await users.delete_account(admin, admin_account, "bye")
    ben = await make_account("ben")
    with pytest.raises(Invalid):
        await users.delete_account(admin, ben, "")
    assert not await Account.filter(state=AccountState.DELETED).exists()
    assert not await AuditEntry.filter(action="user.delete").exists()


# --- roles and password resets ----------------------------------------------------------------


async def test_set_role__promotes_and_demotes_but_not_oneself() -> None:
    admin_account = await make_account("olga", admin=True)
    ben = await make_account("ben")
    await users.set_role(admin_account.actor, ben, Role.ADMIN)
    assert (await Account.get(id=ben.id)).role == Role.ADMIN
    await users.set_role(admin_account.actor, ben, "member")
    assert (await Account.get(id=ben.id)).role == Role.MEMBER
    with pytest.raises(Forbidden):
        await users.set_role(admin_account.actor, admin_account, Role.MEMBER)
    with pytest.raises(Invalid):
        await users.set_role(admin_account.actor, ben, "owner")
    with pytest.raises(Conflict):
        await users.set_role(admin_account.actor, ben, Role.MEMBER)
    reasons = (
        await AuditEntry.filter(action="user.role")
        .order_by("created_at")
        .values_list("reason", flat=True)
    )
    assert list(reasons) == ["now admin", "now member"]


async def test_start_password_reset__makes_a_token_and_audits() -> None:
    admin = await _admin()
    ben = await make_account("ben")
    token = await users.start_password_reset(admin, ben)
    await accounts.check_reset_token(token)
    assert await AuditEntry.filter(action="user.password_reset", target_id=ben.id).exists()


# --- finding people ---------------------------------------------------------------------------


async def test_search_users__by_text_state_role_and_scope() -> None:
    admin = await _admin()
    ben = await make_account("ben", display_name="Ben Franklin")
    await make_account("carla")
    await make_remote_actor("bob", "remote.example")
    await users.suspend_actor(admin, ben.actor, "spam")

    async def handles(**query: str) -> list[str]:
        page = await search_users(UserQuery(**query))
        return sorted(row.actor.username for row in page.items)

    assert await handles(text="franklin") == ["ben"]
    assert await handles(text="carla@example.org") == ["carla"]
    assert await handles(state="suspended") == ["ben"]
    assert await handles(role="admin") == ["olga"]
    assert await handles(scope="remote") == ["bob"]
    assert await handles(scope="remote", text="@bob@remote.example") == ["bob"]
    assert await handles(scope="remote", state="suspended") == []
    with pytest.raises(Invalid):
        await search_users(UserQuery(scope="remote", role="admin"))
    with pytest.raises(Invalid):
        await search_users(UserQuery(state="sleeping"))


async def test_search_users__pages_newest_first_without_repeats() -> None:
    for name in ("ann", "bea", "cid", "dot", "eve"):
        await make_account(name)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await search_users(UserQuery(cursor=cursor), limit=2)
        seen += [row.actor.username for row in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["eve", "dot", "cid", "bea", "ann"]
