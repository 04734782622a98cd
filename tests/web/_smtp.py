"""A real SMTP server (aiosmtpd) on a port the OS picks, keeping what it receives."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.smtp import SMTP

from server.mail.worker import MailWorker
from server.settings import Settings


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it receives.

    `refuse` maps a recipient to the SMTP answer its messages get instead (e.g. "550 No such
    user"); `delay` makes the server take that many seconds over each message, as a slow or
    remote server does."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            if recipient in self.refuse:
                return self.refuse[recipient]
        if self.delay:
            await asyncio.sleep(self.delay)  # the server's own pace, not a wait in a test
        self.messages.append(email.message_from_bytes(envelope.content))
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int


@asynccontextmanager
async def running_smtp_server(inbox: Inbox | None = None) -> AsyncIterator[SmtpServer]:
    # The server runs on the test's own event loop; the app sends from a worker thread, so the
    # loop stays free to answer it.
    inbox = inbox or Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(inbox, hostname="smtp.lyceum.test", loop=loop), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield SmtpServer(inbox, port)
    finally:
        server.close()
        await server.wait_closed()


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def parts_of(message: Message) -> dict[str, str]:
    """The text parts of a message by content type ("text/plain", "text/html"), decoded."""
    parts: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return parts


async def send_queued_mail(settings: Settings, server: SmtpServer | None = None) -> int:
    """Send what the mail queue holds, as the worker does: to `server`, or with no server into
    the log. Returns how many messages were tried."""
    if server is not None:
        settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": server.port})
    return await MailWorker(settings).run_once()
