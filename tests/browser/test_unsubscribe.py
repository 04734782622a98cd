"""One-click unsubscribe from a real mail, in a real browser, logged out.

A Lyceum server process with its embedded worker sends mail to a real SMTP server (aiosmtpd, in
a thread of the test on a port the OS picked). Ben asks to join Ada's group; Ada is mailed about
the request; the unsubscribe link of that captured mail, opened in a browser with no session,
asks to confirm and turns her mail off.
"""

from __future__ import annotations

import asyncio
import email
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP
from playwright.sync_api import Browser, expect

from tests.browser.conftest import BIN, REPO_ROOT, _server_env, _wait_until_ready, screenshot
from tests.browser.flows import PASSWORD, log_in
from tests.web._smtp import parts_of

MAIL_SECONDS = 20.0


@dataclass
class Captured:
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [message for message in self.messages if message["To"] == address]


@dataclass
class MailServer:
    captured: Captured
    port: int


@pytest.fixture(scope="module")
def smtp() -> Iterator[MailServer]:
    """aiosmtpd on its own event loop in a thread (Playwright's sync API owns this one)."""
    captured = Captured()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    ports: list[int] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            loop.create_server(
                lambda: SMTP(captured, hostname="smtp.lyceum.test", loop=loop), "127.0.0.1", 0
            )
        )
        ports.append(server.sockets[0].getsockname()[1])
        started.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10), "the SMTP server did not start"
    yield MailServer(captured, ports[0])
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture(scope="module")
def mail_server_url(smtp: MailServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Lyceum server of its own, mailing through `smtp`, its worker polling often."""
    data_dir = tmp_path_factory.mktemp("unsubscribe-data")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = _server_env(data_dir, base_url) | {
        "LYCEUM_SMTP_HOST": "127.0.0.1",
        "LYCEUM_SMTP_PORT": str(smtp.port),
        "LYCEUM_WORKER_POLL_SECONDS": "0.2",
    }

    def lyceum(*args: str, stdin: str = "") -> None:
        done = subprocess.run(
            [str(BIN / "lyceum"), *args],
            env=env,
            cwd=REPO_ROOT,
            input=stdin.encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"lyceum {args[0]} failed:\n{done.stderr.decode()}"

    lyceum("migrate")
    for username in ("ada", "ben"):
        lyceum(
            "user", "create", username, f"{username}@example.org", "--password-stdin",
            stdin=PASSWORD + "\n",
        )  # fmt: skip
    lyceum("group", "create", "statsclub", "Stats club", "--owner", "ada", "--approval")
    fd = listener.fileno()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory", "--fd", str(fd)],
        env=env,
        cwd=REPO_ROOT,
        pass_fds=[fd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    listener.close()
    try:
        _wait_until_ready(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def wait_for_mail(captured: Captured, address: str) -> Message:
    """The first mail to `address`, waiting for the worker to send it (bounded)."""
    deadline = time.monotonic() + MAIL_SECONDS
    while not captured.to(address):
        assert time.monotonic() < deadline, f"no mail reached {address} in {MAIL_SECONDS} s"
        time.sleep(0.05)  # the polling interval of a bounded wait
    return captured.to(address)[0]


def test_unsubscribe__the_link_in_a_captured_mail_works_logged_out(
    browser: Browser, smtp: MailServer, mail_server_url: str
) -> None:
    # Given Ben asks to join Ada's group, so Ada is mailed about it
    ben = browser.new_context(base_url=mail_server_url, viewport={"width": 360, "height": 740})
    ben.set_default_timeout(10_000)
    page = ben.new_page()
    log_in(page, "ben")
    page.goto("/g/statsclub/join")
    page.locator("main form").get_by_role("button", name="Send the request").click()
    ben.close()
    mail = wait_for_mail(smtp.captured, "ada@example.org")
    text = parts_of(mail)["text/plain"]
    header_url = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = re.findall(r"http://127\.0\.0\.1:\d+/unsubscribe/\S+", text)
    assert links == [header_url], "the footer's link is the header's"

    # When a visitor with no session opens the link from the mail
    visitor = browser.new_context(viewport={"width": 360, "height": 740})
    visitor.set_default_timeout(10_000)
    try:
        reader = visitor.new_page()
        reader.goto(links[0])
        # Then a page asks to confirm, and offers the preferences
        expect(reader.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
        expect(reader.get_by_role("link", name="choose what mail you get")).to_be_visible()
        screenshot(reader, "unsubscribe")
        # When they press the button, Then the mail is off
        reader.get_by_role("button", name="Unsubscribe").click()
        expect(reader.get_by_role("status")).to_contain_text("You are unsubscribed")
    finally:
        visitor.close()

    # And Ada's preferences page shows "no email" on
    ada = browser.new_context(base_url=mail_server_url, viewport={"width": 1280, "height": 900})
    ada.set_default_timeout(10_000)
    try:
        settings_page = ada.new_page()
        log_in(settings_page, "ada")
        settings_page.goto("/settings/email")
        no_email = settings_page.get_by_role(
            "checkbox", name=re.compile("^Send me no email at all")
        )
        expect(no_email).to_be_checked()
    finally:
        ada.close()
