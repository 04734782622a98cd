"""The new-account link hold as an instance setting (Admin → Settings), the author told why
their post waits, and leaving a group only after a confirmation."""

from __future__ import annotations

import httpx
import pytest
from lxml import html as lxml_html
from starlette.applications import Starlette

from server.models import (
    Group,
    InstanceConfig,
    Membership,
    Notification,
    NotificationKind,
    Post,
    PostState,
)
from server.services import instance
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post
from tests.web.test_admin_settings import VALID

EXPLANATION = "The account is new, and posts with links from new accounts wait for a moderator."


def tree(response: httpx.Response) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.text)


def words(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


@pytest.fixture
async def thread(database: None) -> Post:
    """A thread in `physics` (olga's), where ben, whose account is brand new, is a member."""
    olga = await make_account("olga", admin=True)
    group = await make_group(olga, "physics")
    await join_as_member(group, await make_account("ben"))
    return await make_post(olga, group, title="Olga's thread")


async def reply_as_ben(client: httpx.AsyncClient, thread: Post) -> Post:
    await log_in(client, "ben")
    token = await csrf(client, f"/p/{thread.id}")
    response = await client.post(
        f"/p/{thread.id}/reply", data={"body": "See https://x.example", "csrf_token": token}
    )
    assert response.status_code == 303
    return await Post.get(parent_id=thread.id)


async def test_the_hold_follows_the_setting_and_zero_turns_it_off(
    client: httpx.AsyncClient, app: Starlette, thread: Post
) -> None:
    config = await instance.get_config()
    config.new_account_link_days = 0
    await config.save()
    reply = await reply_as_ben(client, thread)
    assert reply.state == PostState.PUBLISHED


async def test_the_author_sees_why_on_the_post_and_in_the_notification(
    client: httpx.AsyncClient, app: Starlette, thread: Post
) -> None:
    reply = await reply_as_ben(client, thread)
    assert (reply.state, reply.held_reason) == (PostState.HELD, "new_account_links")
    page = tree(await client.get(f"/p/{thread.id}"))
    [notice] = page.xpath('//p[@class="notice"]')
    assert EXPLANATION in words(notice)
    notification = await Notification.get(kind=NotificationKind.HELD_FOR_REVIEW)
    assert notification.text == EXPLANATION
    listing = tree(await client.get("/notifications"))
    assert EXPLANATION in words(listing.xpath('//li[contains(@class, "notification")]')[0])


async def test_admins_change_the_days_in_the_settings(
    client: httpx.AsyncClient, app: Starlette, thread: Post
) -> None:
    await log_in(client, "olga")
    page = tree(await client.get("/admin/settings"))
    assert page.xpath('//input[@name="new_account_link_days"]/@value') == ["7"]
    token = await csrf(client, "/admin/settings")
    response = await client.post(
        "/admin/settings", data={**VALID, "new_account_link_days": "0", "csrf_token": token}
    )
    assert response.status_code == 303
    assert (await InstanceConfig.get(id=1)).new_account_link_days == 0


@pytest.mark.parametrize("days", ["-1", "366", "seven", ""])
async def test_bad_numbers_of_days_are_refused_and_nothing_is_saved(
    client: httpx.AsyncClient, app: Starlette, thread: Post, days: str
) -> None:
    await log_in(client, "olga")
    token = await csrf(client, "/admin/settings")
    response = await client.post(
        "/admin/settings", data={**VALID, "new_account_link_days": days, "csrf_token": token}
    )
    assert response.status_code == 422
    assert tree(response).xpath('//p[@id="new_account_link_days-error"]')
    config = await InstanceConfig.get(id=1)
    assert (config.new_account_link_days, config.name) == (7, "Lyceum")


# --- leaving asks first ---------------------------------------------------------------------


async def test_leave__the_button_opens_a_confirmation_and_only_its_form_leaves(
    client: httpx.AsyncClient, app: Starlette, thread: Post
) -> None:
    await log_in(client, "ben")
    group_page = tree(await client.get("/g/physics"))
    # No one-click form on the group's pages: a link to the confirmation
    assert not group_page.xpath('//form[contains(@action, "/leave")]')
    [leave] = group_page.xpath('//a[normalize-space()="Leave"]/@href')
    confirm = tree(await client.get(leave))
    assert words(confirm.xpath("//h2")[0]) == "Leave Physics?"
    group = await Group.get(actor__username="physics")
    assert await Membership.filter(group=group, actor__username="ben").exists()
    [form] = confirm.xpath('//form[@action="/g/physics/leave"]')
    token = form.xpath('.//input[@name="csrf_token"]/@value')[0]
    response = await client.post("/g/physics/leave", data={"csrf_token": token})
    assert response.status_code == 303
    assert not await Membership.filter(group=group, actor__username="ben").exists()
