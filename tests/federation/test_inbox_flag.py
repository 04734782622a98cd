"""`Flag`: reports from other servers (federation/inbox/flag.py)."""

from __future__ import annotations

from starlette.applications import Starlette

from server.models import Notification, NotificationKind, Report
from tests.federation._inbox_peer import (
    RemotePeer,
    build_activity,
    build_note,
    deliver,
    group_url,
    join,
)
from tests.helpers import join_as_member, make_account, make_group, make_post


async def test_handle_flag__mastodon_array_reports_the_account_and_post(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a remote member's post in a group, and a moderator elsewhere
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    note = build_note(bob, cc=group_url("physics"))
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    mod = peer.add_actor("mod", kind="Application")
    # When their instance sends a Flag with the account and the post, comment in `content`
    flag = build_activity(mod, "Flag", [bob.id, note["id"]], content="Spam, please look")
    assert await deliver(app, peer, flag, mod) == ""
    # Then one report lands in the group's queue
    report = await Report.get(ap_id=flag["id"]).prefetch_related("target_actor", "post")
    assert report.comment == "Spam, please look"
    assert (report.group_id, report.origin_domain) == (group.id, "remote.example")  # type: ignore[attr-defined]
    assert report.target_actor is not None and report.target_actor.ap_id == bob.id
    assert report.post is not None and report.post.ap_id == note["id"]


async def test_handle_flag__lemmy_single_object_with_summary(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a thread written here
    ada = await make_account("ada")
    thread = await make_post(ada, await make_group(ada, "physics"))
    alice = peer.add_actor("alice")
    # When a Lemmy user reports it (one object, the comment in `summary`)
    flag = build_activity(alice, "Flag", f"http://lyceum.test/p/{thread.id}", summary="off topic")
    assert await deliver(app, peer, flag, alice) == ""
    # Then the report names the post and its author
    report = await Report.get(ap_id=flag["id"])
    assert (report.comment, report.post_id, report.target_actor_id) == (  # type: ignore[attr-defined]
        "off topic",
        thread.id,
        ada.actor_id,
    )


async def test_handle_flag__naming_nothing_of_ours_is_dropped(
    app: Starlette, peer: RemotePeer
) -> None:
    alice = peer.add_actor("alice")
    flag = build_activity(alice, "Flag", ["https://x.example/u/1"], content="?")
    assert await deliver(app, peer, flag, alice) == "the report names nothing on this instance"
    assert await Report.all().count() == 0


async def test_handle_flag__a_forwarded_report_lands_in_the_groups_queue(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a remote member's post in a group here
    group = await make_group(await make_account("ada"), "physics")
    bob = peer.add_actor("bob")
    await join(app, peer, bob, "physics")
    note = build_note(bob, cc=group_url("physics"))
    assert await deliver(app, peer, build_activity(bob, "Create", note), bob) == ""
    # When another server's instance actor forwards its member's report, as Lyceum sends it
    # (one object, addressed to the group, the comment in summary and content)
    instance = peer.add_actor("instance", kind="Application")
    flag = build_activity(
        instance,
        "Flag",
        note["id"],
        to=[group_url("physics")],
        summary="Spam bot",
        content="Spam bot",
    )
    assert await deliver(app, peer, flag, instance) == ""
    # Then it is in the group's queue, about the post and its author, from that server
    report = await Report.get(ap_id=flag["id"]).prefetch_related("post", "target_actor")
    assert report.group_id == group.id  # type: ignore[attr-defined]
    assert report.post is not None and report.post.ap_id == note["id"]
    assert report.target_actor is not None and report.target_actor.ap_id == bob.id
    assert (report.comment, report.origin_domain) == ("Spam bot", "remote.example")


async def test_handle_flag__notifies_the_groups_moderators_as_a_local_report_does(
    app: Starlette, peer: RemotePeer
) -> None:
    # Given a member's thread in a group here
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    ben = await make_account("ben")
    await join_as_member(group, ben)
    thread = await make_post(ben, group)
    alice = peer.add_actor("alice")
    # When a remote user reports it with a Flag
    flag = build_activity(alice, "Flag", f"http://lyceum.test/p/{thread.id}", summary="off topic")
    assert await deliver(app, peer, flag, alice) == ""
    # Then the group's owner is told, naming the report and the post; the author is not
    report = await Report.get(ap_id=flag["id"])
    [note] = await Notification.filter(recipient=ada)
    assert (note.kind, note.report_id, note.post_id) == (  # type: ignore[attr-defined]
        NotificationKind.REPORT_FILED,
        report.id,
        thread.id,
    )
    assert await Notification.filter(recipient=ben).count() == 0
