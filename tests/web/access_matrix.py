"""Who may use each route: "METHOD /path" → the roles that get through.

Roles are seen from one group, `g`: an anonymous visitor, a member of `g` (the author of its
post), a moderator of `g`, and an instance admin who is not in `g`. Every route of the app must
be listed; `test_access_matrix` fails on a route that is not. Wrong roles must get 403 (or, when
anonymous, a redirect to log in); SIGNED routes take only signed ActivityPub requests.
"""

from __future__ import annotations

ROLES = ("anonymous", "member", "moderator", "admin")

PUBLIC = frozenset(ROLES)
AUTH = frozenset({"member", "moderator", "admin"})
MOD = frozenset({"moderator", "admin"})  # the group's moderators, and admins for a local group
ADMIN = frozenset({"admin"})
AUTHOR = frozenset({"member"})  # the post's author only
AUTHOR_OR_MOD = frozenset({"member", "moderator", "admin"})
MEMBERS = frozenset({"member", "moderator"})  # people in the group (the admin is not)
SIGNED = frozenset({"signed"})  # the inboxes: signed requests from other servers
TOKEN = frozenset({"token"})  # nobody without a secret token (printed at first start, or emailed)

ACCESS: dict[str, frozenset[str]] = {
    # Probes for process managers and proxies.
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": TOKEN,  # only a scraper with LYCEUM_METRICS_TOKEN (unset: 404 for all)
    # Discovery and ActivityPub documents: public by design (FEDERATION.md).
    "GET /.well-known/webfinger": PUBLIC,
    "GET /.well-known/host-meta": PUBLIC,
    "GET /.well-known/host-meta.json": PUBLIC,
    "GET /.well-known/nodeinfo": PUBLIC,
    "GET /nodeinfo/{version}": PUBLIC,
    "GET /actor": PUBLIC,
    "GET /actor/outbox": PUBLIC,
    "GET /u/{name}/outbox": PUBLIC,
    "GET /u/{name}/followers": PUBLIC,
    "GET /g/{name}/outbox": PUBLIC,
    "GET /g/{name}/followers": PUBLIC,
    "GET /g/{name}/featured": PUBLIC,
    "GET /g/{name}/moderators": PUBLIC,
    "GET /g/{name}/announces/{post_id}": PUBLIC,
    "GET /g/{name}/announces/{post_id}/create": PUBLIC,
    "GET /p/{post_id}/replies": PUBLIC,
    "GET /p/{post_id}/create": PUBLIC,
    "POST /inbox": SIGNED,
    "POST /g/{name}/inbox": SIGNED,
    "POST /u/{name}/inbox": SIGNED,
    # Remote images: anyone, but only at a path this server signed (the signature is the token).
    "GET /proxy/media/{signature}/{encoded}": TOKEN,
    # Getting in and out.
    "GET /": PUBLIC,
    "GET /signup": PUBLIC,
    "POST /signup": PUBLIC,
    "GET /signup/pending": PUBLIC,
    "GET /signup/check-mail": PUBLIC,
    "GET /signup/confirm/{token}": PUBLIC,  # 404 without the mailed token
    "POST /signup/confirm/{token}": TOKEN,
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "POST /logout": AUTH,
    "GET /reset": PUBLIC,
    "POST /reset": PUBLIC,
    "GET /reset/{token}": PUBLIC,
    "POST /reset/{token}": TOKEN,  # the emailed token
    "GET /setup/claim": PUBLIC,
    "POST /setup/claim": TOKEN,
    "GET /setup/next": ADMIN,
    # People.
    "GET /u/{handle}": PUBLIC,  # a person here or elsewhere
    "GET /settings/profile": AUTH,
    "POST /settings/profile": AUTH,
    "GET /settings/password": AUTH,
    "POST /settings/password": AUTH,
    "GET /settings/sessions": AUTH,
    "GET /settings/email": AUTH,
    "POST /settings/email": AUTH,
    "GET /unsubscribe/{token}": TOKEN,  # the signed token mailed in every message
    "POST /unsubscribe/{token}": TOKEN,
    "POST /settings/sessions/end-others": AUTH,
    "POST /settings/sessions/{session_id}/end": AUTH,  # one's own sessions only (404 otherwise)
    # Admin: dashboard and federation health.
    "GET /admin": ADMIN,
    "GET /admin/insights": ADMIN,
    "GET /admin/insights/report": ADMIN,
    "GET /admin/insights/{table}.csv": ADMIN,
    "GET /admin/federation": ADMIN,
    "POST /admin/federation/retry": ADMIN,
    "POST /admin/federation/domains/{domain}/retry": ADMIN,
    "POST /admin/federation/given-up/retry": ADMIN,
    "POST /admin/federation/deliveries/{delivery_id}/retry": ADMIN,
    "POST /admin/federation/inbox/{activity_id}/retry": ADMIN,
    "GET /admin/mail": ADMIN,
    "POST /admin/mail/retry": ADMIN,
    "POST /admin/mail/{mail_id}/retry": ADMIN,
    # Admin: registration.
    "GET /admin/signups": ADMIN,
    "POST /admin/signups/{account_id}/approve": ADMIN,
    "POST /admin/signups/{account_id}/reject": ADMIN,
    "GET /admin/invites": ADMIN,
    "POST /admin/invites": ADMIN,
    "GET /admin/registration": ADMIN,
    "POST /admin/registration": ADMIN,
    # Admin: settings, users, groups, audit log (admin_settings/users/groups/audit.py).
    "GET /about": PUBLIC,
    "GET /admin/settings": ADMIN,
    "POST /admin/settings": ADMIN,
    "GET /admin/users": ADMIN,
    "GET /admin/users/{account_id}": ADMIN,
    "POST /admin/users/{account_id}/suspend": ADMIN,
    "POST /admin/users/{account_id}/unsuspend": ADMIN,
    "POST /admin/users/{account_id}/delete": ADMIN,
    "POST /admin/users/{account_id}/role": ADMIN,
    "POST /admin/users/{account_id}/password-reset": ADMIN,
    "GET /admin/actors/{actor_id}": ADMIN,
    "POST /admin/actors/{actor_id}/suspend": ADMIN,
    "POST /admin/actors/{actor_id}/unsuspend": ADMIN,
    "GET /admin/groups": ADMIN,
    "GET /admin/groups/{handle}": ADMIN,
    "POST /admin/groups/{handle}/approve": ADMIN,
    "POST /admin/groups/{handle}/suspend": ADMIN,
    "POST /admin/groups/{handle}/unsuspend": ADMIN,
    "POST /admin/groups/{handle}/transfer": ADMIN,
    "GET /admin/audit": ADMIN,
    "GET /admin/badges": ADMIN,
    "POST /admin/badges/new": ADMIN,
    "POST /admin/badges/give": ADMIN,
    "POST /admin/badges/awards/{award_id}/revoke": ADMIN,
    # Groups.
    "GET /groups": PUBLIC,
    "GET /groups/new": AUTH,
    "POST /groups/new": AUTH,
    "GET /groups/find": AUTH,
    "POST /groups/find": AUTH,
    "GET /g/{handle}": PUBLIC,
    "GET /g/{handle}/about": PUBLIC,
    "GET /g/{handle}/members": PUBLIC,
    "GET /g/{handle}/resources": PUBLIC,
    "GET /g/{handle}/join": AUTH,
    "POST /g/{handle}/join": AUTH,
    "GET /g/{handle}/leave": AUTH,
    "POST /g/{handle}/leave": AUTH,
    "GET /g/{handle}/requests": MOD,
    "GET /g/{handle}/invites": MOD,
    "POST /g/{handle}/invites": MOD,
    "POST /g/{handle}/invites/{invite_id}/revoke": MOD,
    "GET /invite/{code}": PUBLIC,  # the invitation's page (a bad code: a page saying why)
    "POST /invite/{code}": AUTH,
    "POST /g/{handle}/requests/{membership_id}/{decision}": MOD,
    "POST /g/{handle}/members/{actor_id}/role": ADMIN,  # the owner, or an admin
    "GET /g/{handle}/settings": MOD,
    "POST /g/{handle}/settings": MOD,
    # Group staff: bans, handing over, the moderation log (web/routes/group_staff.py).
    "GET /g/{handle}/members/{actor_id}/ban": MOD,
    "POST /g/{handle}/members/{actor_id}/ban": MOD,
    "POST /g/{handle}/members/{actor_id}/unban": MOD,  # not banned: 404
    "GET /g/{handle}/bans": MOD,
    "GET /g/{handle}/members/{actor_id}/transfer": ADMIN,  # the owner, or an admin
    "POST /g/{handle}/members/{actor_id}/transfer": ADMIN,
    "GET /g/{handle}/modlog": frozenset({"member", "moderator", "admin"}),
    # Posts.
    "GET /g/{handle}/new": MEMBERS,
    "POST /g/{handle}/new": MEMBERS,
    "GET /p/{post_id}": PUBLIC,
    "POST /p/{post_id}/reply": MEMBERS,
    "GET /p/{post_id}/edit": AUTHOR,
    "POST /p/{post_id}/edit": AUTHOR,
    "POST /p/{post_id}/delete": AUTHOR_OR_MOD,
    "POST /p/{post_id}/like": frozenset({"moderator"}),  # members but the author: not one's own
    "POST /p/{post_id}/unlike": AUTH,  # taking back one's own like; nothing to take back is fine
    "POST /p/{post_id}/accept": AUTHOR_OR_MOD,
    "POST /p/{post_id}/pin": MOD,
    "POST /p/{post_id}/unpin": MOD,
    # Group moderation of posts (a published post: restore/approve/reject answer 409 to mods).
    "GET /g/{handle}/moderation": MOD,
    "GET /g/{handle}/insights": MOD,
    "GET /g/{handle}/insights/report": MOD,
    "GET /g/{handle}/insights/{table}.csv": MOD,
    "POST /p/{post_id}/remove": MOD,
    "POST /p/{post_id}/restore": MOD,
    "POST /p/{post_id}/approve": MOD,
    "POST /p/{post_id}/reject": MOD,
    # Feeds.
    "GET /home": AUTH,
    "GET /notifications": AUTH,
    "POST /notifications/read": AUTH,
    "GET /notifications/{notification_id}": AUTH,  # one's own only (404 otherwise)
    # Watching and muting (web/routes/watches.py): anyone who may read the thread or group.
    "POST /p/{post_id}/watch": AUTH,
    "POST /p/{post_id}/save": AUTH,
    "GET /saved": AUTH,
    "POST /g/{handle}/watch": AUTH,
    "GET /settings/watches": AUTH,
    "GET /tags/{tag}": PUBLIC,
    "GET /search": PUBLIC,  # finds only what the viewer may read (tests/web/test_search_pages.py)
    "GET /search/similar": PUBLIC,
    # Reports (web/routes/reports.py, admin_reports.py).
    "GET /p/{post_id}/report": AUTH,
    "POST /p/{post_id}/report": AUTH,
    "GET /u/{username}/report": AUTH,
    "POST /u/{username}/report": AUTH,
    "GET /reports/sent": AUTH,
    "GET /g/{handle}/reports": MOD,
    "GET /g/{handle}/reports/{report_id}": MOD,
    "POST /g/{handle}/reports/{report_id}": MOD,
    "GET /admin/reports": ADMIN,
    "GET /admin/reports/{report_id}": ADMIN,
    "POST /admin/reports/{report_id}": ADMIN,
    "POST /admin/reports/{report_id}/forward": ADMIN,
    # Domain blocks (web/routes/admin_domains.py).
    "GET /admin/domains": ADMIN,
    "POST /admin/domains": ADMIN,
    "GET /admin/domains/export.csv": ADMIN,
    "GET /admin/domains/import": ADMIN,
    "POST /admin/domains/import": ADMIN,
    "GET /admin/domains/{domain}": ADMIN,
    "POST /admin/domains/{domain}": ADMIN,
    "POST /admin/domains/{domain}/unblock": ADMIN,
    "GET /about/blocks": PUBLIC,
    # Public feeds and the favicon (web/routes/syndication.py, home.py).
    "GET /favicon.ico": PUBLIC,
    "GET /feed.atom": PUBLIC,
    "GET /feed.rss": PUBLIC,
    "GET /g/{handle}/feed.atom": PUBLIC,
    "GET /g/{handle}/feed.rss": PUBLIC,
    "GET /tags/{tag}/feed.atom": PUBLIC,
    "GET /tags/{tag}/feed.rss": PUBLIC,
    "GET /u/{username}/feed.atom": PUBLIC,
    "GET /u/{username}/feed.rss": PUBLIC,
}
