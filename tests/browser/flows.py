"""What a person does in Lyceum, step by step, through the pages only (no database shortcuts,
but for reading the mail the instance sent: `tests.mailbox`).

Every step finds fields by their visible label and buttons by their name, as a screen-reader
user would, so an unlabelled control fails here as well as in the audit. Each step ends by waiting
for what the person would see next, so the following step never races the page.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

from tests import mailbox

PASSWORD = "correct horse battery staple"


def unique(prefix: str) -> str:
    """A name no other test on the shared server uses: lower-case, fit for handles."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def sign_up(page: Page, username: str, display_name: str) -> None:
    page.goto("/signup")
    form = page.locator("main form")
    form.get_by_label("User name", exact=True).fill(username)
    form.get_by_label("Display name", exact=True).fill(display_name)
    form.get_by_label("E-mail address", exact=True).fill(f"{username}@example.org")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name=re.compile("sign up|create", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    here = urlsplit(page.url)
    page.goto(mailbox.signup_link(f"{here.scheme}://{here.netloc}", f"{username}@example.org"))
    page.get_by_role("button", name=re.compile("confirm|finish|create", re.IGNORECASE)).click()
    expect_logged_in(page)


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    form = page.locator("main form")
    form.get_by_label("E-mail or user name").fill(username)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect_logged_in(page)


def log_out(page: Page) -> None:
    _main_nav(page).get_by_role("button", name="Log out").click()
    expect(_main_nav(page).get_by_role("link", name="Log in")).to_be_visible()


def expect_logged_in(page: Page) -> None:
    expect(_main_nav(page).get_by_role("button", name="Log out")).to_be_visible()


def _main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def create_group(
    page: Page,
    *,
    name: str,
    handle: str,
    description: str,
    topics: str,
    members_only: bool = False,
) -> None:
    page.goto("/groups/new")
    form = page.locator("main form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Handle", exact=True).fill(handle)
    form.get_by_label("Description", exact=True).fill(description)
    form.get_by_label("Topics", exact=True).fill(topics)
    if members_only:
        form.get_by_role("radio", name=re.compile(r"^Members only:")).check()
    form.get_by_role("button", name="Create the group").click()
    expect(page).to_have_url(re.compile(rf"/g/{handle}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def open_new_post(page: Page, handle: str) -> Locator:
    """From the group's page, follow "New post"; returns the form."""
    page.goto(f"/g/{handle}")
    # The header's button comes first; an empty thread list may offer the same link again.
    page.get_by_role("link", name="New post").first.click()
    expect(page).to_have_url(re.compile(rf"/g/{handle}/new"))
    return page.locator("main form")


def fill_question(form: Locator, *, title: str, body: str) -> None:
    form.get_by_role("radio", name=re.compile(r"^Question:")).check()
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Text", exact=True).fill(body)


def submit_post(page: Page, form: Locator, title: str) -> str:
    """Post the form; returns the new thread's path (/p/<id>) once its page shows the title."""
    form.get_by_role("button", name="Post", exact=True).click()
    expect(page).to_have_url(re.compile(r"/p/[0-9A-Za-z]+$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    return "/p/" + page.url.rsplit("/p/", 1)[1]


def ask_question(page: Page, *, handle: str, title: str, body: str) -> str:
    """Post a question into the group; returns the thread's path (/p/<id>)."""
    form = open_new_post(page, handle)
    fill_question(form, title=title, body=body)
    return submit_post(page, form, title)


def reply_to_thread(page: Page, text: str) -> None:
    """On a thread page, answer the thread itself (not one of its replies)."""
    field = page.get_by_label("Reply to the thread", exact=True)
    field.fill(text)
    form = page.locator("form").filter(has=field)
    form.get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator("main").get_by_text(text)).to_be_visible()
