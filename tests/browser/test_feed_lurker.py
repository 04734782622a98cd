"""A lurker who never logs in finds a group's Atom feed on its page and follows it: the feed a
reader would subscribe to holds the group's newest post. On a 360 px phone and on a desktop."""

from __future__ import annotations

import feedparser
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.flows import ask_question, create_group, sign_up, unique

SCREENS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("screen", SCREENS.keys())
def test_lurker__finds_the_groups_atom_feed_and_it_holds_the_newest_post(
    page: Page, browser: Browser, live_server: str, screen: str
) -> None:
    # Given a group whose newest post is a question (made by a member in the browser)
    handle = unique("feeds")
    sign_up(page, unique("ada"), "Ada Lovelace")
    create_group(page, name=f"Feed readers {handle[-4:]}", handle=handle, description="", topics="")
    ask_question(page, handle=handle, title="An older question", body="First.")
    newest = f"What is new in {handle}?"
    thread = ask_question(page, handle=handle, title=newest, body="The newest post.")

    # When a lurker, never logged in, opens the group's page on their screen
    lurker_context = browser.new_context(base_url=live_server, viewport=SCREENS[screen])
    try:
        lurker = lurker_context.new_page()
        lurker.goto(f"/g/{handle}")
        # Then the page announces its Atom feed in <head>, and shows a visible Feed link
        announced = lurker.locator('head link[rel="alternate"][type="application/atom+xml"]')
        expect(announced.first).to_have_attribute("href", f"/g/{handle}/feed.atom")
        visible = lurker.get_by_role("link", name="Feed", exact=True)
        expect(visible).to_be_visible()
        expect(visible).to_have_attribute("href", f"/g/{handle}/feed.atom")

        # When they follow it, as a feed reader would
        response = lurker.request.get(str(visible.get_attribute("href")))
        # Then it is an Atom feed whose first entry is the newest post, linking to its thread
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.body())
        assert feed.bozo == 0 and feed.version == "atom10"
        assert feed.entries[0].title == newest
        assert feed.entries[0].link == f"{live_server}{thread}"
        assert [entry.title for entry in feed.entries] == [newest, "An older question"]
    finally:
        lurker_context.close()
