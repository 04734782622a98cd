"""A group's settings page: moderators edit everything but the handle."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from server import events
from server.models import Actor, Group, JoinPolicy, MemberRole, Membership, PostingPolicy
from server.services import groups
from server.settings import Settings
from tests.helpers import csrf, log_in, make_account, make_group


def png(width: int = 30, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 160, 80)).save(buffer, "PNG")
    return buffer.getvalue()


def files_in(directory: Path) -> list[str]:
    return [path.name for path in directory.iterdir()] if directory.exists() else []


def settings_fields(token: str, **overrides: str) -> dict[str, str]:
    fields = {
        "csrf_token": token,
        "name": "Maths circle",
        "description": "Now with **proofs**",
        "rules": "Be patient",
        "topics": "algebra, geometry",
        "join_policy": "approval",
        "posting_policy": "moderators",
    }
    fields.update(overrides)
    return fields


async def owned_group(client: httpx.AsyncClient) -> tuple[Group, str]:
    """A group "maths" owned by olga, who is logged in; returns it and a CSRF token."""
    owner = await make_account("olga")
    group = await make_group(owner, "maths", name="Maths", topics=("numbers",))
    await log_in(client, "olga")
    return group, await csrf(client, "/groups")


async def test_settings__form_is_prefilled(client: httpx.AsyncClient) -> None:
    await owned_group(client)
    response = await client.get("/g/maths/settings")
    assert response.status_code == 200
    assert 'value="Maths"' in response.text
    assert 'value="numbers"' in response.text
    assert 'name="handle"' not in response.text
    assert 'aria-current="page">Settings' in response.text


async def test_settings__saves_every_field_but_the_handle(client: httpx.AsyncClient) -> None:
    # Given an owner on their group's settings
    group, token = await owned_group(client)
    updated: list[events.Event] = []

    async def on_update(event: events.Event) -> None:
        updated.append(event)

    events.bus.subscribe(events.GroupUpdated, on_update)
    # When they change everything (and try to sneak in a new handle)
    response = await client.post("/g/maths/settings", data=settings_fields(token, handle="renamed"))
    # Then the group is updated, its handle unchanged, and the change announced
    assert response.status_code == 303
    assert response.headers["location"] == "/g/maths/about"
    stored = await groups.get_group("maths")
    assert stored.actor.display_name == "Maths circle"
    assert "<strong>proofs</strong>" in stored.description_html
    assert stored.rules_source == "Be patient"
    assert (stored.join_policy, stored.posting_policy) == (
        JoinPolicy.APPROVAL,
        PostingPolicy.MODERATORS,
    )
    assert await groups.topics_of(stored) == ["algebra", "geometry"]
    assert not await Actor.filter(username="renamed").exists()
    assert len(updated) == 1
    assert stored.id == group.id


async def test_settings__replaces_and_removes_images(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await owned_group(client)
    token = await csrf(client, "/groups")
    first = await client.post(
        "/g/maths/settings",
        data=settings_fields(token),
        files={"avatar": ("a.png", png(), "image/png"), "banner": ("b.png", png(), "image/png")},
    )
    assert first.status_code == 303
    group = await groups.get_group("maths")
    old_avatar = group.actor.avatar_path
    assert sorted(files_in(settings.media_dir)) == sorted([old_avatar, group.banner_path])
    # Replacing the avatar and removing the banner leaves only the new avatar's file
    second = await client.post(
        "/g/maths/settings",
        data=settings_fields(token, remove_banner="y"),
        files={"avatar": ("c.png", png(), "image/png")},
    )
    assert second.status_code == 303
    group = await groups.get_group("maths")
    assert group.banner_path == ""
    assert group.actor.avatar_path not in ("", old_avatar)
    assert files_in(settings.media_dir) == [group.actor.avatar_path]


async def test_settings__invalid_input_is_422_inline_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await owned_group(client)
    token = await csrf(client, "/groups")
    response = await client.post(
        "/g/maths/settings",
        data=settings_fields(token, name="", rules="x" * 10001),
        files={"avatar": ("a.png", png(), "image/png")},
    )
    assert response.status_code == 422
    assert 'id="name-error"' in response.text and 'id="rules-error"' in response.text
    stored = await groups.get_group("maths")
    assert stored.actor.display_name == "Maths"
    assert stored.actor.avatar_path == ""
    assert await groups.topics_of(stored) == ["numbers"]
    assert files_in(settings.media_dir) == []


async def test_settings__bad_image_is_422_and_changes_nothing(client: httpx.AsyncClient) -> None:
    await owned_group(client)
    token = await csrf(client, "/groups")
    response = await client.post(
        "/g/maths/settings",
        data=settings_fields(token),
        files={"banner": ("b.txt", b"not an image", "text/plain")},
    )
    assert response.status_code == 422
    assert 'id="banner-error"' in response.text
    assert (await groups.get_group("maths")).actor.display_name == "Maths"


async def test_settings__a_moderator_may_edit(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "maths", name="Maths")
    mina = await make_account("mina")
    await Membership.create(
        group=group, actor_id=mina.actor_id, role=MemberRole.MODERATOR, state="accepted"
    )
    await log_in(client, "mina")
    token = await csrf(client, "/groups")
    response = await client.post("/g/maths/settings", data=settings_fields(token))
    assert response.status_code == 303
    assert (await groups.get_group("maths")).actor.display_name == "Maths circle"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_settings__a_plain_member_gets_403(client: httpx.AsyncClient, method: str) -> None:
    owner = await make_account("olga")
    group = await make_group(owner, "maths", name="Maths")
    bert = await make_account("bert")
    await groups.request_membership(group, bert.actor)
    await log_in(client, "bert")
    token = await csrf(client, "/groups")
    response = await client.request(
        method,
        "/g/maths/settings",
        data=settings_fields(token) if method == "POST" else None,
    )
    assert response.status_code == 403
    assert (await groups.get_group("maths")).actor.display_name == "Maths"


async def test_settings__anonymous_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    owner = await make_account("olga")
    await make_group(owner, "maths", name="Maths")
    page = await client.get("/g/maths/settings")
    post = await client.post("/g/maths/settings", data=settings_fields("x"))
    assert page.status_code == post.status_code == 303
    assert page.headers["location"] == "/login?next=/g/maths/settings"
    assert (await groups.get_group("maths")).actor.display_name == "Maths"


async def test_settings__without_csrf_is_403(client: httpx.AsyncClient) -> None:
    await owned_group(client)
    response = await client.post("/g/maths/settings", data=settings_fields("forged"))
    assert response.status_code == 403
    assert (await groups.get_group("maths")).actor.display_name == "Maths"
