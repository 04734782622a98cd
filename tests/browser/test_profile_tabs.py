"""A person's contributions on their profile, in a real browser at 360 px and on a desktop: the
tabs show their counts, fit the screen, and switching tabs lists that kind only; the member list
shows the same counts for the group."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.audit import problems
from tests.browser.conftest import screenshot
from tests.browser.flows import ask_question, create_group, sign_up, unique

VIEWPORTS = {"mobile": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def tab(page: Page, label: str) -> object:
    return page.get_by_role("navigation", name="Contributions").get_by_role("link", name=label)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_profile_tabs__count_each_kind_and_list_the_chosen_one(
    browser: Browser, live_server: str, viewport: str
) -> None:
    context = browser.new_context(base_url=live_server, viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # Given Ada asked two questions in her group
        ada, handle = unique("ada"), unique("optics")
        sign_up(page, ada, "Ada Lovelace")
        create_group(
            page,
            name=f"Optics {handle[-4:]}",
            handle=handle,
            description="Light.",
            topics="physics",
        )
        for title in ("Why is the sky blue?", "Why are sunsets red?"):
            ask_question(page, handle=handle, title=title, body="I wonder.")
        # When anyone opens her profile
        page.goto(f"/u/{ada}")
        nav = page.get_by_role("navigation", name="Contributions")
        # Then each tab shows its count, the first (posts) is current and empty
        expect(nav.get_by_role("link", name="Questions 2")).to_be_visible()
        expect(nav.get_by_role("link", name="Posts 0")).to_have_attribute("aria-current", "page")
        expect(page.get_by_text("Ada Lovelace has no posts here yet.")).to_be_visible()
        assert not problems(page), problems(page)
        # When she picks the Questions tab, then both questions are listed, newest first
        nav.get_by_role("link", name="Questions 2").click()
        expect(nav.get_by_role("link", name="Questions 2")).to_have_attribute(
            "aria-current", "page"
        )
        items = page.locator("ul.contribution-list > li > a:first-child")
        expect(items).to_have_text(["Why are sunsets red?", "Why is the sky blue?"])
        assert not problems(page), problems(page)
        screenshot(page, f"profile-tabs-{viewport}")
        # And the group's member list counts them beside her name
        page.goto(f"/g/{handle}/members")
        expect(page.locator(".contributed").first).to_have_text(
            "0 posts · 2 questions · 0 replies · 0 accepted answers · 0 resources"
        )
        assert not problems(page), problems(page)
    finally:
        context.close()
