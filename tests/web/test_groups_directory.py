"""The group directory (/groups) and the pages of a group anyone can read."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from server.models import Actor, Group, GroupState, JoinPolicy
from server.services import groups
from server.settings import Settings
from tests.helpers import log_in, make_account, make_group


async def test_directory__empty_state_invites_to_start_a_group(client: httpx.AsyncClient) -> None:
    # Given an instance without groups, when a visitor opens the directory
    response = await client.get("/groups")
    # Then it says so and shows how to start one
    assert response.status_code == 200
    assert "There are no groups here yet." in response.text
    assert 'href="/signup"' in response.text


async def test_directory__lists_active_groups_to_visitors(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    await make_group(owner, "maths", name="Maths circle", description="Proofs *and* puzzles")
    hidden = await make_group(owner, "hidden", name="Hidden club")
    await Group.filter(id=hidden.id).update(state=GroupState.SUSPENDED)
    response = await client.get("/groups")
    assert response.status_code == 200
    assert "Maths circle" in response.text
    assert "Proofs and puzzles" in response.text
    assert "@maths@lyceum.test" in response.text
    assert "Hidden club" not in response.text


async def test_directory__search_matches_name_handle_and_description(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("olga")
    await make_group(owner, "painters", name="Watercolour")
    await make_group(owner, "cooks", name="Kitchen", description="Baking bread with water")
    await make_group(owner, "runners", name="Running")
    response = await client.get("/groups", params={"q": "WATER"})
    assert response.status_code == 200
    assert "Watercolour" in response.text
    assert "Kitchen" in response.text
    assert "Running" not in response.text
    assert "2 groups" in response.text


async def test_directory__search_without_results_says_so(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    await make_group(owner, "maths")
    response = await client.get("/groups", params={"q": "knitting"})
    assert response.status_code == 200
    assert "No groups found for “knitting”" in response.text


async def test_directory__topic_filter_and_topic_counts(client: httpx.AsyncClient) -> None:
    # Given groups with topics
    owner = await make_account("olga")
    await make_group(owner, "py", name="Pythonistas", topics=("python", "data"))
    await make_group(owner, "stats", name="Statisticians", topics=("data",))
    await make_group(owner, "rs", name="Rustaceans", topics=("rust",))
    # When a visitor filters by a topic
    response = await client.get("/groups", params={"topic": "data"})
    # Then only that topic's groups are shown, and every topic is offered with its count
    assert response.status_code == 200
    assert "Pythonistas" in response.text
    assert "Statisticians" in response.text
    assert "Rustaceans" not in response.text
    assert 'href="/groups?topic=data" aria-current="page">data</a> <span class="muted">(2)' in (
        response.text
    )
    assert 'href="/groups?topic=rust">rust</a>' in response.text


async def test_directory__pages_keep_the_search(
    client: httpx.AsyncClient, app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given more matching groups than fit on a page (two here)
    monkeypatch.setattr(app.state.web, "settings", settings.model_copy(update={"page_size": 2}))
    owner = await make_account("olga")
    for index in range(3):
        group = await make_group(owner, f"club_{index}", name=f"Club {index}")
        at = datetime(2030, 1, 1 + index, tzinfo=UTC)
        await Group.filter(id=group.id).update(last_post_at=at)
    # When the first page is read
    first = await client.get("/groups", params={"q": "club"})
    # Then it shows the two most active, and links to the next page with the same search
    assert "Club 2" in first.text and "Club 1" in first.text and "Club 0" not in first.text
    assert 'href="/groups?q=club&amp;page=2" rel="next"' in first.text
    second = await client.get("/groups", params={"q": "club", "page": "2"})
    assert "Club 0" in second.text and "Club 2" not in second.text
    assert 'href="/groups?q=club" rel="prev"' in second.text


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999"])
async def test_directory__bad_page_number_is_400(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get("/groups", params={"page": page})
    assert response.status_code == 400


async def test_directory__too_long_search_is_422_inline(client: httpx.AsyncClient) -> None:
    response = await client.get("/groups", params={"q": "x" * 101})
    assert response.status_code == 422
    assert 'id="q-error"' in response.text


async def test_directory__start_a_group_link_for_members(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    await log_in(client, "ada")
    response = await client.get("/groups")
    assert 'href="/groups/new"' in response.text


# --- pages of one group that anyone can read ---------------------------------------------------


async def test_about__shows_description_rules_staff_and_fediverse_handle(
    client: httpx.AsyncClient,
) -> None:
    # Given a group with a description, rules, topics and a moderator
    owner = await make_account("olga", display_name="Olga O.")
    moderator = await make_account("mina")
    group = await make_group(
        owner,
        "maths",
        name="Maths circle",
        description="We do **proofs**.",
        rules="No <script>alert(1)</script> spoilers",
        topics=("algebra",),
        join_policy=JoinPolicy.APPROVAL,
    )
    membership = await groups.request_membership(group, await Actor.get(id=moderator.actor_id))
    await groups.decide_membership(membership, owner.actor, accept=True)
    await groups.set_role(group, owner.actor, moderator.actor_id, groups.MemberRole.MODERATOR)
    # When a logged-out visitor reads its about page
    response = await client.get("/g/maths/about")
    # Then everything is there, the rules safely escaped
    assert response.status_code == 200
    assert "<strong>proofs</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "Olga O." in response.text and "mina" in response.text
    assert "@maths@lyceum.test" in response.text
    assert "algebra" in response.text
    assert "A moderator approves each request" in response.text
    assert group.created_at.strftime("%Y") in response.text
    assert 'href="/login?next=/g/maths"' in response.text


async def test_about__unknown_group_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/g/nobody/about")).status_code == 404
    assert (await client.get("/g/nobody/members")).status_code == 404


async def test_members__lists_staff_and_members_to_visitors(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    member = await make_account("bert")
    asker = await make_account("cleo")
    group = await make_group(owner, "maths")
    await groups.request_membership(group, await Actor.get(id=member.actor_id))
    await Group.filter(id=group.id).update(join_policy=JoinPolicy.APPROVAL)
    group.join_policy = JoinPolicy.APPROVAL
    await groups.request_membership(group, await Actor.get(id=asker.actor_id))
    response = await client.get("/g/maths/members")
    assert response.status_code == 200
    assert "@olga@lyceum.test" in response.text
    assert "@bert@lyceum.test" in response.text
    assert not re.search(r"\bcleo\b", response.text)  # pending requests are not members
    assert "Make moderator" not in response.text  # only the owner sees role buttons


async def test_members__empty_state(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    await make_group(owner, "maths")
    response = await client.get("/g/maths/members")
    assert response.status_code == 200
    assert "No other members yet." in response.text


@pytest.mark.parametrize("topic", ["a" * 41, "x" * 5000])
async def test_directory__a_topic_longer_than_any_stored_lists_nothing(
    client: httpx.AsyncClient, topic: str
) -> None:
    # Given a group with a topic
    owner = await make_account("olga")
    await make_group(owner, "maths", name="Maths circle", topics=("maths",))
    # When the directory is filtered by a topic longer than a topic can be
    response = await client.get("/groups", params={"topic": topic})
    # Then it answers with no groups rather than a server error
    assert response.status_code == 200
    assert "Maths circle" not in response.text
