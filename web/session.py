"""Who is logged in: the signed cookie holds a random session token, the database its hash.

Starlette's signed cookie session carries the session token, the CSRF token and nothing else;
whether the token still logs anybody in is decided by its `Session` row (`server.services.
sessions`), so that logging out, a password change or a suspension ends it in every process.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from server.models import Account, Session
from server.services import notifications, sessions
from web.client_ip import client_ip
from web.context import web

TOKEN_KEY = "session"


def session_lifetime(request: Request) -> timedelta:
    return timedelta(days=web(request).settings.session_days)


async def current_account(request: Request) -> Account | None:
    if "account" in request.scope.get("state", {}):
        cached: Account | None = request.state.account
        return cached
    account, row = None, None
    token = request.session.get(TOKEN_KEY)
    if isinstance(token, str):
        found = await sessions.find_account(
            token, lifetime=session_lifetime(request), ip_address=client_ip(request)
        )
        if found is None:
            request.session.pop(TOKEN_KEY, None)
        else:
            account, row = found
    request.state.account = account
    if account is not None and request.method in ("GET", "HEAD"):
        # For the header of the page about to be rendered: one COUNT per page, none for forms.
        request.state.unread_count = await notifications.unread_count(account)
    request.state.session_row = row
    return account


def current_session(request: Request) -> Session | None:
    """The session row of this request (after `current_account`), to tell "this one" apart."""
    row: Session | None = request.scope.get("state", {}).get("session_row")
    return row


class LoginRequired(Exception):
    """Raised by `require_account`; answered with a redirect to the log-in page."""


async def require_account(request: Request) -> Account:
    account = await current_account(request)
    if account is None:
        raise LoginRequired()
    return account


async def require_admin(request: Request) -> Account:
    account = await require_account(request)
    if not account.is_admin:
        raise HTTPException(403, "Only admins can do this.")
    return account


async def log_in(request: Request, account: Account) -> None:
    """Start a new session for the account in this browser (any earlier one of it is ended)."""
    old = request.session.get(TOKEN_KEY)
    if isinstance(old, str):
        await sessions.end_session(old)
    request.session.clear()  # a fresh session (and CSRF token) at every log-in
    started = await sessions.start_session(
        account,
        lifetime=session_lifetime(request),
        user_agent=request.headers.get("user-agent", ""),
        ip_address=client_ip(request),
    )
    request.session[TOKEN_KEY] = started.token
    # Mint the new CSRF token now: made lazily, two pages opened at once right after logging in
    # would each mint their own, and the form of one would then be refused.
    csrf_token(request)
    request.state.account = account
    request.state.session_row = started.session


async def log_out(request: Request) -> None:
    token = request.session.get(TOKEN_KEY)
    if isinstance(token, str):
        await sessions.end_session(token)
    request.session.clear()
    request.state.account = None
    request.state.session_row = None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
