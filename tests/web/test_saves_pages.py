"""The Save button on a thread and the /saved list: CSRF, login, bad input, and what is shown."""

from __future__ import annotations

import httpx
from lxml import html as lxml_html

from server.models import SavedPost
from tests.helpers import csrf, join_as_member, log_in, make_account, make_group, make_post


async def test_save__from_the_thread_to_the_list_and_back(client: httpx.AsyncClient) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "physics")
    reader = await make_account("reader")
    await join_as_member(group, reader)
    post = await make_post(owner, group, title="Kinematics notes")
    await log_in(client, "reader")
    # When the reader presses Save on the thread
    token = await csrf(client, f"/p/{post.id}")
    response = await client.post(f"/p/{post.id}/save", data={"csrf_token": token, "action": "save"})
    assert (response.status_code, response.headers["location"]) == (303, f"/p/{post.id}")
    # Then the thread offers Unsave, and /saved lists the post
    thread = lxml_html.fromstring((await client.get(f"/p/{post.id}")).text)
    assert thread.xpath('//form[@action=$a]//button[@value="unsave"]', a=f"/p/{post.id}/save")
    saved = lxml_html.fromstring((await client.get("/saved")).text)
    assert saved.xpath("//ul[contains(@class, 'saved-posts')]//a/text()")[0] == "Kinematics notes"
    # When they unsave it from the list, they are back on the list, now empty
    response = await client.post(
        f"/p/{post.id}/save",
        data={"csrf_token": token, "action": "unsave", "return_to": "saved"},
    )
    assert response.headers["location"] == "/saved"
    assert not await SavedPost.exists(account=reader)
    assert "You have saved nothing yet" in (await client.get("/saved")).text


async def test_save__refused_without_login_csrf_or_a_known_action(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_account("teacher")
    group = await make_group(owner, "physics")
    post = await make_post(owner, group, title="Kinematics notes")
    anonymous = await client.post(f"/p/{post.id}/save", data={"action": "save"})
    assert anonymous.status_code in (303, 403)
    assert (await client.get("/saved")).status_code in (303, 403)
    await make_account("reader")
    await log_in(client, "reader")
    token = await csrf(client, f"/p/{post.id}")
    forged = await client.post(f"/p/{post.id}/save", data={"action": "save"})
    assert forged.status_code == 403
    bad = await client.post(f"/p/{post.id}/save", data={"csrf_token": token, "action": "keep"})
    assert 400 <= bad.status_code < 500
    unknown = await client.post(f"/p/{'0' * 26}/save", data={"csrf_token": token, "action": "save"})
    assert unknown.status_code == 404
    assert not await SavedPost.exists()
