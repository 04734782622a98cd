"""Refusing an exact replay of a signed request while its date is still in the window.

A captured Follow, re-sent byte for byte after its Undo, would otherwise subscribe again (the
signature still verifies until its date leaves the window). So the inbox remembers each
signature it accepted, as the SHA-256 of its header values, in `SeenSignature` rows that
outlive the window (twice its length). The row is written with one INSERT that fails on a key
already present, so several web processes sharing the database agree on the first one. A
peer that sends the same activity again signs it again, with a new date, and is accepted.

Expired rows are deleted now and then (`SWEEP_SECONDS`), by whichever process comes first.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from server.models import SeenSignature, utcnow

__all__ = ["SWEEP_SECONDS", "SeenSignatures", "signature_key"]

SWEEP_SECONDS = 60.0


def signature_key(headers: Iterable[tuple[str, str]]) -> str | None:
    """SHA-256 of the request's signature header values (RFC 9421's input and value, or
    draft-cavage's `Signature`); None when there is none."""
    values = {name.lower(): value for name, value in headers}
    parts = [values.get(name) for name in ("signature-input", "signature", "authorization")]
    if parts[0] is None and parts[1] is None:
        parts[2] = parts[2] if (parts[2] or "").lower().startswith("signature ") else None
    else:
        parts[2] = None
    if not any(parts):
        return None
    text = "\n".join(part or "" for part in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class SeenSignatures:
    def __init__(self, window_seconds: int, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.keep = timedelta(seconds=2 * window_seconds)
        self.sweep_seconds = sweep_seconds
        self._last_sweep = time.monotonic()

    async def first_time(self, key: str) -> bool:
        """Remember `key`; False when it was remembered already (a replay)."""
        now = utcnow()
        if time.monotonic() - self._last_sweep >= self.sweep_seconds:
            self._last_sweep = time.monotonic()
            await SeenSignature.filter(expires_at__lt=now).delete()
        try:
            await SeenSignature.create(key=key, expires_at=now + self.keep)
        except IntegrityError:
            return False
        return True
