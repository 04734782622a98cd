"""The groups services: creating and editing groups, the shared handle namespace, topics, the
directory query and the member lists."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from server.models import (
    Actor,
    AuditEntry,
    Group,
    GroupState,
    GroupTopic,
    JoinPolicy,
    MemberRole,
    Membership,
    MembershipState,
    Topic,
)
from server.services import directory, groups, members
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.groups import GroupForm, parse_topics
from tests.helpers import make_account, make_group

pytestmark = pytest.mark.usefixtures("database")


def png(width: int = 20, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def files_in(directory: Path) -> list[str]:
    return [path.name for path in directory.iterdir()] if directory.exists() else []


# --- the handle namespace shared with people ---------------------------------------------------


async def test_create_group__handle_of_a_person_is_refused() -> None:
    # Given a person called ada
    ada = await make_account("ada")
    # When someone tries to start a group with the handle "Ada"
    with pytest.raises(Conflict):
        await make_group(ada, "Ada")
    # Then no group (and no second actor) was stored
    assert await Group.all().count() == 0
    assert await Actor.filter(username="ada").count() == 1


async def test_create_account__handle_of_a_group_is_refused() -> None:
    # Given a group called rustaceans
    owner = await make_account("olga")
    await make_group(owner, "rustaceans")
    # When a person tries to sign up as rustaceans
    with pytest.raises(Conflict):
        await make_account("rustaceans")
    # Then the name still belongs to the group only
    actors = await Actor.filter(username="rustaceans")
    assert [actor.kind.value for actor in actors] == ["group"]


@pytest.mark.parametrize("handle", ["admin", "groups", "inbox", "well_known"])
async def test_create_group__reserved_handle_is_invalid(handle: str) -> None:
    owner = await make_account("olga")
    with pytest.raises(Invalid) as raised:
        await make_group(owner, handle)
    assert "reserved" in raised.value.errors["handle"]
    assert await Group.all().count() == 0


@pytest.mark.parametrize("handle", ["a", "has space", "dash-ed", "é", "x" * 31])
async def test_create_group__malformed_handle_is_invalid(handle: str) -> None:
    owner = await make_account("olga")
    with pytest.raises(Invalid) as raised:
        await make_group(owner, handle)
    assert "handle" in raised.value.errors
    assert await Group.all().count() == 0


async def test_create_group__reports_every_problem_at_once() -> None:
    owner = await make_account("olga")
    form = GroupForm(handle="n", name=" ", topics=tuple(f"t{i}" for i in range(9)))
    with pytest.raises(Invalid) as raised:
        await groups.create_group(owner, form)
    assert set(raised.value.errors) == {"handle", "name", "topics"}


# --- creating -------------------------------------------------------------------------------


async def test_create_group__owner_is_its_accepted_owner_and_topics_are_stored() -> None:
    # Given a person
    owner = await make_account("olga")
    # When they start an approval group with topics and Markdown rules
    group = await make_group(
        owner,
        "Rust_Learners",
        name="Rust learners",
        rules="Be **kind**",
        topics=parse_topics("Rust, systems, rust"),
        join_policy=JoinPolicy.APPROVAL,
    )
    # Then it is active, has them as owner, counts one member and has its topics
    assert group.state == GroupState.ACTIVE
    assert group.member_count == 1
    assert "<strong>kind</strong>" in group.rules_html
    membership = await Membership.get(group=group)
    assert (membership.actor_id, membership.role, membership.state) == (
        owner.actor_id,
        MemberRole.OWNER,
        MembershipState.ACCEPTED,
    )
    assert await groups.topics_of(group) == ["rust", "systems"]
    assert (await groups.get_group("rust_learners")).id == group.id


async def test_create_group__stores_avatar_and_banner(settings_media: Path) -> None:
    owner = await make_account("olga")
    group = await groups.create_group(
        owner,
        GroupForm(handle="pics", name="Pics"),
        media_dir=settings_media,
        avatar=png(),
        banner=png(300, 100),
    )
    actor = await Actor.get(id=group.actor_id)
    assert sorted(files_in(settings_media)) == sorted([actor.avatar_path, group.banner_path])


async def test_create_group__bad_image_stores_nothing(settings_media: Path) -> None:
    # Given a person and a good avatar but a banner that is no image
    owner = await make_account("olga")
    # When they create a group with both
    with pytest.raises(Invalid) as raised:
        await groups.create_group(
            owner,
            GroupForm(handle="pics", name="Pics"),
            media_dir=settings_media,
            avatar=png(),
            banner=b"<svg></svg>",
        )
    # Then the banner field is blamed, and neither the group nor any file was kept
    assert set(raised.value.errors) == {"banner"}
    assert await Group.all().count() == 0
    assert files_in(settings_media) == []


async def test_create_group__taken_handle_keeps_no_uploaded_file(settings_media: Path) -> None:
    owner = await make_account("olga")
    with pytest.raises(Conflict):
        await groups.create_group(
            owner, GroupForm(handle="olga", name="X"), media_dir=settings_media, avatar=png()
        )
    assert files_in(settings_media) == []


# --- topics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("Python", ("python",)),
        (" python ,  Data   Science,#ml, ,python", ("python", "data science", "ml")),
        (",,,", ()),
    ],
)
def test_parse_topics__trims_lowercases_and_deduplicates(
    text: str, expected: tuple[str, ...]
) -> None:
    assert parse_topics(text) == expected


async def test_create_group__too_long_topic_is_invalid() -> None:
    owner = await make_account("olga")
    with pytest.raises(Invalid) as raised:
        await make_group(owner, "topical", topics=("x" * 41,))
    assert "topics" in raised.value.errors
    assert await Topic.all().count() == 0


# --- updating --------------------------------------------------------------------------------


async def test_update_group__replaces_banner_and_deletes_the_old_file(
    settings_media: Path,
) -> None:
    owner = await make_account("olga")
    group = await groups.create_group(
        owner, GroupForm(handle="pics", name="Pics"), media_dir=settings_media, banner=png()
    )
    old = group.banner_path
    await groups.update_group(
        group,
        GroupForm(handle="ignored", name="New name", topics=("art",)),
        media_dir=settings_media,
        banner=png(),
    )
    stored = await Group.get(id=group.id).select_related("actor")
    assert stored.banner_path != old
    assert files_in(settings_media) == [stored.banner_path]
    assert (stored.actor.display_name, stored.actor.username) == ("New name", "pics")
    assert await groups.topics_of(stored) == ["art"]


async def test_update_group__invalid_input_changes_nothing() -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "stable", name="Stable", topics=("a",))
    with pytest.raises(Invalid):
        await groups.update_group(group, GroupForm(handle="stable", name="", topics=("b",)))
    stored = await Group.get(id=group.id).select_related("actor")
    assert stored.actor.display_name == "Stable"
    assert await groups.topics_of(stored) == ["a"]


# --- the directory ---------------------------------------------------------------------------


async def _set_last_post(group: Group, days_ago: int) -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC) - timedelta(days=days_ago)
    await Group.filter(id=group.id).update(last_post_at=at)


async def test_search_groups__matches_name_handle_and_description_case_insensitively() -> None:
    owner = await make_account("olga")
    by_name = await make_group(owner, "one", name="Learning RUST")
    by_handle = await make_group(owner, "rust_club", name="Club")
    by_text = await make_group(owner, "three", name="Three", description="We write rust daily")
    await make_group(owner, "other", name="Knitting")
    found = await directory.search_groups("rust")
    assert {entry.group.id for entry in found.entries} == {by_name.id, by_handle.id, by_text.id}
    assert found.total == 3


async def test_search_groups__like_wildcards_are_literal() -> None:
    owner = await make_account("olga")
    await make_group(owner, "plain", name="Plain")
    assert (await directory.search_groups("%")).total == 0
    assert (await directory.search_groups("_")).total == 0


async def test_search_groups__filters_by_topic_and_lists_topics() -> None:
    owner = await make_account("olga")
    python = await make_group(owner, "py", topics=("python", "data"))
    await make_group(owner, "rs", topics=("rust",))
    await make_group(owner, "ds", topics=("data",))
    found = await directory.search_groups(topic="Python")
    assert [entry.group.id for entry in found.entries] == [python.id]
    assert found.entries[0].topics == ["data", "python"]
    counts = await directory.topic_counts()
    assert [(t.name, t.count) for t in counts] == [("data", 2), ("python", 1), ("rust", 1)]


async def test_search_groups__orders_by_activity_then_members_and_pages() -> None:
    # Given groups with different last posts and sizes
    owner = await make_account("olga")
    quiet = await make_group(owner, "quiet")
    old = await make_group(owner, "old")
    recent = await make_group(owner, "recent")
    big = await make_group(owner, "big")
    await _set_last_post(old, days_ago=30)
    await _set_last_post(recent, days_ago=1)
    await _set_last_post(big, days_ago=1)
    await Group.filter(id=big.id).update(member_count=10)
    # Quiet has no posts: its creation counts as its activity (a moment in the past here)
    await Group.filter(id=quiet.id).update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    # When the directory is read two at a time
    first = await directory.search_groups(page_size=2)
    second = await directory.search_groups(page=2, page_size=2)
    # Then the most recently active come first, the bigger of a tie before the smaller
    assert [e.group.id for e in first.entries] == [big.id, recent.id]
    assert [e.group.id for e in second.entries] == [old.id, quiet.id]
    assert (first.has_next, first.has_previous, second.has_next) == (True, False, False)


async def test_search_groups__hides_groups_that_are_not_active() -> None:
    owner = await make_account("olga")
    hidden = await make_group(owner, "hidden", topics=("secret",))
    await Group.filter(id=hidden.id).update(state=GroupState.SUSPENDED)
    assert (await directory.search_groups()).total == 0
    assert await directory.topic_counts() == []


async def test_search_groups__too_long_query_is_invalid() -> None:
    with pytest.raises(Invalid) as raised:
        await directory.search_groups("x" * 101)
    assert "q" in raised.value.errors


# --- member lists and the request queue -------------------------------------------------------


async def test_staff_and_members__are_listed_apart() -> None:
    owner = await make_account("olga")
    mod = await make_account("mona")
    plain = await make_account("plain")
    group = await make_group(owner, "club")
    for account in (plain, mod):
        await groups.request_membership(group, await Actor.get(id=account.actor_id))
    await groups.set_role(group, owner.actor, mod.actor_id, MemberRole.MODERATOR)
    staff = await members.staff_of(group)
    assert [(m.actor.username, m.role) for m in staff] == [
        ("olga", MemberRole.OWNER),
        ("mona", MemberRole.MODERATOR),
    ]
    listing = await members.list_members(group)
    assert [m.actor.username for m in listing.members] == ["plain"]
    assert listing.total == 1


async def test_decide_request__by_a_non_moderator_is_forbidden() -> None:
    owner = await make_account("olga")
    asker = await make_account("asker")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    request = await groups.request_membership(group, await Actor.get(id=asker.actor_id))
    with pytest.raises(Forbidden):
        await members.decide_request(group, request.id, asker.actor, accept=True)
    assert (await Membership.get(id=request.id)).state == MembershipState.PENDING


async def test_decide_request__of_another_group_is_not_found() -> None:
    owner = await make_account("olga")
    asker = await make_account("asker")
    closed = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    other = await make_group(owner, "other")
    request = await groups.request_membership(closed, await Actor.get(id=asker.actor_id))
    with pytest.raises(NotFound):
        await members.decide_request(other, request.id, owner.actor, accept=True)
    assert (await Membership.get(id=request.id)).state == MembershipState.PENDING


async def test_decide_request__accepting_counts_the_member() -> None:
    owner = await make_account("olga")
    asker = await make_account("asker")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    request = await groups.request_membership(group, await Actor.get(id=asker.actor_id))
    assert [m.id for m in await members.pending_requests(group)] == [request.id]
    await members.decide_request(group, request.id, owner.actor, accept=True)
    assert (await Group.get(id=group.id)).member_count == 2
    assert await members.pending_requests(group) == []
    assert await GroupTopic.all().count() == 0


async def test_decide_request__each_decision_is_in_the_moderation_log() -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "closed", join_policy=JoinPolicy.APPROVAL)
    asker, spammer = await make_account("asker"), await make_account("spammer")
    welcome = await groups.request_membership(group, await Actor.get(id=asker.actor_id))
    refuse = await groups.request_membership(group, await Actor.get(id=spammer.actor_id))
    await members.decide_request(group, welcome.id, owner.actor, accept=True)
    await members.decide_request(group, refuse.id, owner.actor, accept=False)
    entries = await AuditEntry.filter(group=group).order_by("created_at")
    assert [(e.action, e.actor_id, e.target_id) for e in entries] == [
        ("member.accept", owner.actor_id, asker.actor_id),
        ("member.reject", owner.actor_id, spammer.actor_id),
    ]


@pytest.fixture
def settings_media(tmp_path: Path) -> Path:
    return tmp_path / "media-test"


@pytest.mark.parametrize("handle", ["x" * 65, "x@" + "h" * 256, "x" * 65 + "@remote.example"])
async def test_get_group__a_handle_longer_than_any_stored_is_not_found(handle: str) -> None:
    # Given a handle longer than a stored name or host can be, When a group is looked up by it
    # Then there is none (not an error from the ORM refusing the value)
    with pytest.raises(NotFound):
        await groups.get_group(handle, include_hidden=True)
