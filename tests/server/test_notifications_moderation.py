"""Moderation notifications: reports and their outcome, held posts, sign-ups waiting; and that
a notification about a post the recipient may no longer open is neither listed nor counted."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from server import events
from server.models import (
    Account,
    GroupState,
    MemberRole,
    Membership,
    Notification,
    NotificationKind,
    Post,
    PostState,
    RegistrationMode,
)
from server.services import (
    accounts,
    bans,
    domain_blocks,
    groups,
    holds,
    instance,
    moderation,
    notifications,
    remote,
    reports,
)
from server.services.errors import NotFound
from tests.helpers import (
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_remote_actor,
    make_reply,
)


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    notifications.register(events.bus)


@dataclass
class World:
    owner: Account
    moderator: Account
    author: Account
    reporter: Account
    admin: Account
    group: groups.Group
    post: Post


@pytest.fixture
async def world(database: None) -> World:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    moderator, author, reporter = [await make_account(n) for n in ("mo", "bob", "cy")]
    for account in (moderator, author, reporter):
        await join_as_member(group, account)
    await Membership.filter(group=group, actor_id=moderator.actor_id).update(
        role=MemberRole.MODERATOR
    )
    post = await make_post(author, group, title="Buy cheap pills")
    admin = await make_account("eve", admin=True)
    return World(owner, moderator, author, reporter, admin, group, post)


async def notes(account: Account) -> list[Notification]:
    return list(await Notification.filter(recipient=account).order_by("created_at", "id"))


async def kinds(account: Account) -> list[NotificationKind]:
    return [n.kind for n in await notes(account)]


# --- reports -----------------------------------------------------------------------------------


async def test_report_filed__about_a_post_notifies_the_group_moderators_only(world: World) -> None:
    # When a member reports a post in the group
    report = await reports.file_report(
        world.reporter.actor, post=world.post, target_actor=None, comment="Spam, clearly"
    )
    # Then the owner and the moderator are told, with the report, the post and the comment
    for moderator in (world.owner, world.moderator):
        [note] = await notes(moderator)
        assert (note.kind, note.report_id, note.post_id, note.text) == (  # type: ignore[attr-defined]
            NotificationKind.REPORT_FILED,
            report.id,
            world.post.id,
            "Spam, clearly",
        )
        assert note.actor_id == world.reporter.actor_id  # type: ignore[attr-defined]
    # And neither the admin (not a moderator there), the author nor the reporter
    for other in (world.admin, world.author, world.reporter):
        assert await kinds(other) == []


async def test_report_filed__about_a_person_notifies_the_admins(world: World) -> None:
    await reports.file_report(
        world.reporter.actor, post=None, target_actor=world.author.actor, comment="Rude"
    )
    assert await kinds(world.admin) == [NotificationKind.REPORT_FILED]
    assert await kinds(world.owner) == []


async def test_report_filed__the_reported_moderator_is_not_told(world: World) -> None:
    # Given a post by the moderator
    post = await make_post(world.moderator, world.group, title="Mine")
    # When it is reported
    await reports.file_report(world.reporter.actor, post=post, target_actor=None, comment="Bad")
    # Then the owner hears of it, the reported moderator does not
    assert await kinds(world.owner) == [NotificationKind.REPORT_FILED]
    assert await kinds(world.moderator) == []


async def test_report_filed__a_flag_from_another_server_notifies_too(world: World) -> None:
    # Given a person elsewhere
    stranger = await make_remote_actor("zed", "remote.example")
    # When their server sends a Flag about the post (the inbox calls this service)
    await remote.receive_report(
        stranger, ap_id="https://remote.example/flags/1", comment="Spam", post=world.post
    )
    # Then the group's moderators are told; the same Flag again notifies nobody twice
    await remote.receive_report(
        stranger, ap_id="https://remote.example/flags/1", comment="Spam", post=world.post
    )
    assert await kinds(world.moderator) == [NotificationKind.REPORT_FILED]


async def test_report_resolved__removal_tells_the_reporter_and_the_author(world: World) -> None:
    # Given a report
    report = await reports.file_report(
        world.reporter.actor, post=world.post, target_actor=None, comment="Spam"
    )
    # When a moderator removes the post with a reason
    await reports.resolve_report(
        world.moderator.actor, report, reports.ReportAction.REMOVE_POST, "Advertising"
    )
    # Then the reporter hears the outcome, linked to their report
    [outcome] = await notes(world.reporter)
    assert outcome.kind == NotificationKind.REPORT_OUTCOME
    assert outcome.report_id == report.id  # type: ignore[attr-defined]
    assert outcome.text == "The moderators removed the post."
    # And the author hears of the removal and why, without a link to the post or the report
    [removed] = await notes(world.author)
    assert removed.kind == NotificationKind.CONTENT_REMOVED
    assert removed.text == "“Buy cheap pills”: Advertising"
    assert (removed.post_id, removed.report_id) == (None, None)  # type: ignore[attr-defined]
    # And the moderator who acted hears nothing of their own doing
    assert NotificationKind.REPORT_OUTCOME not in await kinds(world.moderator)


async def test_post_removed__without_a_report_the_author_hears_why(world: World) -> None:
    # When a moderator removes a post directly, with a reason
    await moderation.remove_post(world.moderator.actor, world.post, "Off topic")
    # Then its author hears of it and why, without a link to what they can no longer open
    [removed] = await notes(world.author)
    assert (removed.kind, removed.text) == (
        NotificationKind.CONTENT_REMOVED,
        "“Buy cheap pills”: Off topic",
    )
    assert removed.post_id is None  # type: ignore[attr-defined]


async def test_post_removed__by_its_own_author_as_moderator_tells_nobody(world: World) -> None:
    own = await make_post(world.moderator, world.group, title="My own slip")
    await moderation.remove_post(world.moderator.actor, own, "Wrong group")
    assert await kinds(world.moderator) == []


async def test_ban_removing_posts__the_author_is_not_told_post_by_post(world: World) -> None:
    await make_post(world.author, world.group, title="More pills")
    await bans.ban(world.owner.actor, world.group, world.author.actor, "Spam", remove_posts=True)
    assert await Post.filter(author_id=world.author.actor_id, state=PostState.REMOVED).count() == 2
    assert NotificationKind.CONTENT_REMOVED not in await kinds(world.author)


async def test_report_resolved__dismissal_tells_the_reporter_only(world: World) -> None:
    report = await reports.file_report(
        world.reporter.actor, post=world.post, target_actor=None, comment="Spam"
    )
    await reports.resolve_report(world.owner.actor, report, reports.ReportAction.DISMISS)
    assert await kinds(world.reporter) == [NotificationKind.REPORT_OUTCOME]
    assert await kinds(world.author) == []


async def test_report_resolved__a_ban_is_told_to_the_author(world: World) -> None:
    report = await reports.file_report(
        world.reporter.actor, post=world.post, target_actor=None, comment="Spam"
    )
    await reports.resolve_report(world.owner.actor, report, reports.ReportAction.BAN_AUTHOR)
    [ban] = await notes(world.author)
    assert (ban.kind, ban.report_id) == (NotificationKind.REPORT_OUTCOME, None)  # type: ignore[attr-defined]


async def test_report_resolved__a_remote_reporter_is_not_notified_here(world: World) -> None:
    stranger = await make_remote_actor("zed", "remote.example")
    report = await remote.receive_report(
        stranger, ap_id="https://remote.example/flags/2", comment="Spam", post=world.post
    )
    before = await Notification.all().count()
    await reports.resolve_report(world.owner.actor, report, reports.ReportAction.DISMISS)
    assert await Notification.all().count() == before


# --- held posts --------------------------------------------------------------------------------


async def held_world(world: World) -> Post:
    world.group.hold_first_posts = True
    await world.group.save(update_fields=["hold_first_posts"])
    newcomer = await make_account("nel")
    await join_as_member(world.group, newcomer)
    return await make_post(newcomer, world.group, title="My first post")


async def test_post_held__tells_the_moderators_and_the_author_why(world: World) -> None:
    # Given a group that holds first posts, when a newcomer posts
    post = await held_world(world)
    # Then each moderator is told a post waits, and its author why
    why = holds.explain(holds.FIRST_POST)
    for moderator in (world.owner, world.moderator):
        [note] = await notes(moderator)
        assert (note.kind, note.post_id, note.text) == (NotificationKind.POST_HELD, post.id, why)  # type: ignore[attr-defined]
    author = await Account.get(actor_id=post.author_id)  # type: ignore[attr-defined]
    [told] = await notes(author)
    assert (told.kind, told.post_id, told.text) == (  # type: ignore[attr-defined]
        NotificationKind.HELD_FOR_REVIEW,
        post.id,
        why,
    )
    assert told.actor_id is None  # type: ignore[attr-defined]


async def test_post_held__both_can_see_it_in_their_list_though_no_feed_lists_it(
    world: World,
) -> None:
    post = await held_world(world)
    author = await Account.get(actor_id=post.author_id)  # type: ignore[attr-defined]
    for account in (author, world.moderator):
        listed = await notifications.list_notifications(account)
        assert [n.post_id for n in listed.items] == [post.id]  # type: ignore[attr-defined]
        assert await notifications.unread_count(account) == 1


async def test_post_held__a_demoted_moderator_no_longer_sees_it(world: World) -> None:
    # Given a held post the moderator was told of
    await held_world(world)
    # When they stop being a moderator
    await Membership.filter(group=world.group, actor_id=world.moderator.actor_id).update(
        role=MemberRole.MEMBER
    )
    # Then the notification about a post they may not open is neither listed nor counted
    assert (await notifications.list_notifications(world.moderator)).items == []
    assert await notifications.unread_count(world.moderator) == 0


async def test_unread_count__an_admin_counts_what_their_list_shows(world: World) -> None:
    # Given an admin, in no group, told of a post held in a group hosted here (admins review
    # every hosted group's held posts, so they may open it)
    post = await held_world(world)
    await Notification.create(
        recipient=world.admin, kind=NotificationKind.POST_HELD, group=world.group, post=post
    )
    # Then the header's count is the number their list shows
    listed = await notifications.list_notifications(world.admin)
    assert [n.post_id for n in listed.items] == [post.id]  # type: ignore[attr-defined]
    assert await notifications.unread_count(world.admin) == 1


async def test_held_post_approved__tells_the_author(world: World) -> None:
    post = await held_world(world)
    await moderation.approve_held_post(world.moderator.actor, post)
    author = await Account.get(actor_id=post.author_id)  # type: ignore[attr-defined]
    assert await kinds(author) == [NotificationKind.HELD_FOR_REVIEW, NotificationKind.HELD_APPROVED]


async def test_held_post_rejected__tells_the_author_what_and_why(world: World) -> None:
    post = await held_world(world)
    await moderation.reject_held_post(world.moderator.actor, post, "Off topic")
    author = await Account.get(actor_id=post.author_id)  # type: ignore[attr-defined]
    rejected = (await notes(author))[-1]
    assert rejected.kind == NotificationKind.HELD_REJECTED
    assert rejected.text == "“My first post”: Off topic"
    # And the earlier notifications about the post, now removed, are no longer shown
    listed = await notifications.list_notifications(author)
    assert [n.kind for n in listed.items] == [NotificationKind.HELD_REJECTED]
    moderator_list = await notifications.list_notifications(world.moderator)
    assert moderator_list.items == []


async def test_post_held__the_limited_domain_reason_is_explained() -> None:
    assert holds.LIMITED_DOMAIN == domain_blocks.LIMITED_REASON
    assert holds.explain(domain_blocks.LIMITED_REASON) != holds.explain("something else")


# --- sign-ups ----------------------------------------------------------------------------------


async def test_signup_waiting__tells_every_active_admin(database: None) -> None:
    admin = await make_account("grace", admin=True)
    other_admin = await make_account("hopper", admin=True)
    member = await make_account("linus")
    await instance.set_registration_mode(RegistrationMode.APPROVAL)
    pending = await accounts.sign_up(
        accounts.SignUp(
            username="ada",
            email="ada@example.org",
            password="correct horse battery",
            reason="I teach physics",
        )
    )
    for account in (admin, other_admin):
        [note] = await notes(account)
        assert (note.kind, note.actor_id, note.text) == (  # type: ignore[attr-defined]
            NotificationKind.SIGNUP_WAITING,
            pending.actor_id,
            "I teach physics",
        )
    assert await kinds(member) == []


async def test_signup__open_mode_tells_nobody(database: None) -> None:
    admin = await make_account("grace", admin=True)
    await accounts.sign_up(
        accounts.SignUp(username="ada", email="ada@example.org", password="correct horse battery")
    )
    assert await kinds(admin) == []


# --- the read policy ---------------------------------------------------------------------------


async def test_list__hides_notifications_about_posts_no_longer_readable(world: World) -> None:
    # Given a reply notification to the author
    await make_reply(world.reporter, world.post)
    assert await notifications.unread_count(world.author) == 1
    # When the group is suspended
    await groups.Group.filter(id=world.group.id).update(state=GroupState.SUSPENDED)
    # Then it is neither listed nor counted
    assert (await notifications.list_notifications(world.author)).items == []
    assert await notifications.unread_count(world.author) == 0


async def test_open_notification__marks_it_read_and_refuses_others_ids(world: World) -> None:
    await make_reply(world.reporter, world.post)
    [note] = await notes(world.author)
    with pytest.raises(NotFound):
        await notifications.open_notification(world.reporter, note.id)
    opened = await notifications.open_notification(world.author, note.id)
    assert opened.read_at is not None
    assert await notifications.unread_count(world.author) == 0
