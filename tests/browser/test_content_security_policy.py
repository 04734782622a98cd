"""Every kind of page under the Content-Security-Policy, in Chromium: none of them makes the
browser refuse anything (no inline script or style, nothing from another origin).

One Lyceum process with an admin (the `lyceum` command makes it, as an operator would); a group
and a thread made through the pages. Each page is loaded with a listener for the browser's
`securitypolicyviolation` events and its console, and must leave both silent about the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage

from tests.browser.conftest import screenshot
from tests.browser.flows import ask_question, create_group, log_in, unique
from tests.live.harness import OPERATOR, Instance, start_instances, stop_instances

# Reports every violation as a console error, which the test collects with the browser's own,
# and counts them in the page, so that a test can wait for them.
REPORT_VIOLATIONS = """
window.cspViolations = 0;
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("csp-violation: " + event.violatedDirective + " " + event.blockedURI);
  window.cspViolations += 1;
});
"""
VIOLATION = re.compile(r"csp-violation|Content Security Policy", re.IGNORECASE)

VISITOR_PAGES = ["/", "/login", "/signup", "/reset", "/about", "/groups", "/no/such/page"]
MEMBER_PAGES = [
    "/home",
    "/notifications",
    "/u/{operator}",
    "/groups/new",
    "/g/{handle}",
    "/g/{handle}/about",
    "/g/{handle}/new",
    "/g/{handle}/moderation",
    "{thread}",
    "/settings/profile",
    "/settings/password",
    "/settings/sessions",
    "/admin",
    "/admin/users",
    "/admin/groups",
    "/admin/groups/{handle}",
    "/admin/reports",
    "/admin/domains",
    "/admin/federation",
    "/admin/audit",
    "/admin/settings",
    "/admin/registration",
    "/admin/signups",
    "/admin/invites",
    "/about/blocks",
]


class Watched:
    """A page whose policy violations are collected."""

    def __init__(self, context: BrowserContext) -> None:
        context.add_init_script(REPORT_VIOLATIONS)
        self.page = context.new_page()
        self.violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if VIOLATION.search(message.text):
            self.violations.append(message.text)

    def visit(self, path: str) -> list[str]:
        """Load the page and wait for it to settle; the violations it caused."""
        self.violations.clear()
        response = self.page.goto(path, wait_until="load")
        assert response is not None and response.status < 500, f"{path}: {response}"
        assert "content-security-policy" in response.headers, f"{path} has no policy"
        self.page.wait_for_load_state("networkidle")
        return list(self.violations)


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    (a,) = start_instances(["A"], tmp_path_factory.mktemp("csp"))
    try:
        yield a
    finally:
        stop_instances([a])


@pytest.fixture(scope="module")
def admin(browser: Browser, instance: Instance) -> Iterator[tuple[Watched, dict[str, str]]]:
    """The admin, logged in, with a group and a thread made through the pages."""
    context = browser.new_context(
        base_url=instance.base_url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    watched = Watched(context)
    log_in(watched.page, OPERATOR)
    handle = unique("csp")
    create_group(
        watched.page, name="Policy club", handle=handle, description="Headers.", topics="security"
    )
    thread = ask_question(watched.page, handle=handle, title="Is it strict?", body="@nobody #csp")
    yield watched, {"operator": OPERATOR, "handle": handle, "thread": thread}
    context.close()


@pytest.fixture
def visitor(browser: Browser, instance: Instance) -> Iterator[Watched]:
    context = browser.new_context(base_url=instance.base_url)
    context.set_default_timeout(10_000)
    yield Watched(context)
    context.close()


@pytest.mark.parametrize("path", VISITOR_PAGES)
def test_visitor_page__no_policy_violation(visitor: Watched, path: str) -> None:
    # Given a logged-out visitor
    # When they open the page
    # Then the browser refused nothing on it
    assert visitor.visit(path) == []


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_and_admin_page__no_policy_violation(
    admin: tuple[Watched, dict[str, str]], path: str
) -> None:
    # Given the admin, who owns a group with a thread
    watched, values = admin
    # When they open the page
    violations = watched.visit(path.format(**values))
    if path in ("/admin", "/settings/sessions"):
        # The charts, drawn without inline style; the sessions page
        screenshot(watched.page, "csp" + path.replace("/", "-"))
    # Then the browser refused nothing on it
    assert violations == []


def test_watcher__sees_what_the_policy_refuses(visitor: Watched) -> None:
    # Given a page under the policy
    visitor.visit("/about")
    # When something on it asks for an image from another origin and runs an inline script
    visitor.page.evaluate(
        """() => {
          const image = document.createElement("img");
          image.src = "http://203.0.113.1/tracker.png";
          document.body.append(image);
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
        }"""
    )
    # Then both are refused and reported
    visitor.page.wait_for_function("() => window.cspViolations >= 2", timeout=5_000)
    assert any("img-src" in v for v in visitor.violations), visitor.violations
    assert any("script-src" in v for v in visitor.violations), visitor.violations
    assert visitor.page.evaluate("() => window.ran === undefined")
