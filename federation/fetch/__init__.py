"""Fetching from other servers: one guarded client, one safe fetcher, one error tree.

`make_client()` builds the process-wide `httpx.AsyncClient` (address checks at connect time,
verified TLS); `Fetcher` GETs JSON documents through it within size, time, redirect, media
type, origin and budget limits (`get_bytes` for images); `errors` draws the exception tree.
"""

from federation.fetch.addresses import AddressPolicy
from federation.fetch.errors import (
    BadContentType,
    BadDocument,
    BadStatus,
    BudgetExhausted,
    FetchError,
    Gone,
    IdMismatch,
    NotFound,
    NotJSON,
    Refused,
    RefusedAddress,
    RefusedURL,
    Timeout,
    TooLarge,
    TooManyRedirects,
    Unreachable,
)
from federation.fetch.fetcher import (
    AS2_ACCEPT,
    AS2_MEDIA_TYPES,
    FetchBudget,
    Fetched,
    FetchedBytes,
    Fetcher,
    host_problem,
    origin,
    origin_key,
)
from federation.fetch.transport import make_client, make_ssl_context

__all__ = [
    "AS2_ACCEPT",
    "AS2_MEDIA_TYPES",
    "AddressPolicy",
    "BadContentType",
    "BadDocument",
    "BadStatus",
    "BudgetExhausted",
    "FetchBudget",
    "FetchError",
    "Fetched",
    "FetchedBytes",
    "Fetcher",
    "Gone",
    "IdMismatch",
    "NotFound",
    "NotJSON",
    "Refused",
    "RefusedAddress",
    "RefusedURL",
    "Timeout",
    "TooLarge",
    "TooManyRedirects",
    "Unreachable",
    "host_problem",
    "make_client",
    "make_ssl_context",
    "origin",
    "origin_key",
]
