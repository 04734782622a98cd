"""The newcomer path, end to end in a real browser against a real server process.

Ada signs up, starts a group and asks a question; Ben signs up, finds the group, joins and
answers; Ada accepts the answer; a visitor who is not logged in reads the thread and sees which
answer was accepted. Screenshots of the main pages are kept as test artifacts.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.flows import (
    create_group,
    expect_logged_in,
    fill_question,
    log_in,
    log_out,
    open_new_post,
    reply_to_thread,
    sign_up,
    submit_post,
    unique,
)


def test_newcomer_path__question_answered_accepted_and_read_by_a_visitor(
    page: Page, browser: Browser, context: BrowserContext, live_server: str
) -> None:
    ada, ben = unique("ada"), unique("ben")
    handle = unique("stats")
    group_name = f"Statistics circle {handle[-4:]}"
    title = "How do I read a confidence interval?"
    answer = "It is a range built so that 95% of such ranges would contain the true value."

    # Given the front page invites a visitor to sign up
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    screenshot(page, "signup")

    # When Ada signs up, starts a group and asks a question in it
    sign_up(page, ada, "Ada Lovelace")
    create_group(
        page,
        name=group_name,
        handle=handle,
        description="We help each other **understand** statistics.",
        topics="statistics, maths",
    )
    form = open_new_post(page, handle)
    fill_question(form, title=title, body="The textbook definition confuses me.")
    screenshot(page, "new-post")
    thread = submit_post(page, form, title)
    # Then her question is shown as a thread, with no replies yet
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_text("The textbook definition confuses me.")).to_be_visible()
    expect(page.get_by_text("No replies yet.")).to_be_visible()
    log_out(page)

    # When Ben signs up, searches the directory for the group and joins it
    sign_up(page, ben, "Ben Okafor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    directory_search = page.locator("main").get_by_role("search")
    directory_search.get_by_label("Search groups").fill(group_name)
    directory_search.get_by_role("button", name="Search").click()
    result = page.get_by_role("link", name=group_name)
    expect(result).to_be_visible()
    screenshot(page, "group-directory")
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(group_name)
    page.get_by_role("button", name="Join", exact=True).click()
    # Then he is a member: the page offers to leave instead of to join
    expect(page.get_by_role("link", name="Leave")).to_be_visible()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    screenshot(page, "group")

    # When he opens the question and answers it
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    reply_to_thread(page, answer)
    # Then his answer is on the thread, not yet accepted
    ben_reply = page.get_by_role("article", name="Reply by Ben Okafor")
    expect(ben_reply).to_contain_text(answer)
    expect(ben_reply).not_to_contain_text("Accepted answer")
    log_out(page)

    # When Ada logs in, she is told about the reply
    log_in(page, ada)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("main")).to_contain_text(f"Ben Okafor replied to you in “{title}”.")
    screenshot(page, "notifications")

    # When she opens the question and accepts Ben's answer
    page.goto(thread)
    ben_reply = page.get_by_role("article", name="Reply by Ben Okafor")
    ben_reply.get_by_role("button", name="Accept this answer").click()
    # Then that answer, and no other post, is marked as accepted, and the question as answered
    ben_reply = page.get_by_role("article", name="Reply by Ben Okafor")
    expect(ben_reply).to_contain_text("Accepted answer")
    expect(page.get_by_text(re.compile("Accepted answer"))).to_have_count(1)
    expect(page.get_by_role("link", name="answered", exact=True)).to_be_visible()

    # And her profile lists the group she started
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.get_by_role("link", name=group_name)).to_be_visible()
    screenshot(page, "profile")

    # When a visitor who is not logged in opens the question
    visitor = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        reader = visitor.new_page()
        reader.goto(thread)
        # Then they read it, with Ben's answer marked as the accepted one, and cannot act on it
        expect(reader.get_by_role("heading", level=1, name=title)).to_be_visible()
        accepted = reader.get_by_role("article", name="Reply by Ben Okafor")
        expect(accepted).to_contain_text(answer)
        expect(accepted).to_contain_text("Accepted answer")
        expect(reader.get_by_role("navigation", name="Main")).to_contain_text("Log in")
        expect(reader.get_by_role("button", name="Accept this answer")).to_have_count(0)
        screenshot(reader, "thread-accepted")
    finally:
        visitor.close()
    expect_logged_in(page)
