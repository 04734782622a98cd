"""The posts service: threads, replies, edits, deletion, answers, likes, pins and the readers."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest

from server import events
from server.models import (
    Account,
    AuditEntry,
    Group,
    Post,
    PostHashtag,
    PostingPolicy,
    PostKind,
    PostMention,
    PostState,
    Reaction,
)
from server.services import groups, posts
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.helpers import (
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_reply,
    record_events,
)

pytestmark = pytest.mark.usefixtures("database")


async def group_with_member(handle: str = "maths") -> tuple[Account, Account, Group]:
    owner = await make_account(f"{handle}owner")
    member = await make_account(f"{handle}member")
    group = await make_group(owner, handle)
    await join_as_member(group, member)
    return owner, member, group


async def set_activity(post: Post, minutes_ago: int) -> None:
    at = datetime(2020, 1, 1, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    await Post.filter(id=post.id).update(last_activity_at=at, created_at=at)


# --- create_post ---------------------------------------------------------------------------


async def test_create_post__stores_rendered_post_with_mentions_tags_and_counts() -> None:
    # Given a member, another local person and a group
    _, member, group = await group_with_member()
    await make_account("ada")
    created = record_events(events.PostCreated)
    # When the member writes a discussion mentioning @ada, @maths and @nobody with a #tag
    post = await posts.create_post(
        member, group, "discussion", "  Hello   all ", "Hi @ada and @maths, not @nobody #Algebra"
    )
    # Then it is stored rendered, with links for known actors and the hashtag
    assert post.title == "Hello all"
    assert post.kind == PostKind.DISCUSSION and post.state == PostState.PUBLISHED
    assert '<a href="/u/ada" class="mention"' in post.content_html
    assert '<a href="/g/maths" class="mention"' in post.content_html
    assert "@nobody" in post.content_html and 'href="/u/nobody"' not in post.content_html
    assert '<a href="/tags/algebra" class="hashtag"' in post.content_html
    assert await PostHashtag.filter(post=post).values_list("tag", flat=True) == ["algebra"]
    assert await PostMention.filter(post=post).count() == 2
    # And the group's counters moved, and PostCreated was published
    refreshed = await Group.get(id=group.id)
    assert refreshed.post_count == 1 and refreshed.last_post_at is not None
    assert created == [events.PostCreated(post.id)]


@pytest.mark.parametrize(
    ("kind", "title", "body", "link", "field"),
    [
        ("discussion", "   ", "body", "", "title"),
        ("discussion", "x" * 201, "body", "", "title"),
        ("discussion", "Title", "x" * 101, "", "body"),
        ("resource", "Title", "", "", "link_url"),
        ("resource", "Title", "", "javascript:alert(1)", "link_url"),
        ("resource", "Title", "", "ftp://example.org/file", "link_url"),
        ("resource", "Title", "", "https://[::1/unclosed", "link_url"),
        ("reply", "Title", "body", "", "kind"),
        ("poll", "Title", "body", "", "kind"),
    ],
)
async def test_create_post__bad_input_is_invalid_and_stores_nothing(
    kind: str, title: str, body: str, link: str, field: str
) -> None:
    # Given a member
    _, member, group = await group_with_member()
    # When they post something that breaks a rule
    with pytest.raises(Invalid) as raised:
        await posts.create_post(member, group, kind, title, body, link, max_chars=100)
    # Then the error names the field and nothing is stored
    assert field in raised.value.errors
    assert await Post.all().count() == 0
    assert (await Group.get(id=group.id)).post_count == 0


async def test_create_post__resource_keeps_its_link() -> None:
    _, member, group = await group_with_member()
    post = await posts.create_post(
        member, group, "resource", "SICP", "A classic", " https://example.org/sicp "
    )
    assert post.kind == PostKind.RESOURCE and post.link_url == "https://example.org/sicp"


async def test_create_post__non_member_is_forbidden() -> None:
    # Given a person who has not joined
    _, _, group = await group_with_member()
    stranger = await make_account("stranger")
    # When they post, Then it is refused and nothing is stored
    with pytest.raises(Forbidden):
        await make_post(stranger, group)
    assert await Post.all().count() == 0


async def test_create_post__moderators_only_group_refuses_members() -> None:
    owner = await make_account("boss")
    member = await make_account("reader")
    group = await make_group(owner, "news", posting_policy=PostingPolicy.MODERATORS)
    await join_as_member(group, member)
    with pytest.raises(Forbidden):
        await make_post(member, group)
    assert (await make_post(owner, group)).state == PostState.PUBLISHED


# --- replies -------------------------------------------------------------------------------


async def test_create_reply__nests_under_parent_and_bumps_the_thread() -> None:
    # Given a thread with a reply
    owner, member, group = await group_with_member()
    root = await make_post(owner, group)
    await set_activity(root, 60)
    first = await make_reply(member, root)
    # When someone replies to the reply
    second = await make_reply(owner, first, "Nested")
    # Then it points at its parent and root, one level deeper
    assert (second.parent_id, second.root_id, second.depth) == (first.id, root.id, 2)
    assert (first.parent_id, first.root_id, first.depth) == (root.id, root.id, 1)
    # And the root counts both replies and shows new activity
    refreshed = await Post.get(id=root.id)
    assert refreshed.reply_count == 2
    assert refreshed.last_activity_at is not None
    assert refreshed.last_activity_at > datetime(2020, 1, 1, tzinfo=UTC) - timedelta(minutes=60)
    # And the group still counts one thread
    assert (await Group.get(id=group.id)).post_count == 1


async def test_create_reply__non_member_and_empty_body_are_refused() -> None:
    owner, _, group = await group_with_member()
    root = await make_post(owner, group)
    stranger = await make_account("stranger")
    with pytest.raises(Forbidden):
        await make_reply(stranger, root)
    with pytest.raises(Invalid) as raised:
        await make_reply(owner, root, "   ")
    assert "body" in raised.value.errors
    assert await Post.filter(root_id=root.id).count() == 0


async def test_create_reply__to_a_deleted_post_is_not_found() -> None:
    owner, member, group = await group_with_member()
    root = await make_post(owner, group)
    await posts.delete_post(owner, root)
    with pytest.raises(NotFound):
        await make_reply(member, root)


# --- edit and delete -----------------------------------------------------------------------


async def test_edit_post__author_changes_content_and_it_is_marked_edited() -> None:
    # Given a post with a hashtag
    _, member, group = await group_with_member()
    post = await make_post(member, group, body="Old #first")
    edited = record_events(events.PostEdited)
    # When the author edits it
    await posts.edit_post(member, post, title="New title", source="New **bold** #second")
    # Then the content is re-rendered, tags replaced, and it is marked edited
    stored = await Post.get(id=post.id)
    assert stored.title == "New title" and "<strong>bold</strong>" in stored.content_html
    assert stored.edited_at is not None
    assert await PostHashtag.filter(post=post).values_list("tag", flat=True) == ["second"]
    assert edited == [events.PostEdited(post.id)]


async def test_edit_post__others_cannot_and_bad_input_changes_nothing() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(member, group, title="Keep", body="Keep")
    with pytest.raises(Forbidden):
        await posts.edit_post(owner, post, title="Hacked", source="Hacked")
    with pytest.raises(Invalid):
        await posts.edit_post(member, post, title="", source="New")
    stored = await Post.get(id=post.id)
    assert (stored.title, stored.source, stored.edited_at) == ("Keep", "Keep", None)


async def test_delete_post__clears_content_and_leaves_lists_but_replies_stay() -> None:
    # Given a thread with a reply that itself has a reply
    owner, member, group = await group_with_member()
    root = await make_post(owner, group, body="#tag text")
    middle = await make_reply(member, root, "Middle")
    leaf = await make_reply(owner, middle, "Leaf")
    deleted = record_events(events.PostDeleted)
    # When the middle reply's author deletes it
    await posts.delete_post(member, middle)
    # Then its content is gone, the thread keeps a placeholder for it, and the leaf stays
    stored = await Post.get(id=middle.id)
    assert stored.state == PostState.DELETED and stored.source == "" and stored.content_html == ""
    tree = await posts.thread(root)
    assert tree is not None
    assert [n.post.id for n in tree.children] == [middle.id]
    assert [n.post.id for n in tree.children[0].children] == [leaf.id]
    assert (await Post.get(id=root.id)).reply_count == 1
    assert deleted == [events.PostDeleted(middle.id)]
    # When the thread's author deletes the root
    await posts.delete_post(owner, root)
    # Then it leaves the group's list and the tag feed, and the group count drops
    assert (await posts.list_threads(group)).items == []
    assert (await posts.tag_feed("tag")).items == []
    assert (await Group.get(id=group.id)).post_count == 0


async def test_delete_post__moderator_may_and_is_audited_stranger_may_not() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(member, group)
    stranger = await make_account("stranger")
    await join_as_member(group, stranger)
    with pytest.raises(Forbidden):
        await posts.delete_post(stranger, post)
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED
    await posts.delete_post(owner, post)
    assert (await Post.get(id=post.id)).state == PostState.DELETED
    assert await AuditEntry.filter(action="post.delete", target_id=post.id).exists()


async def test_delete_post__a_lone_reply_disappears_from_the_thread() -> None:
    owner, member, group = await group_with_member()
    root = await make_post(owner, group)
    reply = await make_reply(member, root)
    await posts.delete_post(member, reply)
    tree = await posts.thread(root)
    assert tree is not None and tree.children == []
    await posts.delete_post(owner, root)
    assert await posts.thread(root) is None


# --- accepted answers ----------------------------------------------------------------------


async def test_accept_answer__asker_marks_replaces_and_toggles() -> None:
    # Given a question with two answers
    owner, asker, group = await group_with_member()
    question = await make_post(asker, group, kind="question", title="Why?")
    first = await make_reply(owner, question, "Because")
    second = await make_reply(owner, question, "Also because")
    accepted = record_events(events.AnswerAccepted)
    # When the asker accepts one, then the other, then that one again
    await posts.accept_answer(question, first, asker)
    assert (await Post.get(id=question.id)).accepted_answer_id == first.id
    await posts.accept_answer(question, second, asker)
    assert (await Post.get(id=question.id)).accepted_answer_id == second.id
    await posts.accept_answer(question, second, asker)
    # Then the last click un-marked it; events came for the two markings only
    assert (await Post.get(id=question.id)).accepted_answer_id is None
    assert [e.answer_id for e in accepted if isinstance(e, events.AnswerAccepted)] == [
        first.id,
        second.id,
    ]


async def test_accept_answer__stranger_forbidden_moderator_allowed() -> None:
    owner, asker, group = await group_with_member()
    question = await make_post(asker, group, kind="question")
    answer = await make_reply(owner, question)
    other = await make_account("other")
    await join_as_member(group, other)
    with pytest.raises(Forbidden):
        await posts.accept_answer(question, answer, other)
    assert (await Post.get(id=question.id)).accepted_answer_id is None
    await posts.accept_answer(question, answer, owner)
    assert (await Post.get(id=question.id)).accepted_answer_id == answer.id


async def test_accept_answer__reply_elsewhere_or_a_discussion_is_refused() -> None:
    owner, asker, group = await group_with_member()
    question = await make_post(asker, group, kind="question")
    discussion = await make_post(asker, group)
    elsewhere = await make_reply(owner, discussion)
    with pytest.raises(Invalid):
        await posts.accept_answer(question, elsewhere, asker)
    with pytest.raises(Conflict):
        await posts.accept_answer(discussion, elsewhere, asker)
    assert (await Post.get(id=question.id)).accepted_answer_id is None


async def test_accept_answer__deleting_the_answer_unmarks_it() -> None:
    owner, asker, group = await group_with_member()
    question = await make_post(asker, group, kind="question")
    answer = await make_reply(owner, question)
    await posts.accept_answer(question, answer, asker)
    await posts.delete_post(owner, answer)
    assert (await Post.get(id=question.id)).accepted_answer_id is None


# --- likes and pins ------------------------------------------------------------------------


async def test_like__counts_once_per_person_and_unlike_takes_it_back() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(owner, group)
    other = await make_account("other")
    await join_as_member(group, other)
    reacted, unreacted = record_events(events.PostReacted), record_events(events.PostUnreacted)
    await posts.like(member, post)
    await posts.like(member, post)
    await posts.like(other, post)
    assert (await Post.get(id=post.id)).like_count == 2
    assert await Reaction.filter(post=post).count() == 2
    assert len(reacted) == 2
    await posts.unlike(member, post)
    await posts.unlike(member, post)
    assert (await Post.get(id=post.id)).like_count == 1
    assert len(unreacted) == 1
    assert await posts.liked_post_ids(other.actor_id, [post.id]) == {post.id}


async def test_like__votes_made_at_the_same_moment_are_all_counted() -> None:
    # Given a thread, and five members voting on it at once (web likes and inbox votes run
    # in transactions of their own, side by side on PostgreSQL)
    owner, _, group = await group_with_member()
    post = await make_post(owner, group)
    voters = [await make_account(f"voter{n}") for n in range(5)]
    for voter in voters:
        await join_as_member(group, voter)
    # When they all like it together
    await asyncio.gather(*(posts.like(voter, post) for voter in voters))
    # Then no vote is lost from the count
    assert (await Post.get(id=post.id)).like_count == 5


async def test_like__non_member_is_forbidden() -> None:
    owner, _, group = await group_with_member()
    post = await make_post(owner, group)
    stranger = await make_account("stranger")
    with pytest.raises(Forbidden):
        await posts.like(stranger, post)
    assert await Reaction.all().count() == 0


async def test_pin_resource__moderators_only_and_threads_only() -> None:
    owner, member, group = await group_with_member()
    resource = await make_post(member, group, kind="resource", link_url="https://example.org")
    reply = await make_reply(member, resource)
    with pytest.raises(Forbidden):
        await posts.pin_resource(member, resource)
    with pytest.raises(Conflict):
        await posts.pin_resource(owner, reply)
    assert (await Post.get(id=resource.id)).pinned_at is None
    await posts.pin_resource(owner, resource)
    assert (await Post.get(id=resource.id)).pinned_at is not None
    await posts.unpin_resource(owner, resource)
    assert (await Post.get(id=resource.id)).pinned_at is None


# --- reading -------------------------------------------------------------------------------


async def test_list_threads__pages_by_activity_without_gaps_or_repeats() -> None:
    # Given five threads of known ages
    owner, _, group = await group_with_member()
    made = []
    for age in range(5):
        post = await make_post(owner, group, title=f"T{age}")
        await set_activity(post, age)
        made.append(post.id)
    # When reading two at a time
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        page = await posts.list_threads(group, cursor=cursor, limit=2)
        seen += [p.id for p in page.items]
        cursor = page.next_cursor
    # Then every thread comes once, newest activity first, and the last page has no cursor
    assert seen == made
    assert cursor is None


async def test_list_threads__filters_kind_and_unanswered_questions() -> None:
    owner, member, group = await group_with_member()
    discussion = await make_post(owner, group)
    open_question = await make_post(member, group, kind="question", title="Open")
    answered = await make_post(member, group, kind="question", title="Answered")
    answer = await make_reply(owner, answered)
    await posts.accept_answer(answered, answer, member)
    questions = await posts.list_threads(group, kind=PostKind.QUESTION)
    unanswered = await posts.list_threads(group, unanswered=True)
    everything = await posts.list_threads(group)
    assert {p.id for p in questions.items} == {open_question.id, answered.id}
    assert [p.id for p in unanswered.items] == [open_question.id]
    assert discussion.id in {p.id for p in everything.items}


async def test_list_threads__broken_cursor_is_invalid() -> None:
    _, _, group = await group_with_member()
    with pytest.raises(Invalid):
        await posts.list_threads(group, cursor="not-a-cursor!")


async def test_resource_library__pinned_first_then_newest() -> None:
    owner, member, group = await group_with_member()
    old = await make_post(member, group, kind="resource", link_url="https://a.example")
    await set_activity(old, 10)
    new = await make_post(member, group, kind="resource", link_url="https://b.example")
    await set_activity(new, 5)
    pinned = await make_post(member, group, kind="resource", link_url="https://c.example")
    await set_activity(pinned, 20)
    await make_post(member, group)  # a discussion is not a resource
    await posts.pin_resource(owner, pinned)
    library = await posts.resource_library(group)
    assert [p.id for p in library.pinned] == [pinned.id]
    assert [p.id for p in library.page.items] == [new.id, old.id]


async def test_thread__orders_replies_oldest_first_under_their_parents() -> None:
    owner, member, group = await group_with_member()
    root = await make_post(owner, group)
    a = await make_reply(member, root, "a")
    b = await make_reply(owner, root, "b")
    a1 = await make_reply(owner, a, "a1")
    for post, minutes in ((a, 3), (b, 2), (a1, 1)):
        await Post.filter(id=post.id).update(
            created_at=datetime(2020, 1, 1, tzinfo=UTC) - timedelta(minutes=minutes)
        )
    tree = await posts.thread(await Post.get(id=a1.id))
    assert tree is not None and tree.post.id == root.id
    assert [n.post.id for n in tree.children] == [a.id, b.id]
    assert [n.post.id for n in tree.children[0].children] == [a1.id]
    assert tree.find(a1.id) is not None


async def test_home_feed__only_the_members_groups() -> None:
    owner, member, group = await group_with_member()
    other_owner = await make_account("elsewhere")
    other = await make_group(other_owner, "physics")
    mine = await make_post(owner, group)
    await make_post(other_owner, other)
    feed = await posts.home_feed(member)
    assert [p.id for p in feed.items] == [mine.id]
    loner = await make_account("loner")
    assert (await posts.home_feed(loner)).items == []


async def test_tag_feed__posts_and_replies_with_the_tag() -> None:
    owner, member, group = await group_with_member()
    post = await make_post(owner, group, body="About #Python")
    reply = await make_reply(member, post, "More #python")
    await make_post(owner, group, body="No tag")
    feed = await posts.tag_feed("PYTHON")
    assert {p.id for p in feed.items} == {post.id, reply.id}
    assert (await posts.tag_feed("bad tag!")).items == []


async def test_get_post__unknown_or_malformed_id_is_not_found() -> None:
    with pytest.raises(NotFound):
        await posts.get_post("01" + "z" * 24)
    with pytest.raises(NotFound):
        await posts.get_post("../etc")


async def test_groups_service__membership_helper_is_what_posts_rely_on() -> None:
    _, member, group = await group_with_member()
    assert await groups.is_member(group, member.actor_id)


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00"],
)
async def test_list_threads__cursor_outside_storable_years_is_invalid(moment: str) -> None:
    # Given a well-formed cursor whose time no row can have (year 0 or 10000 in UTC, or before 1970)
    _, _, group = await group_with_member()
    cursor = base64.urlsafe_b64encode(f"{moment}|abc".encode()).decode().rstrip("=")
    # When a page is asked after it, Then it is refused as a broken link, not a database error
    with pytest.raises(Invalid):
        await posts.list_threads(group, cursor=cursor)
