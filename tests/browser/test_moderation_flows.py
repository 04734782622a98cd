"""Moderation in a real browser: two Lyceum processes, A and B, federating over loopback.

A report is filed and resolved with a removal; a domain is blocked and its posts disappear; a
join request is approved; a moderator bans a member. The admin pages are kept as screenshots.
People and groups are made with the `lyceum` command, as an operator would; everything else is
done through the pages. What comes from B reaches A through signed requests and the workers, so
those steps reload the page until it shows (bounded, like every wait here).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.flows import log_in, unique
from tests.live.harness import (
    BIN,
    CLI_SECONDS,
    OPERATOR,
    PASSWORD,
    REPO_ROOT,
    Instance,
    start_instances,
    stop_instances,
)

FEDERATION_SECONDS = 30.0  # a few worker hops between the two processes


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    a, b = start_instances(["A", "B"], tmp_path_factory.mktemp("moderation"))
    try:
        yield a, b
    finally:
        stop_instances([a, b])


def lyceum(instance: Instance, *args: str, stdin: str = "") -> None:
    """Run `lyceum <args>` as the instance's operator would."""
    done = subprocess.run(
        [str(BIN / "lyceum"), *args],
        env=instance.env,
        cwd=REPO_ROOT,
        input=stdin.encode(),
        capture_output=True,
        timeout=CLI_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"lyceum {' '.join(args)}: {done.stderr.decode()}"


def person(instance: Instance, username: str) -> str:
    lyceum(
        instance,
        *("user", "create", username, f"{username}@example.org", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    return username


def group(instance: Instance, handle: str, *, approval: bool = False) -> str:
    flags = ["--approval"] if approval else []
    lyceum(instance, "group", "create", handle, handle.title(), "--owner", OPERATOR, *flags)
    return handle


def on(browser: Browser, instance: Instance, username: str) -> Page:
    """A fresh browser context on the instance, logged in as `username`."""
    context: BrowserContext = browser.new_context(
        base_url=instance.base_url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, username)
    return page


def join(page: Page, handle: str) -> None:
    page.goto(f"/g/{handle}")
    page.locator("header.group-header").get_by_role("button", name="Join").click()
    expect(page.get_by_role("link", name="Leave")).to_be_visible()


def start_thread(page: Page, group_path: str, title: str, body: str) -> str:
    page.goto(f"{group_path}/new")
    form = page.locator("main form")
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Text", exact=True).fill(body)
    form.get_by_role("button", name="Post", exact=True).click()
    expect(page).to_have_url(re.compile(r"/p/[0-9A-Za-z]+$"))
    return "/p/" + page.url.rsplit("/p/", 1)[1]


def reload_until(
    page: Page, path: str, shown: Locator | None = None, *, gone: Locator | None = None
) -> None:
    """Reload `path` until `shown` is visible (or `gone` is not), within FEDERATION_SECONDS."""
    deadline = time.monotonic() + FEDERATION_SECONDS
    while True:
        page.goto(path)
        try:
            if shown is not None:
                expect(shown).to_be_visible(timeout=500)
            if gone is not None:
                expect(gone).to_have_count(0, timeout=500)
            return
        except AssertionError:
            if time.monotonic() >= deadline:
                raise


def thread_link(page: Page, title: str) -> Locator:
    return page.locator("main").get_by_role("link", name=title, exact=True)


def test_moderation__a_report_is_filed_and_resolved_with_a_removal(
    browser: Browser, network: tuple[Instance, Instance]
) -> None:
    a, _ = network
    handle, mia, rex = group(a, unique("club")), person(a, unique("mia")), person(a, unique("rex"))
    title = unique("Cheap watches ")

    # Given Rex's thread in a group that Mia is in too
    rex_page, mia_page = on(browser, a, rex), on(browser, a, mia)
    join(rex_page, handle)
    join(mia_page, handle)
    thread = start_thread(rex_page, f"/g/{handle}", title, "Buy them from me, today only.")

    # When Mia reports it
    mia_page.goto(thread)
    mia_page.get_by_role("link", name=re.compile(r"^Report this post")).click()
    mia_page.get_by_label("What is wrong?").fill("Advertising, against rule 2.")
    mia_page.get_by_role("button", name="Send the report").click()
    expect(mia_page.get_by_role("heading", level=1)).to_contain_text("Thank")

    # Then the admin finds it in the report queue, and resolves it by removing the post
    admin = on(browser, a, OPERATOR)
    admin.goto("/admin/reports")
    expect(admin.get_by_text("Advertising, against rule 2.")).to_be_visible()
    screenshot(admin, "admin-reports")
    admin.locator("main").get_by_role("link", name=re.compile(r"^Report about")).first.click()
    admin.get_by_role("radio", name="Remove the post").check()
    admin.get_by_label("Reason (kept in the moderation log)").fill("Advertising.")
    screenshot(admin, "admin-report")
    admin.get_by_role("button", name="Apply").click()
    expect(admin.get_by_text("The report has been handled.")).to_be_visible()

    # And the thread is gone from the group for Mia, and the moderation log says why
    mia_page.goto(f"/g/{handle}")
    expect(thread_link(mia_page, title)).to_have_count(0)
    mia_page.goto(f"/g/{handle}/modlog")
    expect(mia_page.locator("main")).to_contain_text("Advertising.")


def test_moderation__a_blocked_domains_posts_disappear(
    browser: Browser, network: tuple[Instance, Instance]
) -> None:
    a, b = network
    handle, bea = group(a, unique("open")), person(b, unique("bea"))
    title = unique("Hello from B ")

    # Given Bea on B, who found the group on A, joined it and posted into it
    bea_page = on(browser, b, bea)
    bea_page.goto("/groups")
    bea_page.get_by_label("Handle or address").fill(a.handle(handle))
    bea_page.get_by_role("button", name="Find").click()
    remote_path = bea_page.url.removeprefix(b.base_url)
    bea_page.locator("header.group-header").get_by_role("button", name="Join").click()
    reload_until(bea_page, remote_path, bea_page.get_by_role("link", name="Leave"))
    start_thread(bea_page, remote_path, title, "Greetings across the fediverse.")
    admin = on(browser, a, OPERATOR)
    reload_until(admin, f"/g/{handle}", thread_link(admin, title))

    # When A's admin suspends B's domain
    admin.goto("/admin/domains")
    form = admin.locator("main form").filter(has=admin.get_by_role("button", name="Block"))
    form.get_by_label("Domain", exact=True).fill(b.domain)
    form.get_by_role("radio", name=re.compile(r"^Suspend")).check()
    form.get_by_label("Reason", exact=True).fill("Spam factory.")
    form.get_by_role("button", name="Block").click()
    expect(admin.locator("main")).to_contain_text(b.domain)
    screenshot(admin, "admin-domains")

    # Then Bea's thread is gone from the group on A
    admin.goto(f"/g/{handle}")
    expect(thread_link(admin, title)).to_have_count(0)


def test_moderation__a_join_request_is_approved(
    browser: Browser, network: tuple[Instance, Instance]
) -> None:
    a, _ = network
    handle, ida = group(a, unique("closed"), approval=True), person(a, unique("ida"))

    # Given Ida asks to join an approval group
    ida_page = on(browser, a, ida)
    ida_page.goto(f"/g/{handle}")
    ida_page.get_by_role("link", name="Ask to join").click()
    ida_page.get_by_label("Message", exact=False).fill("I teach this subject.")
    ida_page.get_by_role("button", name="Send the request").click()
    expect(ida_page.get_by_text("Request pending")).to_be_visible()

    # When the group's owner accepts the request
    owner = on(browser, a, OPERATOR)
    owner.goto(f"/g/{handle}/requests")
    expect(owner.get_by_text("I teach this subject.")).to_be_visible()
    screenshot(owner, "group-requests")
    owner.get_by_role("button", name=re.compile(r"^Accept")).click()

    # Then Ida is a member
    ida_page.goto(f"/g/{handle}")
    expect(ida_page.get_by_role("link", name="Leave")).to_be_visible()


def test_moderation__a_moderator_bans_a_member(
    browser: Browser, network: tuple[Instance, Instance]
) -> None:
    a, _ = network
    handle, max_ = group(a, unique("ring")), person(a, unique("max"))
    max_page = on(browser, a, max_)
    join(max_page, handle)

    # When the group's moderator bans Max from the member list
    moderator = on(browser, a, OPERATOR)
    moderator.goto(f"/g/{handle}/members")
    moderator.get_by_role("link", name=re.compile(rf"^Ban {max_}")).click()
    moderator.get_by_label(re.compile(r"^Reason")).fill("Harassing other members.")
    moderator.get_by_role("button", name=re.compile(r"^Ban ")).click()
    moderator.goto(f"/g/{handle}/bans")
    expect(moderator.locator("main")).to_contain_text(max_)
    screenshot(moderator, "group-bans")

    # Then Max is out of the group and cannot join again
    max_page.goto(f"/g/{handle}")
    expect(max_page.get_by_role("link", name="Leave")).to_have_count(0)
    max_page.locator("header.group-header").get_by_role("button", name="Join").click()
    expect(max_page.locator("main")).to_contain_text("banned")


ADMIN_PAGES = [
    ("/admin", "admin-dashboard"),
    ("/admin/settings", "admin-settings"),
    ("/admin/users", "admin-users"),
    ("/admin/groups", "admin-groups"),
    ("/admin/federation", "admin-federation"),
    ("/admin/audit", "admin-audit"),
]


def test_moderation__the_admin_pages_render_with_their_navigation(
    browser: Browser, network: tuple[Instance, Instance]
) -> None:
    a, _ = network
    admin = on(browser, a, OPERATOR)
    for path, name in ADMIN_PAGES:
        admin.goto(path)
        expect(admin.get_by_role("heading", level=1)).to_be_visible()
        current = admin.get_by_role("navigation", name="Admin").locator("[aria-current=page]")
        expect(current).to_have_attribute("href", path)
        screenshot(admin, name)
