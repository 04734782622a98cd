"""Badges: the built-in rules, granting once however often (and by however many workers), the
notification, and custom badges given by admins."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server import events
from server.models import (
    Account,
    Actor,
    AuditEntry,
    Badge,
    BadgeAward,
    Credit,
    Group,
    Membership,
    Notification,
    NotificationKind,
    utcnow,
)
from server.services import notifications, posts, recognition
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.recognition import custom
from server.services.recognition.badges import award_key
from server.settings import Settings
from tests.helpers import join_as_member, make_account, make_group, make_post, make_reply

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(autouse=True)
def subscribed(database: None) -> None:
    recognition.register(events.bus)
    notifications.register(events.bus)


async def held(account: Account) -> list[tuple[str, str | None]]:
    awards = await BadgeAward.filter(actor_id=account.actor_id).select_related("badge")
    return sorted((a.badge.slug, a.group_id) for a in awards)


async def badge_notices(account: Account) -> list[str]:
    rows = await Notification.filter(recipient=account, kind=NotificationKind.BADGE_AWARDED)
    return sorted(n.text for n in rows)


async def answered(group: Group, asker: Account, helper: Account, count: int) -> None:
    """`count` of the helper's answers accepted in the group."""
    await make_post(asker, group, kind="question", title="A first question")
    for n in range(count):
        question = await make_post(asker, group, kind="question", title=f"Question {n}")
        await posts.accept_answer(question, await make_reply(helper, question), asker)


async def a_group() -> tuple[Account, Group, Account, Account]:
    owner = await make_account("teacher")
    group = await make_group(owner, "physics")
    asker, ada = await make_account("asker"), await make_account("ada")
    for member in (asker, ada):
        await join_as_member(group, member)
    return owner, group, asker, ada


async def test_first_accepted_answer__granted_once_per_group_with_one_notification() -> None:
    _, group, asker, ada = await a_group()
    await answered(group, asker, ada, 1)
    # When the worker grants twice
    assert await recognition.grant_builtin() == 1
    assert await recognition.grant_builtin() == 0
    # Then Ada holds it once, in the group, and heard of it once
    assert await held(ada) == [("first-accepted-answer", group.id)]
    assert await badge_notices(ada) == ["First accepted answer"]
    assert await held(asker) == []


async def test_grant__concurrent_runs_grant_once() -> None:
    _, group, asker, ada = await a_group()
    await answered(group, asker, ada, 1)
    granted = await asyncio.gather(*(recognition.grant_builtin() for _ in range(4)))
    assert sum(granted) == 1
    assert await BadgeAward.all().count() == 1
    assert await badge_notices(ada) == ["First accepted answer"]
    assert await Badge.filter(builtin=True).count() == len(recognition.BUILTIN)


async def test_ten_accepted_answers__instance_wide_at_ten_not_nine() -> None:
    _, group, asker, ada = await a_group()
    await answered(group, asker, ada, 9)
    await recognition.grant_builtin()
    assert ("accepted-answers-10", None) not in await held(ada)
    question = await make_post(asker, group, kind="question", title="The tenth")
    await posts.accept_answer(question, await make_reply(ada, question), asker)
    await recognition.grant_builtin()
    assert ("accepted-answers-10", None) in await held(ada)
    assert ("accepted-answers-50", None) not in await held(ada)


async def test_badges__removed_answers_do_not_earn_them() -> None:
    _, group, asker, ada = await a_group()
    await answered(group, asker, ada, 1)
    answer = await Credit.get(earner_id=ada.actor_id, kind="answer_accepted").select_related("post")
    await posts.delete_post(ada, answer.post)
    assert await recognition.grant_builtin() == 0
    assert await held(ada) == []


async def test_pinned_resource__per_group_badge() -> None:
    owner, group, _, ada = await a_group()
    resource = await make_post(ada, group, kind="resource", link_url="https://example.org/r")
    await posts.pin_post(owner, resource)
    await recognition.grant_builtin()
    assert await held(ada) == [("pinned-resource", group.id)]


async def test_welcomer__five_newcomers_welcomed() -> None:
    _owner, group, _, ada = await a_group()
    for n in range(5):
        newcomer = await make_account(f"new{n}")
        await join_as_member(group, newcomer)
        question = await make_post(newcomer, group, kind="question", title=f"Help {n}")
        await make_reply(ada, question)
        await recognition.grant_builtin()
        assert (("welcomer", group.id) in await held(ada)) == (n == 4)


