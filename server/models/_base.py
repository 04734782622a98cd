"""What every Lyceum table shares: an opaque, sortable, stable id (a ULID) and timestamps."""

from __future__ import annotations

import base64
import os
import threading
import time
from datetime import UTC, datetime

from tortoise import fields
from tortoise.models import Model

# Base32's alphabet to Crockford's (a ULID's), in lower case.
_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz"
)
_MAX_RANDOMNESS = (1 << 80) - 1
_lock = threading.Lock()
_previous = [0, 0]  # the millisecond and the randomness of the last id made


def new_id() -> str:
    """A ULID in lower case: 48 bits of Unix milliseconds, then 80 random bits, which within
    one millisecond count up from the first id's (python-ulid's strict monotonic policy), so
    ids made in a row sort in that order. Made here in one step: `str(ULID()).lower()` cost a
    busy inbox 17 µs an activity."""
    with _lock:
        millisecond = time.time_ns() // 1_000_000
        if millisecond == _previous[0]:
            if _previous[1] == _MAX_RANDOMNESS:
                raise ValueError("Randomness within same millisecond exhausted")
            randomness = _previous[1] + 1
        else:
            randomness = int.from_bytes(os.urandom(10), "big")
        _previous[0], _previous[1] = millisecond, randomness
    value = (millisecond << 80 | randomness).to_bytes(20, "big")  # 160 bits: 32 characters
    return base64.b32encode(value).translate(_CROCKFORD)[6:].decode("ascii")  # the last 26


def utcnow() -> datetime:
    return datetime.now(UTC)


class Entity(Model):
    id = fields.CharField(max_length=26, primary_key=True, default=new_id)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True
