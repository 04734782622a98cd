"""Every kind of page, logged out, as a member and as an admin, on a 360 px phone and a desktop:
no axe-core violation of WCAG 2.2 A/AA (any impact), valid HTML per the Nu Html Checker, and the
project's own audit (no side-scrolling, one <main> and <h1>, labels, contrast, heading levels).

One Lyceum process with an admin (made by the `lyceum` command); the member, her group, a thread
with a reply, a report and a notification are made through the pages. One browser and one page
per (role, screen) serve every test; each page kind costs one page load per screen.

To check a new kind of page, add it to PAGE_KINDS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.browser.audit import problems
from tests.browser.conftest import screenshot
from tests.browser.flows import ask_question, create_group, log_in, reply_to_thread, sign_up, unique
from tests.browser.page_checks import HtmlChecker, axe_violations, skip_or_fail_without_tools
from tests.live.harness import OPERATOR, Instance, start_instances, stop_instances

VISITOR, MEMBER, ADMIN = "visitor", "member", "admin"
SCREENS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def _submit_empty(page: Page) -> Response:
    """Send the page's main form as it is (empty): the answer shows the form with its errors."""
    with page.expect_navigation() as navigation:
        # The form's own submit button, not a step such as "check for similar questions".
        page.locator("main form").last.locator("button[type=submit]:not([name=step])").first.click()
    response = navigation.value
    assert response is not None
    return response


def _check_similar(page: Page) -> Response:
    """Type a title and take the no-JavaScript "check for similar questions" step."""
    page.locator("#title").fill("Does every page pass?")
    with page.expect_navigation() as navigation:
        page.locator("button[name=step][value=similar]").click()
    response = navigation.value
    assert response is not None
    return response


@dataclass(frozen=True)
class PageKind:
    """A kind of page: where it is, who looks at it, and what they do there before the checks."""

    name: str
    path: (
        str  # may name {handle}, {thread}, {tag}, {member}, {user}, {admin_report}, {group_report},
        # {invite}
    )
    roles: tuple[str, ...]
    status: int = 200
    then: Callable[[Page], Response] | None = field(default=None, compare=False)


