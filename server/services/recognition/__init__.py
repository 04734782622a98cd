"""Recognition: credits others give a member's posts, standing, top helpers and badges.

- `ledger`: credits written from post events, in the change's transaction;
- `standing`: points and top helpers, summed when asked (capped per remote domain);
- `badges`: built-in badges and their rules, granted by the worker (`worker.BadgeGranter`);
- `custom`: badges admins create, give and take back;
- `display`: badges as the thread and profile pages show them.
"""

from __future__ import annotations

from server.services.recognition.badges import BUILTIN, award, grant_builtin
from server.services.recognition.custom import create_badge, find_person, give_badge, revoke_award
from server.services.recognition.display import (
    badges_in_group,
    profile_badges,
    profile_recognition,
)
from server.services.recognition.ledger import POINTS, register
from server.services.recognition.standing import (
    DOMAIN_LIKE_FLOOR,
    TopHelpers,
    capped_total,
    standing,
    top_helpers,
)
from server.services.recognition.worker import BadgeGranter

__all__ = [
    "BUILTIN",
    "DOMAIN_LIKE_FLOOR",
    "POINTS",
    "BadgeGranter",
    "TopHelpers",
    "award",
    "badges_in_group",
    "capped_total",
    "create_badge",
    "find_person",
    "give_badge",
    "grant_builtin",
    "profile_badges",
    "profile_recognition",
    "register",
    "revoke_award",
    "standing",
    "top_helpers",
]
