"""Who is logged in: a signed session cookie holds the account id and its session version."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from server.models import Account
from server.services import accounts


async def current_account(request: Request) -> Account | None:
    if "account" in request.scope.get("state", {}):
        cached: Account | None = request.state.account
        return cached
    account = None
    account_id = request.session.get("account_id")
    if isinstance(account_id, str):
        account = await accounts.get_active_account(
            account_id, int(request.session.get("session_version", -1))
        )
        if account is None:
            request.session.pop("account_id", None)
    request.state.account = account
    return account


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


def log_in(request: Request, account: Account) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at every log-in
    request.session["account_id"] = account.id
    request.session["session_version"] = account.session_version
    # Mint the new CSRF token now: made lazily, two pages opened at once right after logging in
    # would each mint their own, and the form of one would then be refused.
    csrf_token(request)
    request.state.account = account


def log_out(request: Request) -> None:
    request.session.clear()
    request.state.account = None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