async def test_member_year__after_365_days_in_the_group() -> None:
    _, group, _, ada = await a_group()
    membership = Membership.filter(group=group, actor_id=ada.actor_id)
    await membership.update(created_at=utcnow() - timedelta(days=364), decided_at=None)
    await recognition.grant_builtin()
    assert await held(ada) == []
    await membership.update(created_at=utcnow() - timedelta(days=366))
    await recognition.grant_builtin()
    assert await held(ada) == [("member-year", group.id)]


# --- custom badges -----------------------------------------------------------------------------


async def test_custom_badge__admin_creates_gives_and_takes_back_audited() -> None:
    admin = await make_account("root_admin", admin=True)
    ada = await make_account("ada")
    admin_actor = await Actor.get(id=admin.actor_id)
    badge = await custom.create_badge(admin_actor, "  Mentor of  the year ", "Helped most.")
    assert (badge.name, badge.slug, badge.builtin) == (
        "Mentor of the year",
        "custom-mentor-of-the-year",
        False,
    )
    person = await custom.find_person("ada@lyceum.test", "lyceum.test")
    given = await custom.give_badge(admin_actor, badge.id, person, "Thank you")
    assert await held(ada) == [("custom-mentor-of-the-year", None)]
    assert await badge_notices(ada) == ["Mentor of the year"]
    [notice] = await Notification.filter(recipient=ada)
    assert notice.actor_id == admin.actor_id  # type: ignore[attr-defined]
    with pytest.raises(Conflict):
        await custom.give_badge(admin_actor, badge.id, person, "")
    await custom.revoke_award(admin_actor, given.id)
    assert await held(ada) == []
    actions = await AuditEntry.all().order_by("created_at").values_list("action", flat=True)
    assert actions == ["badge.create", "badge.grant", "badge.revoke"]


async def test_custom_badge__non_admins_may_not_and_bad_input_stores_nothing() -> None:
    admin = await make_account("root_admin", admin=True)
    ada = await make_account("ada")
    ada_actor, admin_actor = await Actor.get(id=ada.actor_id), await Actor.get(id=admin.actor_id)
    with pytest.raises(Forbidden):
        await custom.create_badge(ada_actor, "Mine", "")
    for name in ("", "x" * 81, "!!!"):
        with pytest.raises(Invalid):
            await custom.create_badge(admin_actor, name, "")
    with pytest.raises(Invalid):
        await custom.create_badge(admin_actor, "Fine", "y" * 501)
    assert await Badge.all().count() == 0
    badge = await custom.create_badge(admin_actor, "Fine", "")
    with pytest.raises(Conflict):
        await custom.create_badge(admin_actor, "fine", "")
    with pytest.raises(Forbidden):
        await custom.give_badge(ada_actor, badge.id, ada_actor, "")
    with pytest.raises(Invalid):
        await custom.give_badge(admin_actor, badge.id, ada_actor, "z" * 501)
    with pytest.raises(Invalid):
        await custom.find_person("nobody", "lyceum.test")
    assert await BadgeAward.all().count() == 0


async def test_custom_badge__built_in_awards_are_not_given_nor_taken_back_by_hand() -> None:
    admin = await make_account("root_admin", admin=True)
    admin_actor = await Actor.get(id=admin.actor_id)
    _, group, asker, ada = await a_group()
    await answered(group, asker, ada, 1)
    await recognition.grant_builtin()
    builtin = await Badge.get(slug="first-accepted-answer")
    with pytest.raises(Invalid):
        await custom.give_badge(admin_actor, builtin.id, await Actor.get(id=ada.actor_id), "")
    [given] = await BadgeAward.all()
    with pytest.raises(NotFound):
        await custom.revoke_award(admin_actor, given.id)
    assert given.dedup_key == award_key(builtin.id, ada.actor_id, group.id)


async def test_badges_in_group__one_query_for_every_author() -> None:
    _, group, asker, ada = await a_group()
    await answered(group, asker, ada, 1)
    await recognition.grant_builtin()
    other = await make_group(await make_account("other_owner"), "chemistry")
    shown = await recognition.badges_in_group([ada.actor_id, asker.actor_id], group)
    assert {k: [a.badge.slug for a in v] for k, v in shown.items()} == {
        ada.actor_id: ["first-accepted-answer"]
    }
    assert await recognition.badges_in_group([ada.actor_id], other) == {}


async def test_granter__the_worker_loop_grants_then_stops(settings: Settings) -> None:
    _, group, asker, ada = await a_group()
    await answered(group, asker, ada, 1)
    stop = asyncio.Event()
    running = asyncio.create_task(recognition.BadgeGranter(settings).run_until_stopped(stop))
    for _ in range(200):  # bounded poll: the first pass runs at once
        if await BadgeAward.exists():
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert await held(ada) == [("first-accepted-answer", group.id)]
