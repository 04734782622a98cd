"""Pages load images from this instance only: remote avatars and icons go through the proxy.

Every page kind that shows remote people, groups or posts is rendered with remote media URLs
pointing elsewhere (one of them a private address), and every attribute a browser fetches on
its own (`src`, `srcset`, `poster`, `data`, icon and stylesheet links, CSS `url(...)`) must stay
on this instance's origin.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from server.media_urls import PROXY_PREFIX
from server.models import Actor, ActorKind, Post
from server.services import groups, remote_groups
from server.services.remote import IncomingPost, RemoteProfile, receive_post, upsert_remote_actor
from tests.conftest import BASE_URL
from tests.helpers import log_in, make_account, make_group, make_post

FETCHED_ATTRIBUTES = {"src", "srcset", "poster", "data", "background", "xlink:href"}
FETCHED_LINKS = {"icon", "stylesheet", "preload", "prefetch", "manifest", "apple-touch-icon"}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.IGNORECASE)
HOSTILE_HTML = (
    '<p>Look <img src="https://tracker.example/pixel.png"> '
    '<span style="background:url(https://tracker.example/bg.png)">here</span>'
    '<video poster="https://tracker.example/p.png"></video>'
    '<picture><source srcset="https://tracker.example/s.png"></picture></p>'
)


class _Fetches(HTMLParser):
    """Every URL in a page that the browser would load without a click."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in FETCHED_ATTRIBUTES & values.keys():
            if name == "srcset":
                self.urls += [part.split()[0] for part in values[name].split(",") if part.strip()]
            else:
                self.urls.append(values[name])
        if tag == "link" and FETCHED_LINKS & set(values.get("rel", "").lower().split()):
            self.urls.append(values.get("href", ""))
        if tag in ("image", "use") and "href" in values:
            self.urls.append(values["href"])
        self.urls += CSS_URL.findall(values.get("style", ""))
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += CSS_URL.findall(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


def fetched_urls(html: str) -> list[str]:
    parser = _Fetches()
    parser.feed(html)
    return parser.urls


def _on_our_origin(url: str) -> bool:
    if url.startswith(BASE_URL + "/"):
        return True
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def test_fetched_urls__finds_every_kind_of_fetch() -> None:
    # The checker itself: each way of loading something is found
    urls = fetched_urls(
        HOSTILE_HTML + '<link rel="icon" href="https://a.example/i.ico">'
        '<link rel="canonical" href="https://a.example/page">'
        '<style>body{background:url("https://a.example/b.png")}</style>'
        '<svg><image href="https://a.example/i.svg"/></svg><object data="https://a.example/o">'
    )
    assert sorted(urls) == [
        "https://a.example/b.png",
        "https://a.example/i.ico",
        "https://a.example/i.svg",
        "https://a.example/o",
        "https://tracker.example/bg.png",
        "https://tracker.example/p.png",
        "https://tracker.example/pixel.png",
        "https://tracker.example/s.png",
    ]
    assert not _on_our_origin("//tracker.example/x.png")
    assert not _on_our_origin("http://lyceum.test.evil.example/x.png")


@pytest.fixture
async def world(client: httpx.AsyncClient) -> dict[str, str]:
    """A local group with a remote member and a remote post, and a group on another server;
    every remote picture hosted elsewhere. Returns the pages to check."""
    ada = await make_account("ada", admin=True)
    physics = await make_group(ada, "physics")
    bob = await upsert_remote_actor(
        RemoteProfile(
            ap_id="https://elsewhere.example/users/bob",
            kind=ActorKind.PERSON,
            username="bob",
            domain="elsewhere.example",
            display_name="Bob",
            summary_html=HOSTILE_HTML,
            icon_url="http://10.0.0.1/a.png",
        )
    )
    await groups.request_membership(physics, bob)
    carol = await upsert_remote_actor(
        RemoteProfile(
            ap_id="https://other.example/users/carol",
            kind=ActorKind.PERSON,
            username="carol",
            domain="other.example",
            icon_url="https://other.example/carol.webp",
        )
    )
    await groups.request_membership(physics, carol)
    post: Post = await receive_post(
        bob,
        physics,
        IncomingPost(
            ap_id="https://elsewhere.example/notes/1",
            content_html=HOSTILE_HTML,
            title="Pictures",
        ),
    )
    await make_post(ada, physics, title="Local thread", body="![x](https://tracker.example/m.png)")
    main = await upsert_remote_actor(
        RemoteProfile(
            ap_id="https://remote.example/c/main",
            kind=ActorKind.GROUP,
            username="main",
            domain="remote.example",
            display_name="Main",
            summary_html=HOSTILE_HTML,
            icon_url="https://remote.example/icon.png",
        )
    )
    await remote_groups.track_remote_group(main)
    await groups.request_membership(
        await groups.get_group("main@remote.example"), await Actor.get(id=ada.actor_id)
    )
    await log_in(client, "ada")
    return {
        "members": "/g/physics/members",
        "about": "/g/physics/about",
        "group": "/g/physics",
        "post": f"/p/{post.id}",
        "directory": "/groups",
        "remote_group": "/g/main@remote.example",
        "remote_members": "/g/main@remote.example/members",
        "remote_about": "/g/main@remote.example/about",
        "admin_person": f"/admin/actors/{bob.id}",
        "admin_users": "/admin/users?q=bob",
        "admin_groups": "/admin/groups",
        "profile": "/u/ada",
        "home": "/",
    }


async def test_pages__load_no_image_from_another_host(
    client: httpx.AsyncClient, world: dict[str, str]
) -> None:
    # When each page kind showing remote people, groups and posts is rendered
    offsite: dict[str, list[str]] = {}
    proxied: set[str] = set()
    for name, path in world.items():
        response = await client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        urls = fetched_urls(response.text)
        offsite[name] = [url for url in urls if not _on_our_origin(url)]
        proxied |= {url for url in urls if url.startswith(PROXY_PREFIX)}
    # Then none of them loads anything from another host
    assert offsite == {name: [] for name in world}
    # And the remote pictures are there, through the proxy: Bob's and Carol's on the members
    # list, the remote group's icon on its page
    assert len(proxied) == 3


async def test_members_page__remote_avatar_goes_through_the_proxy(
    client: httpx.AsyncClient, world: dict[str, str]
) -> None:
    # Given Bob's icon on a private address, When the members page is shown
    page = await client.get(world["members"])
    # Then his avatar is a proxy path, and the private address appears nowhere
    assert "10.0.0.1" not in page.text
    assert any(url.startswith(PROXY_PREFIX) for url in fetched_urls(page.text))
