"""Gone posts answer 410 with a Tombstone; held and foreign ones are not found."""

from __future__ import annotations

import httpx
import pytest

from server.models import Post, PostState, utcnow
from tests.helpers import make_account, make_group, make_post_row

AS2 = {"Accept": "application/activity+json"}


async def test_post__published_is_a_note(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group, title="Hello", source="World")
    response = await client.get(f"/p/{post.id}", headers=AS2)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    note = response.json()
    assert note["id"] == f"http://lyceum.test/p/{post.id}"
    assert note["type"] == "Note"
    assert note["source"] == {"content": "World", "mediaType": "text/markdown"}
    assert "updated" not in note


async def test_post__edited_note_carries_updated(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group, edited_at=utcnow())
    note = (await client.get(f"/p/{post.id}", headers=AS2)).json()
    assert note["updated"].endswith("Z")


@pytest.mark.parametrize(
    ("state", "field"), [(PostState.DELETED, "deleted_at"), (PostState.REMOVED, "removed_at")]
)
async def test_post__deleted_or_removed_is_a_410_tombstone(
    client: httpx.AsyncClient, state: PostState, field: str
) -> None:
    # Given a post deleted by its author, or removed by a moderator
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group, state=state, **{field: utcnow()})
    # When a peer fetches it
    response = await client.get(f"/p/{post.id}", headers=AS2)
    # Then it is gone, with a Tombstone under the same id
    assert response.status_code == 410
    assert response.headers["content-type"] == "application/activity+json"
    tombstone = response.json()
    assert tombstone["id"] == f"http://lyceum.test/p/{post.id}"
    assert tombstone["type"] == "Tombstone"
    assert tombstone["formerType"] == "Note"
    assert tombstone["deleted"].endswith("Z")
    assert "content" not in tombstone
    # And the group's Announce of it is gone too
    announce = await client.get(f"/g/physics/announces/{post.id}", headers=AS2)
    assert announce.status_code == 410
    assert announce.json()["id"] == f"http://lyceum.test/g/physics/announces/{post.id}"
    # And nothing was changed by reading
    assert (await Post.get(id=post.id)).state == state


async def test_post__held_is_404(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group, state=PostState.HELD)
    response = await client.get(f"/p/{post.id}", headers=AS2)
    assert response.status_code == 404
    assert "error" in response.json()


async def test_post__from_elsewhere_is_not_served_as_ours(client: httpx.AsyncClient) -> None:
    # Given a post that came from another server
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group, ap_id="https://elsewhere.example/notes/1")
    # When a peer asks us for it, then we do not claim it
    response = await client.get(f"/p/{post.id}", headers=AS2)
    assert response.status_code == 404


@pytest.mark.parametrize("post_id", ["nope", "01" + "x" * 24, "../../etc"])
async def test_post__bad_or_unknown_id_is_404(client: httpx.AsyncClient, post_id: str) -> None:
    response = await client.get(f"/p/{post_id}", headers=AS2)
    assert response.status_code == 404


async def test_announce__published_post_is_announced_by_id(client: httpx.AsyncClient) -> None:
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group)
    url = f"http://lyceum.test/g/physics/announces/{post.id}"
    response = await client.get(url, headers=AS2)
    assert response.status_code == 200
    announce = response.json()
    assert announce["id"] == url
    assert announce["type"] == "Announce"
    assert announce["object"] == f"http://lyceum.test/p/{post.id}"
    assert announce["cc"] == ["http://lyceum.test/g/physics/followers"]


async def test_post__relative_links_become_absolute(client: httpx.AsyncClient) -> None:
    # Given a post whose stored HTML links a hashtag relative to this instance
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    post = await make_post_row(owner, group, source="About #optics")
    # When a peer fetches it, then the link points at this instance, not at the peer
    note = (await client.get(f"/p/{post.id}", headers=AS2)).json()
    assert 'href="http://lyceum.test/tags/optics"' in note["content"]
    assert 'href="/' not in note["content"]
