"""The domain's exception tree; the adapters map each to a status and a readable message.

DomainError
├── NotFound        (404) the thing does not exist or is not visible to the caller
├── Forbidden       (403) the caller may not do this
├── Invalid         (422) input breaks a rule; `errors` maps field name -> message
├── Conflict        (409) the change clashes with stored state (e.g. a taken handle)
└── RateLimited     (429) too many attempts; `retry_after` in seconds
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Invalid(DomainError):
    status = 422

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(self.errors.values()))


class Conflict(DomainError):
    status = 409


class RateLimited(DomainError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
