"""Kept for older imports: `Leases` lives in `server.leases`, shared with the mail worker."""

from __future__ import annotations

from server.leases import Leases

__all__ = ["Leases"]
