"""Mail to members: preferences, the durable outgoing queue, digests, unsubscribe links, and the
worker that sends it all over SMTP.

The mail is rendered here, in the domain, from the Jinja2 templates in `templates/`: immediate
mail is queued by a subscriber of `NotificationCreated` inside the transaction that wrote the
notification, and the digest scheduler runs in the worker, so neither can reach the web adapter.
"""

from __future__ import annotations

from server.mail.categories import MailCategory, category_of
from server.mail.preferences import (
    PreferenceChanges,
    next_digest_time,
    preferences_of,
    save_preferences,
)
from server.mail.queue import queue_mail, register
from server.mail.unsubscribe import open_unsubscribe_token, unsubscribe, unsubscribe_token

__all__ = [
    "MailCategory",
    "PreferenceChanges",
    "category_of",
    "next_digest_time",
    "open_unsubscribe_token",
    "preferences_of",
    "queue_mail",
    "register",
    "save_preferences",
    "unsubscribe",
    "unsubscribe_token",
]
