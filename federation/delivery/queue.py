"""Writing outgoing activities into the delivery queue, inside the caller's transaction.

One row per (activity, inbox); inboxes are de-duplicated (followers on one server share its
shared inbox), and nothing is queued for suspended or unavailable domains. Idle workers are
woken at once (`wake`): in this process now, in other processes when the transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from federation.delivery import wake
from server.models import Delivery, DomainBlock, DomainBlockSeverity, DomainHealth, utcnow


async def enqueue(activity: dict[str, Any], signer_id: str, inboxes: Iterable[str]) -> int:
    """Queue `activity` for each distinct inbox; return how many rows were written."""
    targets: dict[str, str] = {}
    for inbox in inboxes:
        host = (urlsplit(inbox).hostname or "").lower()
        if inbox and host:
            targets.setdefault(inbox, urlsplit(inbox).netloc.lower())
    if not targets:
        return 0
    domains = set(targets.values())
    hosts = {domain.split(":")[0] for domain in domains}
    blocked: set[str] = set(
        await DomainBlock.filter(
            domain__in=hosts | domains, severity=DomainBlockSeverity.SUSPEND
        ).values_list("domain", flat=True)  # type: ignore[arg-type]
    )
    unavailable: set[str] = set(
        await DomainHealth.filter(domain__in=domains, unavailable_since__isnull=False).values_list(
            "domain", flat=True
        )  # type: ignore[arg-type]
    )
    payload = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    now = utcnow()
    rows = [
        Delivery(
            activity_id=str(activity.get("id", "")),
            payload=payload,
            signer_id=signer_id,
            inbox_url=inbox,
            domain=domain,
            next_attempt_at=now,
        )
        for inbox, domain in targets.items()
        if domain not in blocked
        and domain.split(":")[0] not in blocked
        and domain not in unavailable
    ]
    if rows:
        await Delivery.bulk_create(rows, batch_size=500)
        await wake.notify_delivery()
    return len(rows)
