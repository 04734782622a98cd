"""How the delivery worker POSTs one signed activity: over aiohttp (production) or httpx.

    sent = await sender.post(inbox_url, body, auth, timeout)   # -> Sent(status, retry_after)

A sender returns the answer's status and `Retry-After`, or raises `Unreachable` for what is
worth trying again (a refused connection, a reset, a timeout); anything else it raises (a
refused address, a bad URL) means the row can never be sent. Redirects are never followed and
at most `MAX_ANSWER_BYTES` of an answer are read: an inbox's answer carries nothing we use.

- `AiohttpSender`: the worker's own guarded aiohttp session (`fetch.aiohttp_client`), made on
  first use inside the running loop. Measured with `bench/fanout.py`: at fan-out concurrency
  it POSTs two to three times as fast as httpx on the same machine (README, "Outgoing HTTP").
  It signs in helper processes when given `SigningProcesses` (the worker's runtime does).
- `HttpxSender`: the shared httpx client; what unit tests use with `httpx.MockTransport`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp
import httpx
from yarl import URL

from federation.fetch.addresses import IPNetwork
from federation.fetch.aiohttp_client import make_aiohttp_session
from federation.fetch.errors import Unreachable
from federation.httpsig.auth import _SigningAuth
from federation.httpsig.signing_processes import SigningProcesses

__all__ = ["MAX_ANSWER_BYTES", "AiohttpSender", "HttpxSender", "Sender", "Sent"]

MAX_ANSWER_BYTES = 64 * 1024
URL_CACHE_SIZE = 8192  # parsed inbox URLs kept (yarl keeps only 256 hosts: a fan-out has more)
ACTIVITY_CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
_HEADERS = {"Content-Type": ACTIVITY_CONTENT_TYPE, "Accept": "application/activity+json"}


@dataclass(frozen=True)
class Sent:
    status: int
    retry_after: str | None = None


class Sender(Protocol):
    async def post(self, url: str, body: bytes, auth: httpx.Auth, timeouts: httpx.Timeout) -> Sent:
        """POST `body` to `url` signed by `auth`; raise `Unreachable` for retryable failures."""

    async def aclose(self) -> None: ...


class HttpxSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, url: str, body: bytes, auth: httpx.Auth, timeouts: httpx.Timeout) -> Sent:
        request = self.client.build_request(
            "POST", url, content=body, headers=_HEADERS, timeout=timeouts
        )
        try:
            response = await self.client.send(
                request, auth=auth, follow_redirects=False, stream=True
            )
            try:
                await _read_at_most_httpx(response, MAX_ANSWER_BYTES)
            finally:
                await response.aclose()
        except httpx.HTTPError as error:
            raise Unreachable(f"{type(error).__name__}: {error}", url=url) from error
        return Sent(response.status_code, response.headers.get("retry-after"))

    async def aclose(self) -> None:
        """The client is shared and closed by its owner."""


async def _read_at_most_httpx(response: httpx.Response, limit: int) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= limit:
            return


class AiohttpSender:
    """Signs with the given `_SigningAuth` (its `signed_headers`) and POSTs over aiohttp."""

    def __init__(
        self,
        *,
        allowed_networks: Iterable[str | IPNetwork] = (),
        extra_ca_bundle: str | Path | None = None,
        limit: int = 100,
        limit_per_host: int = 0,
        signing: SigningProcesses | None = None,
    ) -> None:
        self.signing = signing or SigningProcesses(0)
        self._make: Callable[[], aiohttp.ClientSession] = lambda: make_aiohttp_session(
            allowed_networks=allowed_networks,
            extra_ca_bundle=extra_ca_bundle,
            limit=limit,
            limit_per_host=limit_per_host,
        )
        self._session: aiohttp.ClientSession | None = None
        # The worker passes the same timeouts with every delivery: converted once.
        self._timeouts: tuple[httpx.Timeout, aiohttp.ClientTimeout] | None = None
        self._urls: dict[str, URL] = {}  # each inbox URL parsed once, not once per delivery

    async def post(self, url: str, body: bytes, auth: httpx.Auth, timeouts: httpx.Timeout) -> Sent:
        if not isinstance(auth, _SigningAuth):
            raise TypeError(f"the aiohttp sender signs with CavageAuth/Rfc9421Auth, not {auth!r}")
        if self._session is None:
            self._session = self._make()
        headers = await auth.signed_headers_by(self.signing.sign, "POST", url, body, _HEADERS)
        try:
            return await self._post(url, body, headers, timeouts)
        except aiohttp.ServerDisconnectedError:
            # A kept-alive connection the server closed as we reused it: without this a
            # delivery would wait a whole backoff for a race it lost. Once, on a new
            # connection (a receiver ignores an activity id it has seen, should it have it).
            pass
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _unreachable(error, url) from error
        try:
            return await self._post(url, body, headers, timeouts)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _unreachable(error, url) from error

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], timeouts: httpx.Timeout
    ) -> Sent:
        assert self._session is not None
        target = self._urls.get(url)
        if target is None:
            if len(self._urls) >= URL_CACHE_SIZE:
                self._urls.clear()
            target = self._urls[url] = URL(url)
        if self._timeouts is None or self._timeouts[0] is not timeouts:
            self._timeouts = (timeouts, _aiohttp_timeout(timeouts))
        async with self._session.post(
            target,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=self._timeouts[1],
        ) as response:
            # Read a small answer to its end so the connection can serve the next POST to
            # that inbox; leave a big one unread (the connection is then closed).
            await response.content.read(MAX_ANSWER_BYTES)
            if not response.content.at_eof():
                response.close()  # drops the connection, with whatever is still unread
            return Sent(response.status, response.headers.get("Retry-After"))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.signing.aclose()


def _unreachable(error: BaseException, url: str) -> Unreachable:
    return Unreachable(f"{type(error).__name__}: {str(error) or 'timed out'}", url=url)


def _aiohttp_timeout(timeout: httpx.Timeout) -> aiohttp.ClientTimeout:
    phases = [t for t in (timeout.connect, timeout.write, timeout.read) if t is not None]
    return aiohttp.ClientTimeout(
        total=sum(phases) if phases else None,
        sock_connect=timeout.connect,
        sock_read=timeout.read,
    )
