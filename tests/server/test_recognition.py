"""Recognition: the credits ledger, standing with its per-domain cap, and attempts to farm it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server import events
from server.models import (
    Account,
    Actor,
    Credit,
    CreditKind,
    Group,
    GroupState,
    Post,
    Reaction,
    ReactionKind,
    utcnow,
)
from server.services import groups, moderation, notifications, posts, recognition
from server.services.errors import Forbidden
from server.services.recognition.standing import DOMAIN_LIKE_FLOOR, capped_total
from tests.helpers import (
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_remote_actor,
    make_reply,
)

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    recognition.register(events.bus)
    notifications.register(events.bus)


async def community(*names: str) -> tuple[Account, Group, list[Account]]:
    """A group owned by `owner`, and members called `names`."""
    owner = await make_account("teacher")
    group = await make_group(owner, "physics")
    members = []
    for name in names:
        member = await make_account(name)
        await join_as_member(group, member)
        members.append(member)
    return owner, group, members


async def remote_members(group: Group, domain: str, count: int) -> list[Actor]:
    actors = []
    for n in range(count):
        actor = await make_remote_actor(f"sock{n}", domain)
        await groups.request_membership(group, actor)
        actors.append(actor)
    return actors


async def second_question(asker: Account, group: Group) -> Post:
    """A question that is not the asker's first in the group (no newcomer's welcome in it)."""
    await make_post(asker, group, kind="question", title="An earlier question")
    return await make_post(asker, group, kind="question", title="A question")


async def credits_of(account: Account | Actor, kind: CreditKind | None = None) -> list[Credit]:
    actor_id = account.actor_id if isinstance(account, Account) else account.id
    query = Credit.filter(earner_id=actor_id)
    if kind is not None:
        query = query.filter(kind=kind)
    return await query


async def points(account: Account, group: Group | None = None) -> int:
    return await recognition.standing(account.actor_id, None, group=group)


# --- self-likes --------------------------------------------------------------------------------


async def test_like__own_post_is_refused_and_nothing_is_stored() -> None:
    _owner, group, [ada] = await community("ada")
    post = await make_post(ada, group)
    with pytest.raises(Forbidden, match=r"You cannot like your own post\."):
        await posts.like(ada, post)
    with pytest.raises(Forbidden):
        await posts.like(ada, post, kind=ReactionKind.DISLIKE)
    assert await Reaction.all().count() == 0
    assert (await Post.get(id=post.id)).like_count == 0
    assert await Credit.all().count() == 0


# --- likes -------------------------------------------------------------------------------------


async def test_likes__one_credit_per_giver_and_post_and_unlike_takes_it_back() -> None:
    owner, group, [ada, bea] = await community("ada", "bea")
    post = await make_post(ada, group)
    # When Bea likes twice and the owner once
    await posts.like(bea, post)
    await posts.like(bea, post)
    await posts.like(owner, post)
    # Then Ada has two like credits, one from each giver
    givers = sorted(c.giver_id or "" for c in await credits_of(ada, CreditKind.LIKE_RECEIVED))
    assert givers == sorted([bea.actor_id, owner.actor_id])
    assert await points(ada) == 2
    # When Bea takes hers back, Then only the owner's counts
    await posts.unlike(bea, post)
    assert [c.giver_id for c in await credits_of(ada)] == [owner.actor_id]
    assert await points(ada) == 1


async def test_likes__like_unlike_loops_earn_one_like_at_most() -> None:
    _owner, group, [ada, bea] = await community("ada", "bea")
    post = await make_post(ada, group)
    for _ in range(10):
        await posts.like(bea, post)
        await posts.unlike(bea, post)
    assert await points(ada) == 0
    await posts.like(bea, post)
    assert await points(ada) == 1


async def test_likes__a_dislike_earns_nothing_and_turning_a_like_into_one_takes_it_back() -> None:
    _owner, group, [ada, bea] = await community("ada", "bea")
    post = await make_post(ada, group)
    await posts.like(bea, post, kind=ReactionKind.DISLIKE)
    assert await credits_of(ada) == []
    await posts.like(bea, post)
    assert await points(ada) == 1
    await posts.like(bea, post, kind=ReactionKind.DISLIKE)
    assert await points(ada) == 0


async def test_likes__concurrent_likes_by_many_members_are_each_credited_once() -> None:
    owner, group, voters = await community("v1", "v2", "v3", "v4")
    post = await make_post(owner, group)
    await asyncio.gather(*(posts.like(voter, post) for voter in voters))
    await asyncio.gather(*(posts.like(voter, post) for voter in voters))
    assert await points(owner) == 4


# --- accepted answers --------------------------------------------------------------------------


async def test_accepted_answer__credits_the_answerer_and_moves_with_the_mark() -> None:
    _owner, group, [asker, ada, bea] = await community("asker", "ada", "bea")
    question = await second_question(asker, group)
    first = await make_reply(ada, question)
    second = await make_reply(bea, question)
    await posts.accept_answer(question, first, asker)
    assert await points(ada, group) == recognition.POINTS[CreditKind.ANSWER_ACCEPTED]
    # When the asker accepts another answer, Then the credit moves to it
    await posts.accept_answer(question, second, asker)
    assert await credits_of(ada, CreditKind.ANSWER_ACCEPTED) == []
    assert len(await credits_of(bea, CreditKind.ANSWER_ACCEPTED)) == 1
    # When the mark is taken off, Then nobody keeps it
    await posts.accept_answer(question, second, asker)
    assert await Credit.filter(kind=CreditKind.ANSWER_ACCEPTED).count() == 0


async def test_accepted_answer__accepting_ones_own_answer_earns_nothing() -> None:
    _owner, group, [asker] = await community("asker")
    question = await make_post(asker, group, kind="question")
    own = await make_reply(asker, question)
    await posts.accept_answer(question, own, asker)
    assert await points(asker) == 0


async def test_standing__a_credit_from_oneself_never_counts() -> None:
    # Given a credit row whose giver is its earner (however it got there)
    _owner, group, [ada] = await community("ada")
    post = await make_post(ada, group)
    await Credit.create(
        earner_id=ada.actor_id,
        group=group,
        post=post,
        giver_id=ada.actor_id,
        kind=CreditKind.ANSWER_ACCEPTED,
        points=10,
        dedup_key="forged",
    )
    # Then it counts for nothing, in the group and across the instance
    assert await points(ada) == 0
    assert await points(ada, group) == 0


# --- pinned resources --------------------------------------------------------------------------


async def test_pinned_resource__credits_its_author_until_unpinned() -> None:
    owner, group, [ada] = await community("ada")
    resource = await make_post(ada, group, kind="resource", link_url="https://example.org/a")
    discussion = await make_post(ada, group)
    await posts.pin_post(owner, resource)
    await posts.pin_post(owner, discussion)
    kinds = [c.kind for c in await credits_of(ada)]
    assert kinds == [CreditKind.RESOURCE_PINNED]
    await posts.unpin_post(owner, resource)
    assert await credits_of(ada) == []


async def test_pinned_resource__a_moderator_pinning_their_own_earns_nothing() -> None:
    owner, group, _ = await community()
    resource = await make_post(owner, group, kind="resource", link_url="https://example.org/a")
    await posts.pin_post(owner, resource)
    assert await points(owner) == 0


# --- newcomers ---------------------------------------------------------------------------------


async def test_newcomer__the_first_reply_by_someone_else_to_a_first_question_is_credited() -> None:
    _owner, group, [newbie, ada, bea] = await community("newbie", "ada", "bea")
    question = await make_post(newbie, group, kind="question")
    await make_reply(newbie, question, "Some more detail")  # the asker's own reply: not a welcome
    welcome = await make_reply(ada, question)
    await make_reply(bea, question)
    welcomed = await Credit.filter(kind=CreditKind.NEWCOMER_WELCOMED)
    assert [(c.earner_id, c.post_id, c.giver_id) for c in welcomed] == [
        (ada.actor_id, welcome.id, newbie.actor_id)
    ]


async def test_newcomer__a_second_question_is_not_a_newcomers() -> None:
    _owner, group, [asker, ada] = await community("asker", "ada")
    await make_post(asker, group, kind="question", title="First")
    second = await make_post(asker, group, kind="question", title="Second")
    await make_reply(ada, second)
    assert await Credit.filter(kind=CreditKind.NEWCOMER_WELCOMED).count() == 0


# --- removed content ---------------------------------------------------------------------------


async def test_removed_or_deleted_content_earns_nothing() -> None:
    owner, group, [ada, bea] = await community("ada", "bea")
    liked = await make_post(ada, group, title="Liked")
    question = await second_question(bea, group)
    answer = await make_reply(ada, question)
    await posts.like(bea, liked)
    await posts.accept_answer(question, answer, bea)
    assert await points(ada) == 1 + recognition.POINTS[CreditKind.ANSWER_ACCEPTED]
    # When a moderator removes the liked post, Then its like counts no more
    owner_actor = await Actor.get(id=owner.actor_id)
    await moderation.remove_post(owner_actor, liked)
    assert await points(ada) == recognition.POINTS[CreditKind.ANSWER_ACCEPTED]
    # When Ada deletes her answer, Then nothing is left
    await posts.delete_post(ada, answer)
    assert await points(ada) == 0
    # When the removed post is restored, Then its like counts again
    await moderation.restore_post(owner_actor, await Post.get(id=liked.id))
    assert await points(ada) == 1


# --- the per-domain cap ------------------------------------------------------------------------


async def test_domain_cap__a_farm_on_one_domain_counts_at_most_the_floor_alone() -> None:
    # Given Ada's post, liked by 30 accounts of one remote server and nobody else
    _owner, group, [ada] = await community("ada")
    post = await make_post(ada, group)
    for sock in await remote_members(group, "farm.example", 30):
        await posts.like(sock, post)
    # Then every like is stored and credited, but together they count as the floor
    assert (await Post.get(id=post.id)).like_count == 30
    assert len(await credits_of(ada)) == 30
    assert await points(ada) == DOMAIN_LIKE_FLOOR
    assert await points(ada, group) == DOMAIN_LIKE_FLOOR


async def test_domain_cap__a_farm_cannot_outweigh_the_rest_of_the_community() -> None:
    # Given Bea, an honest helper: an accepted answer and two local likes (12 points)
    _owner, group, [bea, carl, asker, mallory] = await community("bea", "carl", "asker", "mal")
    question = await second_question(asker, group)
    answer = await make_reply(bea, question)
    await posts.accept_answer(question, answer, asker)
    await posts.like(carl, answer)
    await posts.like(asker, answer)
    # And Mallory, with one local like (1 point) and 40 sock puppets on farm.example
    post = await make_post(mallory, group)
    await posts.like(carl, post)
    for sock in await remote_members(group, "farm.example", 40):
        await posts.like(sock, post)
    # Then the farm adds at most as much as the rest (here the floor), and Bea stays on top
    assert await points(bea) == 12
    assert await points(mallory) == 1 + DOMAIN_LIKE_FLOOR
    helpers = await recognition.top_helpers(group, None)
    assert [h.actor.id for h in helpers.all_time] == [bea.actor_id, mallory.actor_id]
    # And likes from other servers count each against the rest, local ones are not capped
    for actor in await remote_members(group, "other.example", 6):
        await posts.like(actor, post)
    assert await points(mallory) == 1 + 6 + 7  # the farm: at most local 1 + other.example 6


async def test_domain_cap__remote_likes_are_credited_with_their_domain() -> None:
    _owner, group, [ada] = await community("ada")
    post = await make_post(ada, group)
    [bob] = await remote_members(group, "mastodon.example", 1)
    await posts.like(bob, post)
    [credit] = await credits_of(ada)
    assert (credit.giver_id, credit.giver_domain) == (bob.id, "mastodon.example")


domain = st.sampled_from(["", "a.example", "b.example"])
kind = st.sampled_from([k.value for k in CreditKind])
parts = st.lists(st.tuples(domain, kind, st.integers(0, 100)), max_size=12)


@given(local=st.lists(st.tuples(kind, st.integers(0, 100)), max_size=6), farm=st.integers(0, 500))
def test_capped_total__one_domains_likes_count_at_most_the_rest_or_the_floor(
    local: list[tuple[str, int]], farm: int
) -> None:
    rest = sum(p for _, p in local)
    parts = [("", k, p) for k, p in local] + [("farm.example", "like_received", farm)]
    assert capped_total(parts) == rest + min(farm, max(DOMAIN_LIKE_FLOOR, rest))


@given(parts=parts, more=st.integers(1, 50), where=st.sampled_from(["a.example", "b.example"]))
def test_capped_total__more_likes_never_lower_a_standing_nor_exceed_the_sum(
    parts: list[tuple[str, str, int]], more: int, where: str
) -> None:
    capped = capped_total(parts)
    assert 0 <= capped <= sum(p for _, _, p in parts)
    assert capped_total([*parts, (where, "like_received", more)]) >= capped


def test_capped_total__local_likes_are_never_capped() -> None:
    assert capped_total([("", "like_received", 50)]) == 50
    assert capped_total([("x.example", "like_received", 50)]) == DOMAIN_LIKE_FLOOR
    assert capped_total([("x.example", "like_received", 50), ("", "answer_accepted", 20)]) == 40


# --- top helpers -------------------------------------------------------------------------------


async def test_top_helpers__this_month_and_all_time() -> None:
    owner, group, [ada, bea, carl] = await community("ada", "bea", "carl")
    old = await make_post(ada, group, title="Old")
    new = await make_post(bea, group, title="New")
    await posts.like(carl, old)
    await posts.like(owner, old)
    await posts.like(carl, new)
    # Ada's likes were given last month
    await Credit.filter(post_id=old.id).update(created_at=utcnow() - timedelta(days=40))
    helpers = await recognition.top_helpers(group, None)
    assert [(h.actor.id, h.points) for h in helpers.month] == [(bea.actor_id, 1)]
    assert [(h.actor.id, h.points) for h in helpers.all_time] == [
        (ada.actor_id, 2),
        (bea.actor_id, 1),
    ]


async def test_top_helpers__nothing_for_a_viewer_who_may_not_read_the_group() -> None:
    _owner, group, [ada, bea] = await community("ada", "bea")
    await posts.like(bea, await make_post(ada, group))
    assert (await recognition.top_helpers(group, None)).all_time
    await Group.filter(id=group.id).update(state=GroupState.SUSPENDED)
    hidden = await recognition.top_helpers(await Group.get(id=group.id), None)
    assert (hidden.month, hidden.all_time) == ([], [])


async def test_accepted_answer__a_remote_members_answer_is_credited_too() -> None:
    _, group, [asker] = await community("asker")
    [bob] = await remote_members(group, "mastodon.example", 1)
    question = await second_question(asker, group)
    answer = await posts.create_reply(bob, question, "Try this")
    await posts.accept_answer(question, answer, asker)
    [credit] = await Credit.filter(kind=CreditKind.ANSWER_ACCEPTED)
    assert (credit.earner_id, credit.giver_id, credit.giver_domain) == (bob.id, asker.actor_id, "")
    assert await recognition.standing(bob.id, None, group=group) == 10


async def test_top_helpers__a_suspended_person_is_not_shown() -> None:
    _, group, [ada, bea] = await community("ada", "bea")
    await posts.like(bea, await make_post(ada, group))
    await Actor.filter(id=ada.actor_id).update(suspended_at=utcnow())
    helpers = await recognition.top_helpers(group, None)
    assert (helpers.month, helpers.all_time) == ([], [])
