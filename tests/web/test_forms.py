"""Reading forms (web/forms.py): text made storable, bodies capped while they stream, CSRF."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from server.models import Account, Actor, Group, Post
from server.settings import Settings
from tests.conftest import BASE_URL
from tests.helpers import csrf, log_in, make_account, make_group, make_post
from web.forms import clean_text


async def member_of_a_group(client: httpx.AsyncClient) -> tuple[Group, str]:
    owner = await make_account("olga")
    group = await make_group(owner, "physics")
    await log_in(client, "olga")
    return group, await csrf(client)


def test_clean_text__strips_control_characters_but_tab_and_line_breaks() -> None:
    assert clean_text("a\x00b\x07c\x1b[0m\x7f\td\r\ne") == "abc[0m\td\r\ne"


def test_clean_text__a_lone_surrogate_becomes_the_replacement_character() -> None:
    assert clean_text("x\ud800y\udfff") == "x\ufffdy\ufffd"
    assert clean_text("\u202eright-to-left \U0001f393") == "\u202eright-to-left \U0001f393"


async def test_read_form__nul_in_a_new_post_is_stripped_before_it_is_stored(
    client: httpx.AsyncClient,
) -> None:
    # Given a member of a group
    group, token = await member_of_a_group(client)
    # When they post a thread whose title and text hold NUL bytes
    fields = {"kind": "discussion", "title": "Wave\x00s", "body": "Light\x00 is\ta wave"}
    response = await client.post(
        f"/g/{group.actor.username}/new", data=fields | {"csrf_token": token}
    )
    # Then it is stored without them (PostgreSQL would refuse them)
    assert response.status_code == 303
    post = await Post.get(title="Waves")
    assert post.source == "Light is\ta wave"


async def test_read_form__nul_in_a_reply_is_stripped(client: httpx.AsyncClient) -> None:
    # Given a thread, when its group's owner replies with NUL bytes around the text
    group, token = await member_of_a_group(client)
    thread = await make_post(await Account.get(actor__username="olga"), group)
    response = await client.post(
        f"/p/{thread.id}/reply", data={"body": "\x00Agreed\x00", "csrf_token": token}
    )
    # Then the reply is stored without them
    assert response.status_code == 303
    assert await Post.filter(parent_id=thread.id, source="Agreed").exists()


async def test_read_form__nul_in_a_new_group_is_stripped(client: httpx.AsyncClient) -> None:
    # Given a logged-in person, when they start a group with NUL bytes in every field
    await make_account("ada")
    await log_in(client, "ada")
    token = await csrf(client, "/groups/new")
    fields = {
        "csrf_token": token,
        "name": "Rust\x00 learners",
        "handle": "rust\x00_learners",
        "description": "We \x00learn",
        "rules": "\x00",
        "topics": "rust\x00",
        "join_policy": "open",
        "posting_policy": "members",
    }
    response = await client.post("/groups/new", data=fields)
    # Then the group is made, its texts stored without them
    assert response.status_code == 303
    actor = await Actor.get(username="rust_learners")
    assert actor.display_name == "Rust learners"
    assert (await Group.get(actor=actor)).description_source == "We learn"


async def test_read_form__a_csrf_token_with_non_ascii_text_is_403(
    client: httpx.AsyncClient,
) -> None:
    # Given a logged-in member, when a form comes with a token that is not ASCII
    group, _ = await member_of_a_group(client)
    response = await client.post(
        f"/g/{group.actor.username}/new", data={"title": "x", "body": "y", "csrf_token": "é"}
    )
    # Then it is refused as a forged form, not a server error
    assert response.status_code == 403


class CountingApp:
    """The app, counting the body bytes it pulls from the receive channel."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.pulled = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            self.pulled += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


CHUNK = 64 * 1024


async def endless(head: bytes, filler: bytes) -> AsyncIterator[bytes]:
    """A chunked body: `head`, then 100 MiB of `filler`, 64 KiB at a time."""
    yield head
    for _ in range(1600):
        yield filler * (CHUNK // len(filler))


@pytest.mark.parametrize("as_multipart", [True, False])
async def test_read_form__a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
    app: Starlette, settings: Settings, as_multipart: bool
) -> None:
    # Given a logged-in person and a body sent without a Content-Length
    counting = CountingApp(app)
    transport = httpx.ASGITransport(app=counting)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        await make_account("ada")
        await log_in(client, "ada")
        token = await csrf(client, "/groups/new")
        if as_multipart:
            content_type = "multipart/form-data; boundary=b"
            head = (
                f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                '--b\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            limit, path = settings.max_upload_bytes + 64 * 1024, "/groups/new"
        else:
            content_type = "application/x-www-form-urlencoded"
            head = f"csrf_token={token}&handle=".encode()
            limit, path = settings.max_form_bytes, "/groups/find"
        counting.pulled = 0
        # When it streams 100 MiB to a form
        response = await client.post(
            path, content=endless(head, b"0"), headers={"Content-Type": content_type}
        )
    # Then it is a 413, and the app stopped reading within one chunk of the limit
    assert response.status_code == 413
    assert limit < counting.pulled <= limit + CHUNK
    assert await Group.all().count() == 0
