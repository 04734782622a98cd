"""The resource library: sharing links, pinned resources first, pins for moderators only."""

from __future__ import annotations

import httpx

from server.models import Post
from server.services import posts
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post


async def test_new_resource__member_shares_a_link(client: httpx.AsyncClient) -> None:
    # Given a member on the form, which offers the resource kind
    owner = await make_account("teacher")
    await make_group(owner, "rustlings")
    await log_in(client, "teacher")
    form = await client.get("/g/rustlings/new?kind=resource")
    assert 'checked id="kind-2" name="kind" type="radio" value="resource"' in form.text
    # When they share a link with a description
    response = await client.post(
        "/g/rustlings/new",
        data={
            "csrf_token": await csrf(client, "/g/rustlings/new"),
            "kind": "resource",
            "title": "The Rust Book",
            "link_url": "https://doc.rust-lang.org/book/",
            "body": "The official *book*.",
        },
    )
    # Then it is in the library with its link
    assert response.status_code == 303
    library = await client.get("/g/rustlings/resources")
    assert "The Rust Book" in library.text
    assert 'href="https://doc.rust-lang.org/book/"' in library.text


async def test_new_resource__without_a_web_link_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("teacher")
    await make_group(owner, "rustlings")
    await log_in(client, "teacher")
    token = await csrf(client, "/g/rustlings/new")
    for link in ("", "javascript:alert(1)", "not a url"):
        response = await client.post(
            "/g/rustlings/new",
            data={"csrf_token": token, "kind": "resource", "title": "Bad", "link_url": link},
        )
        assert response.status_code == 422
        assert 'id="link_url-error"' in response.text
    assert await Post.all().count() == 0


async def test_library__pinned_first_with_buttons_for_moderators_only(
    client: httpx.AsyncClient,
) -> None:
    # Given two resources, the older one pinned
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    pinned = await make_post(
        owner, group, kind="resource", title="Pinned one", link_url="https://a.example"
    )
    await make_post(owner, group, kind="resource", title="Newer one", link_url="https://b.example")
    await posts.pin_resource(owner, pinned)
    # When the moderator opens the library
    await log_in(client, "teacher")
    page = await client.get("/g/rustlings/resources")
    # Then the pinned one comes first, under its heading, with an Unpin button
    assert page.status_code == 200
    assert page.text.index("Pinned one") < page.text.index("Newer one")
    assert "Pinned by the moderators" in page.text
    assert f'action="/p/{pinned.id}/unpin"' in page.text and '/pin"' in page.text
    # When a plain member opens it, Then there are no pin buttons
    member = await make_account("student")
    await join_as_member(group, member)
    client.cookies.clear()
    await log_in(client, "student")
    member_page = await client.get("/g/rustlings/resources")
    assert "/unpin" not in member_page.text and '/pin"' not in member_page.text


async def test_pin__moderator_pins_member_gets_403(client: httpx.AsyncClient) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    resource = await make_post(owner, group, kind="resource", link_url="https://a.example")
    member = await make_account("student")
    await join_as_member(group, member)
    await log_in(client, "student")
    token = await csrf(client, "/g/rustlings/resources")
    assert (
        await client.post(f"/p/{resource.id}/pin", data={"csrf_token": token})
    ).status_code == 403
    assert (await Post.get(id=resource.id)).pinned_at is None
    client.cookies.clear()
    await log_in(client, "teacher")
    token = await csrf(client, "/g/rustlings/resources")
    response = await client.post(f"/p/{resource.id}/pin", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/g/rustlings/resources"
    assert (await Post.get(id=resource.id)).pinned_at is not None
    response = await client.post(f"/p/{resource.id}/unpin", data={"csrf_token": token})
    assert response.status_code == 303
    assert (await Post.get(id=resource.id)).pinned_at is None


async def test_library__empty_state(client: httpx.AsyncClient) -> None:
    owner = await make_account("teacher")
    await make_group(owner, "rustlings")
    response = await client.get("/g/rustlings/resources")
    assert response.status_code == 200
    assert "No resources shared yet" in response.text
