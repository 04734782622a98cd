"""The one safe fetcher: GET a JSON document from another server, within firm limits.

    fetcher = Fetcher(client)                     # client from `make_client()`, shared
    doc = await fetcher.fetch_object(url, auth=instance_actor_auth, budget=budget)

Limits (FEDERATION.md "Fetching from other servers"), all constructor parameters:
- https only unless `allow_http`; every redirect hop re-checked (scheme, count, and, in the
  client's transport, the address it connects to), at most `max_redirects`;
- timeouts: `connect_timeout` (5 s), `read_timeout` (10 s), `total_timeout` (30 s) for the whole
  fetch including redirects;
- a body cap (`max_bytes`, 1 MB) enforced on the declared length and again while streaming,
  so a missing or lying `Content-Length` changes nothing;
- `fetch_object` requires an ActivityStreams media type and an `id` on the final URL's origin
  (or equal to it with `require_exact_id`); `get_json` takes the media types to accept
  (WebFinger's `application/jrd+json`, NodeInfo's `application/json`); `get_bytes` returns
  the raw body of one of the given media types (the media proxy's images), with its own cap;
- a `FetchBudget` shared by all the fetches one incoming activity causes (about 20).

Failures raise the `federation.fetch.errors` tree; nothing here returns None for an error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from federation import jsondoc
from federation.fetch.errors import (
    BadContentType,
    BadStatus,
    BudgetExhausted,
    Gone,
    IdMismatch,
    NotFound,
    NotJSON,
    RefusedAddress,
    RefusedURL,
    Timeout,
    TooLarge,
    TooManyRedirects,
    Unreachable,
)

__all__ = [
    "AS2_ACCEPT",
    "AS2_MEDIA_TYPES",
    "FetchBudget",
    "Fetched",
    "FetchedBytes",
    "Fetcher",
    "host_problem",
    "origin",
]

AS2_PROFILE = "https://www.w3.org/ns/activitystreams"
AS2_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS2_PROFILE}"'
AS2_MEDIA_TYPES = frozenset({"application/activity+json", "application/ld+json"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
T = TypeVar("T")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_MAX_HOST_NAME = 253  # RFC 1035: 255 octets on the wire, 253 characters written out


class FetchBudget:
    """How many more requests one incoming activity may cause (redirect hops count too)."""

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self.used = 0

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def spend(self, url: str = "") -> None:
        if self.used >= self.limit:
            raise BudgetExhausted(f"fetch budget of {self.limit} requests spent", url=url)
        self.used += 1


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    content_type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class FetchedBytes:
    url: str  # the final URL, after redirects
    media_type: str  # as declared, lower-cased, without parameters
    body: bytes


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port made explicit, for same-origin checks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def host_problem(host: str) -> str | None:
    """Why `host` (a URL's host, without brackets or port) names no server, or None.

    An IP address, or a DNS name of at most 253 characters in labels of 1 to 63 letters,
    digits, `-` or `_` (an internationalised name counts in its punycode form).
    """
    shown = host[:64] + ("…" if len(host) > 64 else "")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"{shown!r} is not a valid host name"
    if len(name) > _MAX_HOST_NAME or not _HOST_NAME.fullmatch(name):
        return f"{shown!r} is not a valid host name"
    return None


def origin_key(url: str) -> str:
    """The origin as one string, `scheme://host:port`, for storing and keying by it."""
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


class Fetcher:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_http: bool = False,
        max_bytes: int = 1_000_000,
        max_redirects: int = 3,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        total_timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.allow_http = allow_http
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self.total_timeout = total_timeout

    async def fetch_object(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        budget: FetchBudget | None = None,
        require_exact_id: bool = False,
    ) -> Fetched:
        """An ActivityStreams document whose `id` lives on the origin it was fetched from."""
        fetched = await self.get_json(
            url, accept=AS2_ACCEPT, media_types=AS2_MEDIA_TYPES, auth=auth, budget=budget
        )
        _check_as2_profile(fetched)
        document_id = fetched.data.get("id")
        if not isinstance(document_id, str):
            raise IdMismatch("the document has no id", url=fetched.url)
        if require_exact_id:
            if document_id != fetched.url:
                raise IdMismatch(f"id {document_id} is not {fetched.url}", url=fetched.url)
        elif origin(document_id) != origin(fetched.url):
            raise IdMismatch(
                f"id {document_id} is not on the origin of {fetched.url}", url=fetched.url
            )
        return fetched

    async def get_json(
        self,
        url: str,
        *,
        accept: str,
        media_types: Collection[str],
        auth: httpx.Auth | None = None,
        budget: FetchBudget | None = None,
    ) -> Fetched:
        """A JSON object served with one of `media_types`, following redirects safely."""

        async def read(current: str, response: httpx.Response) -> Fetched:
            return await self._read(current, response, media_types)

        return await self._within_deadline(url, self._get(url, accept, auth, budget, read))

    async def get_bytes(
        self,
        url: str,
        *,
        accept: str,
        media_types: Collection[str],
        max_bytes: int | None = None,
    ) -> FetchedBytes:
        """The body of a response served with one of `media_types`, unsigned, at most
        `max_bytes` (default the fetcher's cap), following redirects safely."""
        cap = self.max_bytes if max_bytes is None else max_bytes

        async def read(current: str, response: httpx.Response) -> FetchedBytes:
            media_type = _checked_media_type(current, response, media_types)
            body = await self._read_capped(current, response, cap)
            return FetchedBytes(url=current, media_type=media_type, body=body)

        return await self._within_deadline(url, self._get(url, accept, None, None, read))

    async def _within_deadline(self, url: str, fetch: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.total_timeout):
                return await fetch
        except TimeoutError:
            raise Timeout(f"{url} took longer than {self.total_timeout:g} s", url=url) from None

    async def _get(
        self,
        url: str,
        accept: str,
        auth: httpx.Auth | None,
        budget: FetchBudget | None,
        read: Callable[[str, httpx.Response], Awaitable[T]],
    ) -> T:
        current = url
        for hop in range(self.max_redirects + 1):
            self.check_url(current)
            if budget is not None:
                budget.spend(current)
            try:
                request = self.client.build_request(
                    "GET", current, headers={"Accept": accept}, timeout=self.timeout
                )
            except (httpx.InvalidURL, ValueError) as error:  # bad IDNA labels, NUL bytes…
                raise RefusedURL(f"the URL is malformed: {error}", url=current) from None
            try:
                response = await self.client.send(request, auth=auth, stream=True)
            except RefusedAddress as error:
                error.url = current
                raise
            except httpx.TimeoutException as error:
                raise Timeout(
                    f"{current} timed out ({type(error).__name__})", url=current
                ) from None
            except httpx.TransportError as error:
                raise Unreachable(f"{current} is unreachable: {error}", url=current) from None
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    if hop == self.max_redirects:
                        raise TooManyRedirects(
                            f"more than {self.max_redirects} redirects", url=current
                        )
                    current = urljoin(current, location)  # httpx already parsed it
                    continue
                return await read(current, response)
            finally:
                await response.aclose()
        raise AssertionError("unreachable")  # the loop returns or raises

    def check_url(self, url: str) -> None:
        """Refuse, before any request, what is not an http(s) URL of a real host and port
        that the client can send to (raises `RefusedURL`)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:  # an unclosed [IPv6] bracket, a port out of range
            raise RefusedURL(f"the URL is malformed: {error}", url=url) from None
        allowed = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme.lower() not in allowed:
            raise RefusedURL(f"refused to fetch a {parts.scheme or 'relative'} URL", url=url)
        if not parts.hostname:
            raise RefusedURL("the URL has no host", url=url)
        if parts.username is not None or parts.password is not None:
            raise RefusedURL("the URL carries credentials", url=url)
        if port == 0:
            raise RefusedURL("the URL names port 0", url=url)
        problem = host_problem(parts.hostname)
        if problem is not None:
            raise RefusedURL(problem, url=url)
        try:
            self.client.build_request("GET", url)  # what sending needs of it, with no I/O
        except (httpx.InvalidURL, ValueError) as error:  # bad IDNA labels, NUL bytes…
            raise RefusedURL(f"the URL is malformed: {error}", url=url) from None

    async def _read(
        self, url: str, response: httpx.Response, media_types: Collection[str]
    ) -> Fetched:
        _checked_media_type(url, response, media_types)
        body = await self._read_capped(url, response, self.max_bytes)
        try:
            data = jsondoc.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise NotJSON(f"{url} did not return JSON", url=url) from None
        if not isinstance(data, dict):
            raise NotJSON(f"{url} did not return a JSON object", url=url)
        return Fetched(url=url, content_type=response.headers.get("content-type", ""), data=data)

    async def _read_capped(self, url: str, response: httpx.Response, cap: int) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TooLarge(f"{url} declares {declared} bytes (cap {cap})", url=url)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise TooLarge(f"{url} sent more than {cap} bytes", url=url)
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise Timeout(f"{url} stalled while sending its body", url=url) from None
        except httpx.HTTPError as error:
            raise Unreachable(f"{url} broke off: {error}", url=url) from None
        return b"".join(chunks)


def _checked_media_type(url: str, response: httpx.Response, media_types: Collection[str]) -> str:
    """The response's media type, once its status is a success and its type one we accept."""
    status = response.status_code
    if status == 410:
        raise Gone(f"{url} is gone (410)", url=url, status_code=status)
    if status == 404:
        raise NotFound(f"{url} was not found (404)", url=url, status_code=status)
    if not 200 <= status < 300:
        raise BadStatus(f"{url} answered {status}", url=url, status_code=status)
    content_type = str(response.headers.get("content-type", ""))
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in media_types:
        raise BadContentType(
            f"{url} is {media_type or 'untyped'}, not {' or '.join(sorted(media_types))}",
            url=url,
        )
    return media_type


def _check_as2_profile(fetched: Fetched) -> None:
    """`application/ld+json` must not name a profile other than ActivityStreams.

    Mastodon accepts ld+json with no profile at all, so that is accepted too.
    """
    media_type, _, params = fetched.content_type.partition(";")
    if media_type.strip().lower() != "application/ld+json":
        return
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if (
            name.strip().lower() == "profile"
            and AS2_PROFILE not in value.strip().strip('"').split()
        ):
            raise BadContentType(
                f"{fetched.url} is ld+json with profile {value.strip()}", url=fetched.url
            )
