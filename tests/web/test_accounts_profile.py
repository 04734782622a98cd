"""Profiles on the web: the public page, and a member's profile and password settings."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image
from starlette.applications import Starlette

from server import events
from server.models import Account, AccountState, Actor
from server.services.passwords import verify_password
from server.settings import Settings
from tests.helpers import PASSWORD, csrf, log_in, make_account, make_group


def png(width: int = 800, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


async def post_profile(
    client: httpx.AsyncClient,
    *,
    avatar: tuple[str, bytes, str] | None = None,
    token: str | None = "",
    **fields: str,
) -> httpx.Response:
    if token == "":
        token = await csrf(client, "/settings/profile")
    data = {"display_name": "Ada L.", "bio": "", **fields}
    if token is not None:
        data["csrf_token"] = token
    files = {"avatar": avatar or ("", b"", "application/octet-stream")}
    return await client.post("/settings/profile", data=data, files=files)


async def test_profile_page__shows_avatar_name_handle_bio_and_groups(
    client: httpx.AsyncClient,
) -> None:
    # Given a member with a bio who owns a group
    ada = await make_account("ada", display_name="Ada Lovelace")
    await make_group(ada, "engines", name="Analytical Engines")
    await log_in(client, "ada")
    await post_profile(client, display_name="Ada Lovelace", bio="I write *programs*.")
    client.cookies.clear()
    # When a visitor opens the profile
    response = await client.get("/u/ada")
    # Then it shows who they are and where they take part
    assert response.status_code == 200
    assert "<h1>Ada Lovelace</h1>" in response.text
    assert "@ada@lyceum.test" in response.text
    assert "<em>programs</em>" in response.text
    assert 'href="/g/engines"' in response.text and "Analytical Engines" in response.text


async def test_profile_page__shows_empty_states(client: httpx.AsyncClient) -> None:
    await make_account("bob")
    response = await client.get("/u/bob")
    assert "has not written anything" in response.text
    assert "is not in any group yet" in response.text


async def test_profile_page__unknown_and_pending_people_are_404(client: httpx.AsyncClient) -> None:
    pending = await make_account("cy")
    await Account.filter(id=pending.id).update(state=AccountState.PENDING)
    assert (await client.get("/u/nobody")).status_code == 404
    assert (await client.get("/u/cy")).status_code == 404


async def test_profile_settings__needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/settings/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/profile"


async def test_profile_settings__saves_the_name_and_a_sanitised_bio(
    client: httpx.AsyncClient,
) -> None:
    # Given a logged-in member, and someone listening for profile changes
    account = await make_account("ada")
    await log_in(client, "ada")
    published: list[events.Event] = []

    async def listen(event: events.Event) -> None:
        published.append(event)

    events.bus.subscribe(events.ActorUpdated, listen)
    # When they save a name and a bio with Markdown and a script
    response = await post_profile(
        client, display_name="  Ada L.  ", bio="**Hello** <script>alert(1)</script>"
    )
    # Then both are stored, the bio rendered safely, and the change announced
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/profile?saved=profile"
    actor = await Actor.get(id=account.actor_id)
    assert actor.display_name == "Ada L."
    assert "<strong>Hello</strong>" in actor.summary_html
    assert "<script" not in actor.summary_html
    assert (await Account.get(id=account.id)).bio_source.startswith("**Hello**")
    assert published == [events.ActorUpdated(actor.id)]
    page = await client.get(response.headers["location"])
    assert "Your profile has been saved." in page.text


async def test_profile_settings__a_png_avatar_is_stored_resized_as_webp(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Given a logged-in member with an avatar already
    account = await make_account("ada")
    await log_in(client, "ada")
    await post_profile(client, avatar=("first.png", png(100, 100), "image/png"))
    first = (await Actor.get(id=account.actor_id)).avatar_path
    # When they upload a large PNG
    response = await post_profile(client, avatar=("me.png", png(800, 600), "image/png"))
    # Then it is stored as a 400x400 WebP under a new name, and the old file is gone
    assert response.status_code == 303
    actor = await Actor.get(id=account.actor_id)
    assert actor.avatar_path.endswith(".webp") and actor.avatar_path != first
    with Image.open(settings.media_dir / actor.avatar_path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (400, 400)
    assert not (settings.media_dir / first).exists()
    assert f'src="/media/{actor.avatar_path}"' in (await client.get("/u/ada")).text


async def test_profile_settings__removing_the_avatar_deletes_its_file(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await make_account("ada")
    await log_in(client, "ada")
    await post_profile(client, avatar=("me.png", png(), "image/png"))
    path = (await Actor.get(id=account.actor_id)).avatar_path
    response = await post_profile(client, remove_avatar="y")
    assert response.status_code == 303
    assert (await Actor.get(id=account.actor_id)).avatar_path == ""
    assert not (settings.media_dir / path).exists()


def media_files(media_dir: Path) -> list[str]:
    return sorted(p.name for p in media_dir.iterdir()) if media_dir.exists() else []


async def test_profile_settings__a_non_image_is_422_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # Given a logged-in member
    account = await make_account("ada", display_name="Ada")
    await log_in(client, "ada")
    # When they upload a text file named like an image, with a new name
    response = await post_profile(
        client, display_name="Changed", avatar=("me.png", b"not an image at all", "image/png")
    )
    # Then the form says why, and neither the name nor the files changed
    assert response.status_code == 422
    assert "not an image we can read" in response.text
    actor = await Actor.get(id=account.actor_id)
    assert actor.display_name == "Ada" and actor.avatar_path == ""
    assert media_files(settings.media_dir) == []


async def test_profile_settings__an_oversized_upload_is_413_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await make_account("ada", display_name="Ada")
    await log_in(client, "ada")
    # An upload just over the limit (within the form's own allowance for other fields)
    too_big = png(10, 10) + b"\0" * settings.max_upload_bytes
    response = await post_profile(
        client, display_name="Changed", avatar=("me.png", too_big, "image/png")
    )
    assert response.status_code == 413
    actor = await Actor.get(id=account.actor_id)
    assert actor.display_name == "Ada" and actor.avatar_path == ""
    assert media_files(settings.media_dir) == []


async def test_profile_settings__too_long_a_bio_is_422(client: httpx.AsyncClient) -> None:
    account = await make_account("ada")
    await log_in(client, "ada")
    response = await post_profile(client, bio="x" * 2001)
    assert response.status_code == 422
    assert (await Account.get(id=account.id)).bio_source == ""


async def test_profile_settings__without_csrf_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    account = await make_account("ada", display_name="Ada")
    await log_in(client, "ada")
    response = await post_profile(client, token=None, display_name="Changed")
    assert response.status_code == 403
    assert (await Actor.get(id=account.actor_id)).display_name == "Ada"


async def test_password_settings__changes_it_and_ends_other_sessions(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    # Given a member logged in twice (here, and on another device)
    account = await make_account("ada")
    await log_in(client, "ada")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=str(client.base_url),
        headers={"Accept": "text/html"},
    ) as other_device:
        await log_in(other_device, "ada")
        # When they change their password here
        token = await csrf(client, "/settings/password")
        new = "a brand new password"
        response = await client.post(
            "/settings/password",
            data={
                "current_password": PASSWORD,
                "password": new,
                "confirm": new,
                "csrf_token": token,
            },
        )
        # Then it is stored, this session continues, and the other one has ended
        assert response.status_code == 303
        assert verify_password((await Account.get(id=account.id)).password_hash, new)
        assert (await client.get("/settings/password")).status_code == 200
        assert (await other_device.get("/settings/password")).status_code == 303


async def test_password_settings__a_wrong_current_password_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    account = await make_account("ada")
    await log_in(client, "ada")
    token = await csrf(client, "/settings/password")
    new = "a brand new password"
    response = await client.post(
        "/settings/password",
        data={"current_password": "wrong", "password": new, "confirm": new, "csrf_token": token},
    )
    assert response.status_code == 422
    assert "not your current password" in response.text
    assert verify_password((await Account.get(id=account.id)).password_hash, PASSWORD)