PAGE_KINDS = [
    # Anyone
    PageKind("front", "/", (VISITOR, MEMBER, ADMIN)),
    PageKind("signup", "/signup", (VISITOR,)),
    PageKind("login", "/login", (VISITOR,)),
    PageKind("login-with-errors", "/login", (VISITOR,), status=422, then=_submit_empty),
    PageKind("reset", "/reset", (VISITOR,)),
    PageKind("about", "/about", (VISITOR,)),
    PageKind("about-blocks", "/about/blocks", (VISITOR,)),
    PageKind("groups", "/groups", (VISITOR, MEMBER)),
    PageKind("group", "/g/{handle}", (VISITOR, MEMBER, ADMIN)),
    PageKind("group-about", "/g/{handle}/about", (VISITOR,)),
    PageKind("group-members", "/g/{handle}/members", (VISITOR, MEMBER)),
    PageKind("group-resources", "/g/{handle}/resources", (VISITOR,)),
    PageKind("members-only", "/g/{private_handle}", (VISITOR,), status=403),
    PageKind("thread", "{thread}", (VISITOR, MEMBER, ADMIN)),
    PageKind("tag", "/tags/{tag}", (VISITOR,)),
    PageKind("profile", "/u/{member}", (VISITOR, MEMBER)),
    PageKind("profile-tab", "/u/{member}?tab=questions", (VISITOR,)),
    PageKind("invite-unusable", "/invite/no-such-code", (VISITOR,), status=404),
    PageKind("invite", "{invite}", (VISITOR, ADMIN)),
    PageKind("not-found", "/no/such/page", (VISITOR,), status=404),
    PageKind("search", "/search", (VISITOR,)),
    PageKind("search-results", "/search?q=checkers", (VISITOR, MEMBER)),
    PageKind("search-no-results", "/search?q=zzzzqqq", (VISITOR,)),
    # Members
    PageKind("home", "/home", (MEMBER,)),
    PageKind("notifications", "/notifications", (MEMBER,)),
    PageKind("new-group", "/groups/new", (MEMBER,)),
    PageKind("find-group", "/groups/find", (MEMBER,)),
    PageKind("new-post", "/g/{handle}/new", (MEMBER,)),
    PageKind("new-post-with-errors", "/g/{handle}/new", (MEMBER,), status=422, then=_submit_empty),
    PageKind("edit-post", "{thread}/edit", (MEMBER,)),
    PageKind("report-post", "{thread}/report", (ADMIN,)),
    PageKind("reports-sent", "/reports/sent", (ADMIN,)),
    PageKind("settings-profile", "/settings/profile", (MEMBER,)),
    PageKind("settings-password", "/settings/password", (MEMBER,)),
    PageKind("settings-sessions", "/settings/sessions", (MEMBER,)),
    PageKind("settings-email", "/settings/email", (MEMBER,)),
    PageKind("settings-watches", "/settings/watches", (MEMBER,)),
    PageKind("saved", "/saved", (MEMBER,)),
    PageKind("new-post-similar", "/g/{handle}/new", (MEMBER,), then=_check_similar),
    # Moderators (the member owns the group)
    PageKind("group-moderation", "/g/{handle}/moderation", (MEMBER,)),
    PageKind("group-requests", "/g/{handle}/requests", (MEMBER,)),
    PageKind("group-settings", "/g/{handle}/settings", (MEMBER,)),
    PageKind("group-bans", "/g/{handle}/bans", (MEMBER,)),
    PageKind("group-invites", "/g/{handle}/invites", (MEMBER,)),
    PageKind("group-leave", "/g/{handle}/leave", (ADMIN,)),
    PageKind("group-modlog", "/g/{handle}/modlog", (MEMBER,)),
    PageKind("group-reports", "/g/{handle}/reports", (MEMBER,)),
    PageKind("group-report", "{group_report}", (MEMBER,)),
    PageKind("group-insights", "/g/{handle}/insights", (MEMBER,)),
    PageKind("group-value-report", "/g/{handle}/insights/report", (MEMBER,)),
    # Admins
    PageKind("admin-dashboard", "/admin", (ADMIN,)),
    PageKind("admin-insights", "/admin/insights", (ADMIN,)),
    PageKind("admin-insights-bad-range", "/admin/insights?from=nope", (ADMIN,), status=400),
    PageKind("admin-value-report", "/admin/insights/report", (ADMIN,)),
    PageKind("admin-reports", "/admin/reports", (ADMIN,)),
    PageKind("admin-report", "{admin_report}", (ADMIN,)),
    PageKind("admin-users", "/admin/users", (ADMIN,)),
    PageKind("admin-user", "{user}", (ADMIN,)),
    PageKind("admin-groups", "/admin/groups", (ADMIN,)),
    PageKind("admin-group", "/admin/groups/{handle}", (ADMIN,)),
    PageKind("admin-settings", "/admin/settings", (ADMIN,)),
    PageKind("admin-registration", "/admin/registration", (ADMIN,)),
    PageKind("admin-signups", "/admin/signups", (ADMIN,)),
    PageKind("admin-invites", "/admin/invites", (ADMIN,)),
    PageKind("admin-federation", "/admin/federation", (ADMIN,)),
    PageKind("admin-domains", "/admin/domains", (ADMIN,)),
    PageKind("admin-domains-import", "/admin/domains/import", (ADMIN,)),
    PageKind("admin-audit", "/admin/audit", (ADMIN,)),
    PageKind("admin-mail", "/admin/mail", (ADMIN,)),
    PageKind("admin-badges", "/admin/badges", (ADMIN,)),
]

CASES = [
    pytest.param(kind, role, screen, id=f"{kind.name}-{role}-{screen}")
    for kind in PAGE_KINDS
    for role in kind.roles
    for screen in SCREENS
]


@dataclass(frozen=True)
class World:
    """What the pages were made to show, and the logged-in sessions of the member and the admin."""

    values: dict[str, str]
    states: dict[str, Any]  # role → Playwright storage state (cookies)


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    skip_or_fail_without_tools()
    (a,) = start_instances(["A"], tmp_path_factory.mktemp("accessibility"))
    try:
        yield a
    finally:
        stop_instances([a])


@pytest.fixture(scope="module")
def html_checker() -> Iterator[HtmlChecker]:
    skip_or_fail_without_tools()
    checker = HtmlChecker()
    yield checker
    checker.close()


def _path_of(page: Page, link: str) -> str:
    href = (
        page.locator("main").get_by_role("link", name=re.compile(link)).first.get_attribute("href")
    )
    assert href is not None
    return href


