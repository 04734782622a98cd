"""Getting in and out: sign-up, log-in, log-out, password reset, and claiming the first admin."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired

from server.mail import account_mail
from server.models import AccountState, RegistrationMode
from server.services import accounts, group_invites, instance, setup, signup_links
from server.services.errors import Conflict, Forbidden, Invalid
from web.client_ip import client_ip
from web.context import web
from web.forms import WebForm, read_form
from web.group_page import group_path
from web.session import current_account, log_in, log_out, require_account, require_admin

LANDING = "/home"  # where people go after logging in when no `next` says otherwise
NOTICES = {
    "password-reset": "Your password has been changed. Log in with the new one.",
    "reset-sent": "If an account uses that address, we have sent it a link to choose a new "
    "password. It works for two hours. Check your spam folder if nothing arrives.",
}
TOO_MANY_LOGINS = "Too many log-in attempts. Wait a little, then try again."
TOO_MANY_SIGNUPS = "Too many sign-ups from your network. Try again later."
TOO_MANY_RESETS = "Too many reset requests. Wait a little, then try again."


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: `next` must never lead elsewhere.

    "//host" and "/\\host" are read by browsers as other sites, and they drop tabs and newlines
    from URLs, so any control character or backslash disqualifies the target.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    return target


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    return web(request).templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


def _notice(request: Request) -> list[str]:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return [notice] if notice else []


# --- sign-up -------------------------------------------------------------------------------------


class SignupForm(WebForm):
    username = StringField("User name", [InputRequired("Choose a user name.")])
    display_name = StringField("Display name")
    email = EmailField("E-mail address", [InputRequired("Enter your e-mail address.")])
    password = PasswordField("Password", [InputRequired("Choose a password.")])
    invite_code = StringField("Invitation code")
    reason = TextAreaField("Why do you want to join?")
    next = HiddenField()


async def signup(request: Request) -> Response:
    """Sign-up answers the same whether or not the address has an account already.

    With approval, a known address gets the same "awaits approval" page. Open and invite-only
    sign-ups are confirmed by a mailed link (nothing is stored before it is followed), and a
    known address gets the same "check your mail" page while its owner is mailed about the
    attempt. Without an SMTP server the mail goes to the log, as all mail does.
    """
    account = await current_account(request)
    config = await instance.get_config()
    if request.method == "GET":
        if account is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")) or LANDING, 303)
        form = SignupForm(
            invite_code=request.query_params.get("invite", ""),
            next=safe_next(request.query_params.get("next")) or "",
        )
        return _signup_page(request, form, config.registration_mode)
    data = await read_form(request)
    posted = SignupForm.from_formdata(data)
    assert isinstance(posted, SignupForm)
    form = posted
    limits, settings = web(request).rate_limits, web(request).settings
    ip = client_ip(request)
    # Only sign-ups that pass the form's rules count, so that typos do not lock anyone out.
    await limits.check(settings.signup_rate_limit, "signup", ip, message=TOO_MANY_SIGNUPS)
    if not form.validate():
        return _signup_page(request, form, config.registration_mode, 422)
    mode = config.registration_mode
    # Only a sign-up that waits for an admin is stored at once (an invitation spares the wait).
    confirm_by_mail = mode != RegistrationMode.APPROVAL or bool(form.invite_code.data)
    wanted = accounts.SignUp(
        username=form.username.data or "",
        email=form.email.data or "",
        password=form.password.data or "",
        display_name=form.display_name.data or "",
        invite_code=form.invite_code.data or "",
        reason=form.reason.data or "",
    )
    try:
        if confirm_by_mail:
            checked = replace(
                await accounts.check_sign_up(wanted), next=safe_next(form.next.data) or ""
            )
            created = None
        else:
            created = await accounts.sign_up(wanted)
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _signup_page(request, form, mode, 422)
    except accounts.AddressInUse as exc:
        await limits.hit(settings.signup_rate_limit, "signup", ip, message=TOO_MANY_SIGNUPS)
        owner = exc.account
        await account_mail.queue_signup_attempt(settings, owner)
        if mode == RegistrationMode.APPROVAL:
            return RedirectResponse("/signup/pending", 303)
        return RedirectResponse("/signup/check-mail", 303)
    await limits.hit(settings.signup_rate_limit, "signup", ip, message=TOO_MANY_SIGNUPS)
    if created is None:
        token = signup_links.seal(checked, settings.resolved_secret_key)
        await account_mail.queue_signup_confirmation(
            settings, checked.email, checked.username, token
        )
        return RedirectResponse("/signup/check-mail", 303)
    if created.state == AccountState.PENDING:
        return RedirectResponse("/signup/pending", 303)
    await created.fetch_related("actor")
    await log_in(request, created)
    return RedirectResponse(safe_next(form.next.data) or LANDING, 303)


async def signup_check_mail(request: Request) -> Response:
    await current_account(request)
    context = {"mail_is_logged": not web(request).settings.smtp_host}
    return _render(request, "accounts/signup_check_mail.html", context)


async def signup_confirm(request: Request) -> Response:
    """The mailed link: a page with one button (a GET must not create anything: mail scanners
    open links), whose POST makes the account and logs the person in."""
    await current_account(request)
    token = request.path_params["token"]
    secret = web(request).settings.resolved_secret_key
    checked = signup_links.open_link(token, secret)
    if request.method == "GET":
        context = {"username": checked.username, "token": token}
        return _render(request, "accounts/signup_confirm.html", context)
    await read_form(request)
    try:
        created = await signup_links.finish(token, secret)
    except accounts.AddressInUse:
        raise Conflict(
            "This address already has an account (perhaps this link was used already). "
            "Log in, or reset your password if you forgot it."
        ) from None
    except Invalid as exc:
        raise Conflict(" ".join(exc.errors.values()) + " Sign up again.") from None
    await created.fetch_related("actor")
    await log_in(request, created)
    # An invitation to a group made them a member: that is where they wanted to go.
    group = await group_invites.group_of_code(checked.invite_code) if checked.invite_code else None
    if group is not None:
        return RedirectResponse(group_path(group.actor), 303)
    return RedirectResponse(safe_next(checked.next) or LANDING, 303)


def _signup_page(
    request: Request, form: SignupForm, mode: RegistrationMode, status_code: int = 200
) -> Response:
    return _render(request, "accounts/signup.html", {"form": form, "mode": mode}, status_code)


async def signup_pending(request: Request) -> Response:
    await current_account(request)
    return _render(request, "accounts/signup_pending.html", {})


# --- log-in and log-out --------------------------------------------------------------------------


class LoginForm(WebForm):
    login = StringField("E-mail or user name", [InputRequired("Enter your e-mail or user name.")])
    password = PasswordField("Password", [InputRequired("Enter your password.")])
    next = HiddenField()


async def login(request: Request) -> Response:
    account = await current_account(request)
    if request.method == "GET":
        target = safe_next(request.query_params.get("next"))
        if account is not None:
            return RedirectResponse(target or LANDING, 303)
        return _login_page(request, LoginForm(next=target or ""), flashes=_notice(request))
    data = await read_form(request)
    posted = LoginForm.from_formdata(data)
    assert isinstance(posted, LoginForm)
    form = posted
    if not form.validate():
        return _login_page(request, form, status_code=422)
    login_name = (form.login.data or "").strip()
    limits, rule = web(request).rate_limits, web(request).settings.login_rate_limit
    # Both keys count every attempt: one address cannot try many accounts, and many addresses
    # cannot try one account's passwords.
    await limits.hit(rule, "login", "ip", client_ip(request), message=TOO_MANY_LOGINS)
    await limits.hit(rule, "login", "name", login_name.lower()[:254], message=TOO_MANY_LOGINS)
    try:
        account = await accounts.authenticate(login_name, form.password.data or "")
    except Forbidden as exc:
        form.add_errors({"": exc.message})
        return _login_page(request, form, status_code=403)
    await log_in(request, account)
    return RedirectResponse(safe_next(form.next.data) or LANDING, 303)


def _login_page(
    request: Request, form: LoginForm, *, status_code: int = 200, flashes: list[str] | None = None
) -> Response:
    context = {"form": form, "flashes": flashes or [], "next": form.next.data or ""}
    return _render(request, "accounts/login.html", context, status_code)


async def logout(request: Request) -> Response:
    await read_form(request)
    await log_out(request)
    return RedirectResponse("/", 303)


# --- password reset ------------------------------------------------------------------------------


class ResetRequestForm(WebForm):
    email = EmailField("E-mail address", [InputRequired("Enter your e-mail address.")])


class NewPasswordForm(WebForm):
    password = PasswordField("New password", [InputRequired("Choose a new password.")])
    confirm = PasswordField(
        "New password again", [EqualTo("password", "The two passwords differ.")]
    )


async def reset_request(request: Request) -> Response:
    await current_account(request)
    if request.method == "GET":
        context = {"form": ResetRequestForm(), "flashes": _notice(request)}
        return _render(request, "accounts/reset_request.html", context)
    data = await read_form(request)
    posted = ResetRequestForm.from_formdata(data)
    assert isinstance(posted, ResetRequestForm)
    form = posted
    if not form.validate():
        return _render(request, "accounts/reset_request.html", {"form": form}, 422)
    settings, limits = web(request).settings, web(request).rate_limits
    await limits.hit(
        settings.login_rate_limit, "reset", client_ip(request), message=TOO_MANY_RESETS
    )
    started = await accounts.start_password_reset(form.email.data or "")
    if started is not None:
        account, token = started
        await account_mail.queue_password_reset(settings, account, token)
    return RedirectResponse("/reset?notice=reset-sent", 303)


async def reset_finish(request: Request) -> Response:
    await current_account(request)
    token = request.path_params["token"]
    if request.method == "GET":
        await accounts.check_reset_token(token)
        return _render(request, "accounts/reset_form.html", {"form": NewPasswordForm()})
    data = await read_form(request)
    posted = NewPasswordForm.from_formdata(data)
    assert isinstance(posted, NewPasswordForm)
    form = posted
    if form.validate():
        try:
            await accounts.finish_password_reset(token, form.password.data or "")
        except Invalid as exc:
            form.add_errors(exc.errors)
        else:
            await log_out(request)
            return RedirectResponse("/login?notice=password-reset", 303)
    return _render(request, "accounts/reset_form.html", {"form": form}, 422)


# --- the first admin -----------------------------------------------------------------------------


async def claim(request: Request) -> Response:
    account = await current_account(request)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        here = f"/setup/claim?token={quote(token)}"
        context = {"token": token, "account": account, "next": quote(here, safe="")}
        return _render(request, "accounts/claim.html", context)
    account = await require_account(request)
    data = await read_form(request)
    sent = data.get("token")
    settings = web(request).settings
    if not isinstance(sent, str) or not await setup.claim_admin(settings, sent, account):
        raise Forbidden("This link is not valid any more, or the instance already has an admin.")
    return RedirectResponse("/setup/next", 303)


async def next_steps(request: Request) -> Response:
    """What a new admin does next: a group, people, and how the fediverse finds the group."""
    await require_admin(request)
    return _render(request, "accounts/next_steps.html", {})


routes = [
    Route("/signup", signup, methods=["GET", "POST"], name="signup"),
    Route("/signup/pending", signup_pending, name="signup_pending"),
    Route("/signup/check-mail", signup_check_mail, name="signup_check_mail"),
    Route(
        "/signup/confirm/{token}", signup_confirm, methods=["GET", "POST"], name="signup_confirm"
    ),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/reset", reset_request, methods=["GET", "POST"], name="reset_request"),
    Route("/reset/{token}", reset_finish, methods=["GET", "POST"], name="reset_finish"),
    Route("/setup/claim", claim, methods=["GET", "POST"], name="setup_claim"),
    Route("/setup/next", next_steps, name="setup_next"),
]
