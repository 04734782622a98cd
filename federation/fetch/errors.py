"""Every way a fetch can fail, as one tree (transport and status errors mapped at the edge).

    FetchError                      anything below; `str()` is a readable reason
    ├── Refused                     we declined to make (or follow) the request
    │   ├── RefusedURL              not https (without allow_http), no host, credentials in it
    │   ├── RefusedAddress          the host resolves only to forbidden addresses
    │   ├── TooManyRedirects        more than the allowed redirects
    │   └── BudgetExhausted         the activity's fetch budget is spent
    ├── Unreachable                 DNS failure, refused connection, TLS failure, reset
    │   └── Timeout                 connect, read or the total deadline passed
    ├── BadStatus                   a non-2xx answer; `.status_code`
    │   ├── NotFound                404
    │   └── Gone                    410 (the object was deleted: a Tombstone)
    └── BadDocument                 the answer is not a document we accept
        ├── TooLarge                over the body cap (declared or while reading)
        ├── BadContentType          not an ActivityStreams (or the asked-for) media type
        ├── NotJSON                 not a JSON object
        └── IdMismatch              the `id` is not on the final URL's origin (or not equal)

Retry policy reads the tree: `Unreachable` and 5xx `BadStatus` are worth retrying later;
`Refused` and `BadDocument` never are.
"""

from __future__ import annotations

__all__ = [
    "BadContentType",
    "BadDocument",
    "BadStatus",
    "BudgetExhausted",
    "FetchError",
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
]


class FetchError(Exception):
    """A fetch failed; `url` is the URL being fetched when it did."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class Refused(FetchError):
    pass


class RefusedURL(Refused):
    pass


class RefusedAddress(Refused):
    pass


class TooManyRedirects(Refused):
    pass


class BudgetExhausted(Refused):
    pass


class Unreachable(FetchError):
    pass


class Timeout(Unreachable):
    pass


class BadStatus(FetchError):
    def __init__(self, message: str, *, url: str = "", status_code: int) -> None:
        super().__init__(message, url=url)
        self.status_code = status_code


class NotFound(BadStatus):
    pass


class Gone(BadStatus):
    pass


class BadDocument(FetchError):
    pass


class TooLarge(BadDocument):
    pass


class BadContentType(BadDocument):
    pass


class NotJSON(BadDocument):
    pass


class IdMismatch(BadDocument):
    pass