@pytest.fixture(scope="module")
def world(browser: Browser, instance: Instance) -> World:
    """A member with a group and a question; the admin replies and reports it."""
    states: dict[str, Any] = {VISITOR: None}
    member_context = browser.new_context(base_url=instance.base_url)
    admin_context = browser.new_context(base_url=instance.base_url)
    try:
        member_context.set_default_timeout(10_000)
        admin_context.set_default_timeout(10_000)
        member = member_context.new_page()
        username = unique("mia")
        sign_up(member, username, "Mia Checks")
        handle = unique("pages")
        create_group(
            member,
            name="Pages club",
            handle=handle,
            description="A group for checking every kind of page.",
            topics="design, accessibility",
        )
        thread = ask_question(
            member,
            handle=handle,
            title="Does every page pass the checkers?",
            body="A long unbroken word: " + "supercalifragilistic" * 4 + " #checkers",
        )
        admin = admin_context.new_page()
        log_in(admin, OPERATOR)
        admin.goto(f"/g/{handle}")
        admin.locator("main").get_by_role("button", name="Join").click()
        expect(admin.locator("main").get_by_role("link", name="Leave")).to_be_visible()
        admin.goto(thread)
        reply_to_thread(admin, "It should; the tests say so.")
        admin.goto(thread + "/report")
        admin.locator("main form textarea").first.fill("A report, to fill the report pages.")
        admin.locator("main form").get_by_role("button", name=re.compile("report", re.I)).click()
        admin.goto("/admin/reports")
        admin_report = _path_of(admin, r"^Report about")
        admin.goto("/admin/users")
        user = _path_of(admin, re.escape(username))
        member.goto(f"/g/{handle}/reports")
        group_report = _path_of(member, r"^Report about")
        member.goto(f"/g/{handle}/invites")
        member.locator("main").get_by_role("button", name="Make the link").click()
        link = member.locator("main input.invite-link").first.input_value()
        invite = "/invite/" + link.rsplit("/invite/", 1)[1]
        private_handle = unique("inner")
        create_group(
            member,
            name="Inner circle",
            handle=private_handle,
            description="A members-only group.",
            topics="",
            members_only=True,
        )
        states[MEMBER] = member_context.storage_state()
        states[ADMIN] = admin_context.storage_state()
        values = {
            "handle": handle,
            "thread": thread,
            "tag": "checkers",
            "member": username,
            "user": user,
            "admin_report": admin_report,
            "group_report": group_report,
            "invite": invite,
            "private_handle": private_handle,
        }
        return World(values=values, states=states)
    finally:
        member_context.close()
        admin_context.close()


@pytest.fixture(scope="module")
def pages(browser: Browser, instance: Instance, world: World) -> Iterator[dict[str, Page]]:
    """One page per (role, screen), opened on first use and kept for the module."""
    opened: dict[str, Page] = {}

    class Pages(dict[str, Page]):
        def __missing__(self, key: str) -> Page:
            role, screen = key.split("/")
            context = browser.new_context(
                base_url=instance.base_url,
                viewport=SCREENS[screen],  # type: ignore[arg-type]
                storage_state=world.states[role],
            )
            context.set_default_timeout(10_000)
            page = context.new_page()
            opened[key] = page
            self[key] = page
            return page

    yield Pages()
    for page in opened.values():
        page.context.close()


def _open(page: Page, kind: PageKind, values: dict[str, str]) -> Response:
    path = kind.path.format(**values)
    response = page.goto(path)
    assert response is not None
    if kind.then is not None:
        assert response.status == 200, f"{path} answered {response.status}"
        response = kind.then(page)
    assert response.status == kind.status, f"{path} answered {response.status}"
    return response


