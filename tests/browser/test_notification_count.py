"""The unread count in the header, in a real browser at 360 px and on a desktop: it shows how
many notifications wait, and goes down when one is opened (which leads to the exact reply)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.flows import (
    ask_question,
    create_group,
    log_in,
    log_out,
    reply_to_thread,
    sign_up,
    unique,
)

VIEWPORTS = {"mobile": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def notifications_link(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Notifications")
    )


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_unread_count__goes_down_when_a_notification_is_opened(
    browser: Browser, live_server: str, viewport: str
) -> None:
    context = browser.new_context(base_url=live_server, viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        ada, ben, handle = unique("ada"), unique("ben"), unique("circle")
        title = f"Why does my loop never end {handle[-4:]}?"
        # Given Ada's question in her group, and two replies from Ben
        sign_up(page, ada, "Ada Lovelace")
        create_group(
            page, name=f"Circle {handle[-4:]}", handle=handle, description="Loops.", topics="code"
        )
        thread = ask_question(page, handle=handle, title=title, body="It runs for ever.")
        log_out(page)
        sign_up(page, ben, "Ben Okafor")
        page.goto(f"/g/{handle}")
        page.get_by_role("button", name="Join", exact=True).click()
        expect(page.get_by_role("link", name="Leave")).to_be_visible()
        page.goto(thread)
        reply_to_thread(page, "Check the condition first.")
        reply_to_thread(page, "And print the counter.")
        log_out(page)

        # When Ada logs in, the header says two notifications are unread
        log_in(page, ada)
        expect(notifications_link(page)).to_have_accessible_name("Notifications 2 unread")
        screenshot(page, f"unread-count-{viewport}")

        # When she opens the notification of the first reply
        notifications_link(page).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Notifications")
        first = page.get_by_role("link", name=f"replied to you in “{title}”").last
        first.click()
        # Then she lands on the thread at that reply, and the header says one is unread
        expect(page).to_have_url(re.compile(rf"{re.escape(thread)}#[0-9A-Za-z]{{26}}$"))
        anchor = page.url.rsplit("#", 1)[1]
        expect(page.locator(f"article[id='{anchor}']")).to_contain_text(
            "Check the condition first."
        )
        expect(notifications_link(page)).to_have_accessible_name("Notifications 1 unread")

        # And opening the other one leaves nothing unread: the badge is gone
        notifications_link(page).click()
        page.get_by_role("link", name=f"replied to you in “{title}”").first.click()
        expect(page).to_have_url(re.compile(rf"{re.escape(thread)}#[0-9A-Za-z]{{26}}$"))
        expect(notifications_link(page)).to_have_accessible_name("Notifications")
    finally:
        context.close()
