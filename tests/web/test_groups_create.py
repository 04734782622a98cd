"""Starting a group on the web: /groups/new."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image
from starlette.applications import Starlette

from server.models import Actor, Group, GroupState, JoinPolicy, PostingPolicy
from server.services import groups, instance
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.helpers import csrf, log_in, make_account, make_group


def png(width: int = 20, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def files_in(directory: Path) -> list[str]:
    return [path.name for path in directory.iterdir()] if directory.exists() else []


def group_fields(token: str, **overrides: str) -> dict[str, str]:
    fields = {
        "csrf_token": token,
        "name": "Rust learners",
        "handle": "rust_learners",
        "description": "We learn **Rust** together.",
        "rules": "1. Be kind",
        "topics": "Rust, systems programming",
        "join_policy": "approval",
        "posting_policy": "members",
    }
    fields.update(overrides)
    return fields


async def logged_in(client: httpx.AsyncClient, username: str = "ada") -> str:
    await make_account(username)
    await log_in(client, username)
    return await csrf(client, "/groups/new")


async def test_new_group__anonymous_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/groups/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/groups/new"


async def test_new_group__form_has_labelled_fields(client: httpx.AsyncClient) -> None:
    # Given a logged-in person
    await logged_in(client)
    # When they open the form
    response = await client.get("/groups/new")
    # Then every field is there with a label, and the form takes files
    assert response.status_code == 200
    for name in ("name", "handle", "description", "rules", "topics", "avatar", "banner"):
        assert f'<label for="{name}"' in response.text
    assert 'enctype="multipart/form-data"' in response.text
    assert "<legend>Who can join</legend>" in response.text


async def test_new_group__creates_the_group_and_redirects(client: httpx.AsyncClient) -> None:
    # Given a logged-in person
    token = await logged_in(client)
    # When they submit the form with an avatar and a banner
    response = await client.post(
        "/groups/new",
        data=group_fields(token),
        files={
            "avatar": ("me.png", png(), "image/png"),
            "banner": ("wide.png", png(600, 200), "image/png"),
        },
    )
    # Then they are sent to the new group, which holds what they entered
    assert response.status_code == 303
    assert response.headers["location"] == "/g/rust_learners"
    group = await groups.get_group("rust_learners")
    assert group.actor.display_name == "Rust learners"
    assert "<strong>Rust</strong>" in group.description_html
    assert (group.join_policy, group.posting_policy) == (JoinPolicy.APPROVAL, PostingPolicy.MEMBERS)
    assert await groups.topics_of(group) == ["rust", "systems programming"]
    assert group.actor.avatar_path.endswith(".webp")
    assert group.banner_path.endswith(".webp")
    assert (await client.get(f"/media/{group.banner_path}")).status_code == 200


async def test_new_group__without_files_as_a_plain_form(client: httpx.AsyncClient) -> None:
    token = await logged_in(client)
    response = await client.post("/groups/new", data=group_fields(token, handle="plain"))
    assert response.status_code == 303
    group = await groups.get_group("plain")
    assert (group.actor.avatar_path, group.banner_path) == ("", "")


async def test_new_group__empty_file_inputs_mean_no_image(client: httpx.AsyncClient) -> None:
    token = await logged_in(client)
    response = await client.post(
        "/groups/new",
        data=group_fields(token),
        files={"avatar": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 303
    assert (await groups.get_group("rust_learners")).actor.avatar_path == ""


async def test_new_group__taken_handle_shows_inline_on_the_handle(
    client: httpx.AsyncClient,
) -> None:
    # Given a person named "ada" (people and groups share handles), logged in
    token = await logged_in(client)
    # When they try to create a group with the handle "Ada"
    response = await client.post("/groups/new", data=group_fields(token, handle="Ada"))
    # Then the form comes back with the problem next to the handle, and nothing is stored
    assert response.status_code == 422
    assert 'id="handle-error"' in response.text
    assert "already taken" in response.text
    assert 'value="Rust learners"' in response.text  # what they typed is kept
    assert await Group.all().count() == 0


async def test_new_group__taken_by_a_group_is_refused(client: httpx.AsyncClient) -> None:
    token = await logged_in(client)
    other = await make_account("bob")
    await make_group(other, "rust_learners")
    response = await client.post("/groups/new", data=group_fields(token))
    assert response.status_code == 422
    assert "already taken" in response.text
    assert await Group.all().count() == 1


async def test_new_group__every_bad_field_is_reported_inline(client: httpx.AsyncClient) -> None:
    token = await logged_in(client)
    response = await client.post(
        "/groups/new",
        data=group_fields(
            token, name="", handle="admin", topics=",".join(f"t{i}" for i in range(9))
        ),
    )
    assert response.status_code == 422
    for name in ("name", "handle", "topics"):
        assert f'id="{name}-error"' in response.text
    assert "reserved" in response.text
    assert await Group.all().count() == 0


async def test_new_group__unknown_policy_is_refused(client: httpx.AsyncClient) -> None:
    token = await logged_in(client)
    response = await client.post("/groups/new", data=group_fields(token, join_policy="anyone"))
    assert response.status_code == 422
    assert 'id="join_policy-error"' in response.text
    assert await Group.all().count() == 0


async def test_new_group__non_image_upload_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token = await logged_in(client)
    response = await client.post(
        "/groups/new",
        data=group_fields(token),
        files={"banner": ("evil.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml")},
    )
    assert response.status_code == 422
    assert 'id="banner-error"' in response.text
    assert await Group.all().count() == 0
    assert files_in(settings.media_dir) == []


async def test_new_group__too_large_upload_is_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token = await logged_in(client)
    big = b"\x89PNG" + b"0" * (settings.max_upload_bytes + 1)
    response = await client.post(
        "/groups/new", data=group_fields(token), files={"avatar": ("big.png", big, "image/png")}
    )
    assert response.status_code == 413
    assert await Group.all().count() == 0


async def test_new_group__without_csrf_token_is_403(client: httpx.AsyncClient) -> None:
    await logged_in(client)
    response = await client.post("/groups/new", data=group_fields("forged"))
    assert response.status_code == 403
    assert await Group.all().count() == 0
    assert not await Actor.filter(username="rust_learners").exists()


async def test_new_group__needing_approval_is_pending_but_visible_to_its_owner(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    # Given an instance where new groups wait for an admin
    config = await instance.get_config()
    config.groups_need_approval = True
    await config.save()
    token = await logged_in(client)
    # When a member creates a group
    response = await client.post("/groups/new", data=group_fields(token))
    # Then it is pending, and its owner sees it with a notice while others don't
    assert response.status_code == 303
    group = await groups.get_group("rust_learners", include_hidden=True)
    assert group.state == GroupState.PENDING
    about = await client.get("/g/rust_learners/about")
    assert about.status_code == 200
    assert "waiting for an admin" in about.text
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as stranger:
        assert (await stranger.get("/g/rust_learners/about")).status_code == 404
    assert "rust_learners" not in (await client.get("/groups")).text
