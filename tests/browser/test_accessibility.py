"""The main pages on a 360 px phone: no side-scrolling; landmarks, labels, contrast, keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.audit import problems
from tests.browser.conftest import screenshot
from tests.browser.flows import ask_question, create_group, sign_up, unique

PHONE = {"width": 360, "height": 740}

PUBLIC_PAGES = [
    ("front", "/"),
    ("signup", "/signup"),
    ("login", "/login"),
    ("groups", "/groups"),
]


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    """A logged-out visitor on a 360 x 740 screen."""
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@dataclass(frozen=True)
class Sample:
    """A group with a question in it, and the logged-in session of the member who asked."""

    handle: str
    thread: str
    member_state: Any  # Playwright's storage state: the member's cookies


@pytest.fixture(scope="module")
def sample(browser: Browser, live_server: str) -> Sample:
    """Made once through the pages by a member on a desktop screen."""
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_up(page, unique("mia"), "Mia Phone")
        handle = unique("phones")
        create_group(
            page,
            name="Small screens club",
            handle=handle,
            description="A group for checking pages on a phone.",
            topics="design, accessibility",
        )
        thread = ask_question(
            page,
            handle=handle,
            title="Does this thread fit on a 360 px screen without scrolling sideways?",
            body="A long unbroken word: " + "supercalifragilistic" * 4,
        )
        return Sample(handle=handle, thread=thread, member_state=context.storage_state())
    finally:
        context.close()


def _audit(page: Page, path: str, name: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"
    screenshot(page, f"phone-{name}")
    found = problems(page)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES, ids=[n for n, _ in PUBLIC_PAGES])
def test_public_page__fits_a_phone_and_is_accessible(phone: Page, name: str, path: str) -> None:
    # Given a logged-out visitor on a 360 px wide screen
    # When they open the page
    # Then it does not scroll sideways, has one <main> and one <h1>, labelled controls, and
    # readable contrast
    _audit(phone, path, name)


@pytest.mark.parametrize(
    ("name", "path"),
    [("group", "/g/{handle}"), ("group-about", "/g/{handle}/about"), ("thread", "{thread}")],
    ids=["group", "group-about", "thread"],
)
def test_content_page__fits_a_phone_and_is_accessible(
    phone: Page, sample: Sample, name: str, path: str
) -> None:
    # Given a group with a question in it, and a logged-out visitor on a phone
    # When they open one of its pages
    # Then it fits the screen and passes the audit
    _audit(phone, path.format(handle=sample.handle, thread=sample.thread), name)


@pytest.mark.parametrize(
    ("name", "path"),
    [("new-group", "/groups/new"), ("new-post", "/g/{handle}/new"), ("thread-member", "{thread}")],
    ids=["new-group", "new-post", "thread-member"],
)
def test_member_page__fits_a_phone_and_is_accessible(
    browser: Browser, live_server: str, sample: Sample, name: str, path: str
) -> None:
    # Given the member who asked, now on a phone (the reply and moderation controls show)
    context = browser.new_context(
        base_url=live_server, viewport=PHONE, storage_state=sample.member_state
    )
    context.set_default_timeout(10_000)
    try:
        # When they open one of the forms or their thread
        # Then it fits the screen and passes the audit
        _audit(context.new_page(), path.format(handle=sample.handle, thread=sample.thread), name)
    finally:
        context.close()


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES, ids=[n for n, _ in PUBLIC_PAGES])
def test_skip_link__is_the_first_tab_stop_and_moves_focus_to_main(
    phone: Page, name: str, path: str
) -> None:
    # Given a freshly loaded page
    phone.goto(path)
    # When the visitor presses Tab
    phone.keyboard.press("Tab")
    # Then the skip link has the focus, and is visible while it has it
    skip = phone.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    # When they press Enter on it
    phone.keyboard.press("Enter")
    # Then the focus is on the main content
    expect(phone.locator("main")).to_be_focused()


def test_audit__reports_each_kind_of_problem(phone: Page) -> None:
    # Given a page that breaks every rule the audit checks
    phone.set_content(
        """<html><body>
        <div style="width: 900px">too wide</div>
        <main><h1>One</h1><h1>Two</h1>
        <input name="nameless"><button></button>
        <p style="color: #bbbbbb; background: #ffffff">faint</p></main>
        </body></html>"""
    )
    # When it is audited
    found = "\n".join(problems(phone))
    # Then every problem is named
    assert "scrolls sideways" in found
    assert "2 <h1> elements" in found
    assert "no lang attribute" in found
    assert "no <title>" in found
    assert "without a label: input[name=nameless]" in found
    assert "link or button without a name: button" in found
    assert 'low text contrast: p "faint"' in found
