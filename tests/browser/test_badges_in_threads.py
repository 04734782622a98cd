"""Badges beside names in a thread, on a 360 px phone and a desktop: an admin creates a custom
badge and gives it on the admin page; a visitor sees it beside the holder's name (and not beside
anyone else's), with no axe violation and no side-scrolling; the profile lists it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.audit import problems
from tests.browser.conftest import screenshot
from tests.browser.flows import ask_question, create_group, log_in, reply_to_thread, sign_up, unique
from tests.browser.page_checks import axe_violations, skip_or_fail_without_tools
from tests.live.harness import OPERATOR, Instance, start_instances, stop_instances

SCREENS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
BADGE = "Mentor of the month, for patient and thorough explanations"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    skip_or_fail_without_tools()
    (a,) = start_instances(["A"], tmp_path_factory.mktemp("badges"))
    try:
        yield a
    finally:
        stop_instances([a])


@pytest.fixture(scope="module")
def thread(browser: Browser, instance: Instance) -> dict[str, str]:
    """Mia's question, answered by the operator; the operator gives Mia a custom badge."""
    context = browser.new_context(base_url=instance.base_url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        mia, handle = unique("mia"), unique("levers")
        sign_up(page, mia, "Mia Badgeholder")
        create_group(
            page,
            name="Levers club",
            handle=handle,
            description="Simple machines.",
            topics="physics",
        )
        url = ask_question(page, handle=handle, title="How do levers work?", body="And why?")
        page.context.clear_cookies()
        log_in(page, OPERATOR)
        page.goto(f"/g/{handle}")
        page.locator("main").get_by_role("button", name="Join").click()
        expect(page.locator("main").get_by_role("link", name="Leave")).to_be_visible()
        page.goto(url)
        reply_to_thread(page, "Torque: force times distance.")
        give_badge(page, mia)
        return {"url": url, "mia": mia}
    finally:
        context.close()


def give_badge(page: Page, username: str) -> None:
    page.goto("/admin/badges")
    create = page.locator("main form", has=page.get_by_role("button", name="Create the badge"))
    create.get_by_label("Name", exact=True).fill(BADGE)
    create.get_by_label("What it recognises").fill("Chosen by the admins each month.")
    create.get_by_role("button", name="Create the badge").click()
    expect(page.get_by_text("The badge has been created.")).to_be_visible()
    give = page.locator("main form", has=page.get_by_role("button", name="Give the badge"))
    give.get_by_label("Badge").select_option(label=BADGE)
    give.get_by_label("Person").fill(username)
    give.get_by_label("Why (shown on their profile)").fill("Thanks for the question.")
    give.get_by_role("button", name="Give the badge").click()
    expect(page.get_by_text("The badge has been given")).to_be_visible()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_thread__the_badge_shows_beside_its_holders_name(
    browser: Browser, instance: Instance, thread: dict[str, str], screen: str
) -> None:
    context = browser.new_context(base_url=instance.base_url, viewport=SCREENS[screen])  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        # When a visitor opens the thread
        page.goto(thread["url"])
        # Then the badge shows beside Mia's name, under the title, and beside no one else's
        root_meta = page.locator("article.root p.meta")
        expect(root_meta.get_by_role("link", name="Mia Badgeholder")).to_be_visible()
        expect(root_meta.locator(".author-badges .badge")).to_have_text([BADGE])
        expect(page.locator("article.reply .author-badges")).to_have_count(0)
        # And the long badge name wraps inside the screen, with no accessibility problem
        screenshot(page, f"badges-thread-{screen}")
        found = axe_violations(page) + problems(page)
        assert not found, "\n".join(found)
        # And Mia's profile lists it with the reason
        page.goto(f"/u/{thread['mia']}")
        badges = page.get_by_role("region", name="Badges")
        expect(badges.get_by_role("listitem")).to_have_count(1)
        expect(badges.get_by_role("listitem")).to_contain_text(
            re.compile(re.escape(BADGE) + r".*Thanks for the question\.", re.S)
        )
        found = axe_violations(page) + problems(page)
        assert not found, "\n".join(found)
    finally:
        context.close()