@pytest.mark.parametrize(("kind", "role", "screen"), CASES)
def test_page_kind__passes_axe_the_html_checker_and_the_audit(
    pages: dict[str, Page],
    world: World,
    html_checker: HtmlChecker,
    kind: PageKind,
    role: str,
    screen: str,
) -> None:
    # Given a visitor, the member or the admin, on a phone or a desktop
    page = pages[f"{role}/{screen}"]
    # When they open this kind of page
    response = _open(page, kind, world.values)
    if screen == "phone":
        screenshot(page, f"phone-{kind.name}-{role}")
    # Then axe finds no WCAG 2.2 A/AA violation, the audit no problem, and (once per role, the
    # HTML being the same on any screen) the Nu Html Checker no error or warning
    found = axe_violations(page) + problems(page)
    if screen == "desktop":
        found += html_checker.problems(response.text(), f"{page.url} ({role})")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_form_with_errors__summary_takes_the_focus_and_links_to_the_field(
    pages: dict[str, Page], world: World, screen: str
) -> None:
    # Given the member on the new-post form
    page = pages[f"{MEMBER}/{screen}"]
    page.goto(f"/g/{world.values['handle']}/new")
    # When they post it empty
    _submit_empty(page)
    # Then the title starts with "Error:", and the error summary has the focus
    assert page.title().startswith("Error: "), page.title()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    # And its link goes to the field in error, whose error and hint both describe it
    link = summary.get_by_role("link").first
    target = link.get_attribute("href")
    assert target is not None and target.startswith("#")
    link.click()
    field_in_error = page.locator(target)
    expect(field_in_error).to_be_focused()
    described = (field_in_error.get_attribute("aria-describedby") or "").split()
    if field_in_error.get_attribute("type") != "radio":
        assert any(name.endswith("-hint") for name in described), described
    assert any(name.endswith("-error") for name in described) or field_in_error.evaluate(
        "(el) => el.closest('fieldset').getAttribute('aria-describedby')"
    ), described


def test_page_structure__thread_title_is_the_h1_descriptions_and_url_fields(
    pages: dict[str, Page], world: World
) -> None:
    # Given a visitor
    page = pages[f"{VISITOR}/desktop"]
    # When they open a thread, then the h1 is the thread's title (the group's name is not one)
    page.goto(world.values["thread"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Does every page pass the checkers?")
    # When they open the front page and the directory, then each has a meta description
    for path in ("/", "/groups"):
        page.goto(path)
        description = page.locator('head meta[name="description"]').get_attribute("content")
        assert description and description.strip(), path
    # And the member's new-post form asks for a link in a URL field (a URL keyboard on phones)
    member = pages[f"{MEMBER}/desktop"]
    member.goto(f"/g/{world.values['handle']}/new")
    expect(member.get_by_label("Link (resources only)")).to_have_attribute("type", "url")


@pytest.mark.parametrize(
    ("name", "path"), [("front", "/"), ("login", "/login")], ids=["front", "login"]
)
def test_skip_link__is_the_first_tab_stop_and_moves_focus_to_main(
    pages: dict[str, Page], name: str, path: str
) -> None:
    # Given a freshly loaded page on a phone
    phone = pages[f"{VISITOR}/phone"]
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


def test_focus_style__has_3_to_1_contrast_on_links_buttons_fields_and_summaries(
    pages: dict[str, Page], world: World
) -> None:
    # Given the member's thread page, with links, buttons, a text field and <summary> toggles
    page = pages[f"{MEMBER}/desktop"]
    page.goto(world.values["thread"])
    # When each kind of control takes the keyboard focus
    for selector in ("main a[href]", "main button", "main textarea", "main summary"):
        control = page.locator(f"{selector} >> visible=true").first
        control.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        # Then it shows the yellow-and-black focus style (≥ 3:1 against white and the buttons)
        style = control.evaluate(
            """(el) => { const s = getComputedStyle(el);
              return [s.backgroundColor, s.outlineColor, s.boxShadow].join(" | "); }"""
        )
        assert "rgb(255, 221, 0)" in style, f"{selector}: {style}"
        assert "rgb(11, 12, 12)" in style, f"{selector}: {style}"


def test_checkers__report_what_they_are_for(
    pages: dict[str, Page], html_checker: HtmlChecker
) -> None:
    # Given a page that breaks rules each checker knows
    html = """<!doctype html><html><head><title>x</title></head><body>
        <main><h1>One</h1><h3>Three</h3><input name="nameless">
        <time datetime="2026-12-04T17:12:52.123456+00:00">now</time>
        <p id="twice"></p><p id="twice"></p></main></body></html>"""
    page = pages[f"{VISITOR}/desktop"].context.new_page()
    page.set_content(html)
    # When they are run
    axe = "\n".join(axe_violations(page))
    audit = "\n".join(problems(page))
    vnu = "\n".join(html_checker.problems(html, "sample"))
    # Then each names what is wrong
    assert "axe html-has-lang" in axe and "axe label" in axe, axe
    assert "a heading level skipped: h1 then h3" in audit, audit
    assert "A fraction of a second must be one, two, or three digits" in vnu, vnu
    assert "Duplicate ID" in vnu, vnu


def test_audit__reports_each_kind_of_problem(pages: dict[str, Page]) -> None:
    # Given a page that breaks every rule the audit checks
    phone = pages[f"{VISITOR}/phone"].context.new_page()
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
