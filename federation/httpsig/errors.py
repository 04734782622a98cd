"""Errors of the low-level signing and parsing functions.

`verify_request` never raises these: it turns each into a `SignatureCheck` reason. They are
for callers of `cavage` and `rfc9421` directly (tests, tools).

    SignatureError
    ├── MalformedSignature     the header does not parse
    ├── MissingComponent       a covered header or parameter is absent from the request
    └── UnsupportedComponent   a covered component or algorithm we do not implement
"""

from __future__ import annotations

__all__ = ["MalformedSignature", "MissingComponent", "SignatureError", "UnsupportedComponent"]


class SignatureError(Exception):
    """A signature could not be parsed, built or checked; str() is a readable reason."""


class MalformedSignature(SignatureError):
    pass


class MissingComponent(SignatureError):
    pass


class UnsupportedComponent(SignatureError):
    pass
