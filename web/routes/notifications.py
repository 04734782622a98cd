"""Opening a notification: it is marked read and the member lands on what it is about.

`GET /notifications/{id}` marks the notification read and redirects, as GitHub and Discourse do:
a plain link works without JavaScript, in a new tab and from a mail. It is a state change by GET,
deliberately: marking one's own notification read is idempotent and harmless, and another site
cannot guess a notification's id (a ULID) to do it. Everything else (mark all read, watch, mute)
is a POST with the CSRF token.

The list itself is in `feed` (with the home feed).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.models import Notification, NotificationKind, Post
from server.services import notifications
from web.group_page import group_path
from web.session import require_account

# Kinds whose place is the post itself, in its thread.
_POST_KINDS = {
    NotificationKind.REPLY,
    NotificationKind.MENTION,
    NotificationKind.ANSWER_ACCEPTED,
    NotificationKind.WATCHED_REPLY,
    NotificationKind.WATCHED_POST,
    NotificationKind.HELD_FOR_REVIEW,
    NotificationKind.HELD_APPROVED,
}


def post_url(post: Post) -> str:
    """The thread page at the post: a reply's own anchor (`#<id>`, see `post_page`)."""
    anchor = "" if post.is_top_level else f"#{post.id}"
    return f"/p/{post.thread_id}{anchor}"


def notification_url(notification: Notification) -> str:
    """Where opening the notification leads (loaded with `notifications.RELATED`)."""
    kind, post, group = notification.kind, notification.post, notification.group
    base = group_path(group.actor) if group is not None else ""
    if kind in _POST_KINDS and post is not None:
        return post_url(post)
    if kind == NotificationKind.POST_HELD and base:
        return f"{base}/moderation"
    if kind == NotificationKind.REPORT_FILED and notification.report is not None:
        if base:
            return f"{base}/reports/{notification.report.id}"
        return f"/admin/reports/{notification.report.id}"
    if kind == NotificationKind.JOIN_REQUEST and base:
        return f"{base}/requests"
    if kind == NotificationKind.SIGNUP_WAITING:
        return "/admin/signups"
    if kind == NotificationKind.GROUP_INVITE and notification.text.startswith("/invite/"):
        return notification.text
    return base or "/notifications"


async def open_notification(request: Request) -> Response:
    account = await require_account(request)
    notification = await notifications.open_notification(
        account, request.path_params["notification_id"]
    )
    return RedirectResponse(notification_url(notification), status_code=303)


routes: list[BaseRoute] = [
    Route("/notifications/{notification_id:id}", open_notification, name="notification_open"),
]
