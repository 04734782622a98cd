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


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int


@asynccontextmanager
async def running_smtp_server() -> AsyncIterator[SmtpServer]:
    # The server runs on the test's own event loop; the app sends from a worker thread, so the
    # loop stays free to answer it.
    inbox = Inbox()
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
