"""A tiny HTTP/1.1 server on 127.0.0.1 for the fetcher's tests, in the test's own loop.

Each route is a coroutine writing a raw response, so tests can send exactly the misbehaviour
they need: a lying Content-Length, a chunked flood, a server that never answers.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

Route = Callable[[asyncio.StreamWriter], Awaitable[None]]


def respond(
    status: int = 200,
    body: bytes | dict[str, Any] = b"",
    content_type: str = "application/activity+json",
    headers: dict[str, str] | None = None,
) -> Route:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body

    async def route(writer: asyncio.StreamWriter) -> None:
        lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(raw)}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + raw)
        await writer.drain()

    return route


def redirect(location: str) -> Route:
    return respond(302, headers={"Location": location}, content_type="")


class Server:
    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, ssl=self.ssl_context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                path = line.decode().split(" ")[1]
                headers: dict[str, str] = {}
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.requests.append((path, headers))
                await self.routes.get(path, respond(404))(writer)
        except (ConnectionError, ssl.SSLError):
            return
        finally:
            writer.close()
