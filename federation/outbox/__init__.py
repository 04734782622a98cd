"""The outbox: domain events become outgoing activities, queued in the change's transaction.

`register(bus, settings)` subscribes it (`subscribers`); `posts`, `restores`, `votes`, `follows`,
`profiles`, `staff` (bans, moderators), `reports` (Flags) and `deleted_actors` decide what each
event sends and to whom (`audience`), in the shape each receiving server reads (`software`);
`remote_groups` what people here send to groups hosted elsewhere; `activities` renders what
`federation.render` does not.
"""

from federation.outbox.audience import Audience, SoftwareLookup, group_audience
from federation.outbox.software import (
    THREADIVERSE,
    cached_software,
    detect_software,
    is_threadiverse,
    remember_software,
)
from federation.outbox.subscribers import Outbox, register

__all__ = [
    "THREADIVERSE",
    "Audience",
    "Outbox",
    "SoftwareLookup",
    "cached_software",
    "detect_software",
    "group_audience",
    "is_threadiverse",
    "register",
    "remember_software",
]
