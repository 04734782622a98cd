"""Search in a real browser, on a phone-sized screen and on a desktop: the header's box finds a
reply by a word of its body, and asking a question shows an answered similar one (by the
"Check for similar questions" button without JavaScript, and while typing with it)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.flows import (
    ask_question,
    create_group,
    open_new_post,
    reply_to_thread,
    sign_up,
    unique,
)

VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def _answered_question(page: Page, word: str) -> tuple[str, str]:
    """Sign up, start a group, ask a question about `word`, answer and accept it; returns the
    group's handle and the question's title."""
    sign_up(page, unique("ada"), "Ada Lovelace")
    handle = unique("algebra")
    create_group(
        page,
        name=f"Algebra {handle[-4:]}",
        handle=handle,
        description="Algebra help.",
        topics="maths",
    )
    title = f"How do I factor {word} polynomials?"
    ask_question(page, handle=handle, title=title, body="Cubic ones, mostly.")
    reply_to_thread(page, f"Look for a rational root of the {word} first, then divide.")
    page.get_by_role("button", name="Accept this answer").click()
    expect(page.get_by_text(re.compile("Accepted answer"))).to_have_count(1)
    return handle, title


@pytest.mark.parametrize("viewport", VIEWPORTS.keys())
def test_search__the_header_box_finds_a_reply_by_a_word_of_its_body(
    browser: Browser, live_server: str, viewport: str
) -> None:
    context = browser.new_context(base_url=live_server, viewport=VIEWPORTS[viewport])
    page = context.new_page()
    try:
        word = unique("quux")
        _answered_question(page, word)
        # When someone types the reply's word in the header's search box
        page.goto("/groups")
        box = page.get_by_role("search").get_by_role("searchbox", name="Search")
        box.fill(f"rational {word}")
        box.press("Enter")
        # Then the results list the reply, in its thread, with the word marked
        expect(page).to_have_url(re.compile(r"/search\?q="))
        results = page.locator("ol.search-results")
        expect(
            results.get_by_role("link", name=re.compile(r"^Reply in “How do I factor"))
        ).to_be_visible()
        expect(results.locator("mark", has_text=word).first).to_be_visible()
        screenshot(page, f"search-results-{viewport}")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("viewport", "javascript"), [("phone", False), ("desktop", True), ("phone", True)]
)
def test_search__asking_shows_an_answered_similar_question(
    browser: Browser, live_server: str, viewport: str, javascript: bool
) -> None:
    context = browser.new_context(
        base_url=live_server, viewport=VIEWPORTS[viewport], java_script_enabled=javascript
    )
    page = context.new_page()
    try:
        word = unique("quux")
        handle, _ = _answered_question(page, word)
        # When she starts another question with a similar title
        form = open_new_post(page, handle)
        form.get_by_role("radio", name=re.compile(r"^Question:")).check()
        form.get_by_label("Title", exact=True).fill(f"Factoring {word} polynomials again")
        if not javascript:
            form.get_by_role("button", name="Check for similar questions").click()
            form = page.locator("main form")
            # What she typed is kept
            expect(form.get_by_label("Title", exact=True)).to_have_value(
                f"Factoring {word} polynomials again"
            )
        # Then the answered question is shown, marked answered
        similar = page.locator("#similar-questions")
        link = similar.get_by_role("link", name=re.compile(re.escape(word)))
        expect(link).to_be_visible()
        expect(similar.locator("li").filter(has_text=word)).to_contain_text("answered")
        screenshot(page, f"similar-{viewport}-{'js' if javascript else 'nojs'}")
    finally:
        context.close()
