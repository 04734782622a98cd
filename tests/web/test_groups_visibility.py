"""Choosing who can read a group: on the creation form and in settings, audited, explained."""

from __future__ import annotations

import re

import httpx
from lxml import html as lxml_html

from server.models import AuditEntry, Group, GroupVisibility
from server.services import groups
from tests.helpers import csrf, log_in, make_account, make_group
from tests.web.test_groups_create import group_fields
from tests.web.test_groups_settings import settings_fields


async def test_new_group__the_form_says_who_can_read_what(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    await log_in(client, "ada")
    page = lxml_html.fromstring((await client.get("/groups/new")).text)
    labels = [" ".join(label.text_content().split()) for label in page.xpath("//fieldset//label")]
    public = next(text for text in labels if text.startswith("Public:"))
    members = next(text for text in labels if text.startswith("Members only:"))
    assert "logged in or not" in public
    assert "only its members, its moderators and this server's admins" in members
    assert "ask to join" in members


async def test_new_group__members_only_is_stored(client: httpx.AsyncClient) -> None:
    await make_account("ada")
    await log_in(client, "ada")
    token = await csrf(client, "/groups/new")
    response = await client.post(
        "/groups/new", data=group_fields(token, handle="inner", visibility="members")
    )
    assert response.status_code == 303
    assert (await groups.get_group("inner")).visibility == GroupVisibility.MEMBERS


async def test_new_group__an_unknown_visibility_is_refused_and_nothing_stored(
    client: httpx.AsyncClient,
) -> None:
    await make_account("ada")
    await log_in(client, "ada")
    token = await csrf(client, "/groups/new")
    response = await client.post(
        "/groups/new", data=group_fields(token, handle="inner", visibility="secret" * 100)
    )
    assert response.status_code == 422
    assert not await Group.filter(actor__username="inner").exists()


async def test_settings__changing_visibility_is_audited_both_ways(
    client: httpx.AsyncClient,
) -> None:
    # Given an owner of a public group
    owner = await make_account("olga")
    group = await make_group(owner, "maths")
    await log_in(client, "olga")
    token = await csrf(client, "/g/maths/settings")
    # When they make it members-only, then public again
    for visibility in ("members", "public"):
        response = await client.post(
            "/g/maths/settings", data=settings_fields(token, visibility=visibility)
        )
        assert response.status_code == 303
        stored = await Group.get(id=group.id)
        assert stored.visibility == visibility
    # Then each change is in the moderation log, by the owner, in words
    actions = await AuditEntry.filter(group_id=group.id, action__startswith="group.visibility")
    assert sorted(entry.action for entry in actions) == [
        "group.visibility_members",
        "group.visibility_public",
    ]
    assert {entry.actor_id for entry in actions} == {owner.actor_id}
    log = " ".join(
        lxml_html.fromstring((await client.get("/g/maths/modlog")).text).text_content().split()
    )
    assert re.search(r"made the group readable by its members only", log)


async def test_settings__leaving_the_field_out_keeps_a_group_members_only(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "maths", visibility=GroupVisibility.MEMBERS)
    await log_in(client, "olga")
    token = await csrf(client, "/g/maths/settings")
    response = await client.post("/g/maths/settings", data=settings_fields(token))
    assert response.status_code == 303
    assert (await Group.get(id=group.id)).visibility == GroupVisibility.MEMBERS
    assert not await AuditEntry.filter(action__startswith="group.visibility").exists()


async def test_settings__says_what_happens_to_what_was_public(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    await make_group(owner, "maths")
    await log_in(client, "olga")
    page = lxml_html.fromstring((await client.get("/g/maths/settings")).text)
    text = " ".join(page.text_content().split())
    assert "copies other servers already received stay there" in text
    assert "hides its posts, replies, resources and members at once" in text


async def test_members_only_page__names_the_group_never_the_post(
    client: httpx.AsyncClient,
) -> None:
    # Given a members-only group with a thread, and a logged-out visitor
    owner = await make_account("olga")
    group = await make_group(owner, "inner", name="Inner circle", visibility="members")
    from tests.helpers import make_post

    post = await make_post(owner, group, title="Confidential roadmap", body="Plans")
    # When the visitor opens the thread
    response = await client.get(f"/p/{post.id}")
    page = lxml_html.fromstring(response.text)
    # Then they get the group's members-only page: its name, how to join, no post title
    assert response.status_code == 403
    assert page.findtext(".//title").startswith("Members only · Inner circle")
    assert not re.search(r"\bConfidential\b", response.text)
    assert page.xpath('//meta[starts-with(@property, "og:")]') == []
    assert page.xpath('//a[@href="/login?next=/g/inner"]') != []
