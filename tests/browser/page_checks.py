"""Two third-party checkers for a rendered page: axe-core (WCAG 2.2 A and AA, run in the page) and
the Nu Html Checker (vnu.jar, the W3C's HTML validator, run as a local HTTP service).

Both come from the npm registry, pinned in `tests/browser/tools/package.json` and installed by
`scripts/setup --test` (`npm ci`); vnu needs Java. Without them the checks are skipped on a
developer machine but fail in CI (`CI=true`), like a missing Chromium.

vnu and not an HTML parser: html5lib or lxml report only parse errors, while vnu checks the
content model and attribute values (a `<time datetime>` with microseconds, duplicate ids, a
`<div>` in a `<p>`, an `aria-describedby` naming no element), as the HTML standard defines them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

TOOLS = Path(__file__).parent / "tools" / "node_modules"
AXE_JS = TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = shutil.which("java")
# WCAG 2.0, 2.1 and 2.2, levels A and AA (2.2 added AA rules only).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VNU_STARTUP_SECONDS = 60.0


def missing_tools() -> str:
    """Why the checkers cannot run here, or "" when they can."""
    if not AXE_JS.exists() or not VNU_JAR.exists():
        return f"{TOOLS} is missing: run scripts/setup --test (npm ci in tests/browser/tools)"
    if JAVA is None:
        return "java is missing: install Debian's 'default-jre-headless' (vnu.jar needs it)"
    return ""


def skip_or_fail_without_tools() -> None:
    """Skip (or, in CI, fail) the calling test when the checkers are not installed."""
    import pytest

    why = missing_tools()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page the browser shows, one readable line per
    element; empty when none. Every impact counts, not only critical and serious."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the page's Content-Security-Policy (which
        # refuses inline scripts) does not apply, and the page is tested as it is served.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    results: dict[str, Any] = page.evaluate(
        """(tags) => axe.run(document, {
            runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
        AXE_TAGS,
    )
    found = []
    for violation in results["violations"]:
        for node in violation["nodes"]:
            found.append(
                f"{page.url}: axe {violation['id']} ({violation['impact']}): "
                f"{violation['help']} at {' '.join(map(str, node['target']))}: "
                f"{node.get('failureSummary', '').replace(chr(10), ' ')}"
            )
    return found


class HtmlChecker:
    """The Nu Html Checker as a service on loopback: one JVM for the whole module."""

    def __init__(self) -> None:
        with socket.socket() as probe:  # a free port; vnu binds it itself a moment later
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        assert JAVA is not None
        self.process = subprocess.Popen(
            [
                JAVA,
                "-cp",
                str(VNU_JAR),
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "nu.validator.servlet.Main",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + VNU_STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                httpx.get(self.url, timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.2)  # polling another process's start, bounded by the deadline
        self.close()
        raise RuntimeError(f"vnu did not start at {self.url} (exit {self.process.returncode})")

    def problems(self, html: str, where: str) -> list[str]:
        """The HTML errors and warnings in `html`, one readable line each; empty when valid."""
        response = httpx.post(
            self.url,
            params={"out": "json"},
            content=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
            timeout=30.0,
        )
        response.raise_for_status()
        return [
            f"{where}: html {message['type']}/{message.get('subType', '')}"
            f" line {message.get('lastLine', '?')}: {message['message']}"
            f" [{message.get('extract', '').strip()}]"
            for message in response.json()["messages"]
            # "info" without a subType is only a note (e.g. the checker's own version news).
            if message["type"] == "error" or message.get("subType") == "warning"
        ]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
