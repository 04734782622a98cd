"""Profiles: a member's public page, and their own profile, password and session settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import BooleanField, FileField, PasswordField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired

from server.services import accounts, contributions, profiles, sessions
from server.services.errors import Invalid
from web.browsers import describe
from web.context import web
from web.feed_links import feed_links
from web.forms import WebForm, read_form
from web.open_graph import for_person
from web.routes._listing import cursor_of, older_url, read_page
from web.session import current_account, current_session, log_in, require_account

SAVED = {
    "profile": "Your profile has been saved.",
    "password": "Your password has been changed.",
    "ended": "That session has ended.",
    "ended-others": "You are now logged out everywhere else.",
}


async def profile_page(request: Request) -> Response:
    """A person's page, here or elsewhere: who they are, their groups, and what they
    contributed in tabs (`?tab=`), each counted and paged (`?cursor=`)."""
    viewer = await current_account(request)
    settings = web(request).settings
    profile = await profiles.get_person(
        request.path_params["handle"], viewer, local_domain=settings.domain
    )
    actor = profile.actor
    try:
        tab = contributions.Tab(request.query_params.get("tab", contributions.Tab.POSTS.value))
    except ValueError:
        raise HTTPException(404, "A profile has no such tab.") from None
    listing = await read_page(
        contributions.list_contributions(
            viewer, actor, tab, cursor=cursor_of(request), limit=settings.page_size
        )
    )
    context = {
        "profile": profile,
        "actor": actor,
        "path": f"/u/{actor.username}" + (f"@{actor.domain}" if actor.domain else ""),
        "tabs": contributions.TAB_LABELS,
        "tab": tab,
        "counts": await contributions.counts_for(viewer, actor),
        "listing": listing,
        "older_url": older_url(request, listing.next_cursor),
    }
    if profile.account is not None:
        context["open_graph"] = for_person(settings, actor)
        context["feed_links"] = feed_links(f"Posts by {actor.name}", f"/u/{actor.username}/feed")
    return web(request).templates.TemplateResponse(request, "accounts/profile.html", context)


class ProfileForm(WebForm):
    display_name = StringField("Display name")
    bio = TextAreaField("About you")
    avatar = FileField("Avatar")
    remove_avatar = BooleanField("Remove my avatar")


async def profile_settings(request: Request) -> Response:
    account = await require_account(request)
    if request.method == "GET":
        form = ProfileForm(display_name=account.actor.display_name, bio=account.bio_source)
        return _profile_settings_page(request, form, saved=request.query_params.get("saved"))
    settings = web(request).settings
    data = await read_form(request, with_files=True)
    posted = ProfileForm.from_formdata(data)
    assert isinstance(posted, ProfileForm)
    form = posted
    avatar: bytes | None = None
    upload = data.get("avatar")
    if isinstance(upload, UploadFile) and upload.filename:
        avatar = await upload.read(settings.max_upload_bytes + 1)
        if len(avatar) > settings.max_upload_bytes:
            limit = settings.max_upload_bytes // 1024
            raise HTTPException(413, f"The image is too large (the limit is {limit} KiB).")
    change = profiles.ProfileChange(
        display_name=form.display_name.data or "",
        bio=form.bio.data or "",
        avatar=avatar,
        remove_avatar=bool(form.remove_avatar.data),
    )
    try:
        await profiles.update_profile(account, change, settings.media_dir)
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _profile_settings_page(request, form, status_code=422)
    return RedirectResponse("/settings/profile?saved=profile", 303)


def _profile_settings_page(
    request: Request, form: ProfileForm, *, status_code: int = 200, saved: str | None = None
) -> Response:
    flashes = [SAVED[saved]] if saved in SAVED else []
    return web(request).templates.TemplateResponse(
        request,
        "accounts/settings_profile.html",
        {"form": form, "flashes": flashes, "active": "profile"},
        status_code=status_code,
    )


class PasswordForm(WebForm):
    current_password = PasswordField(
        "Current password", [InputRequired("Enter your current password.")]
    )
    password = PasswordField("New password", [InputRequired("Choose a new password.")])
    confirm = PasswordField(
        "New password again", [EqualTo("password", "The two passwords differ.")]
    )


async def password_settings(request: Request) -> Response:
    account = await require_account(request)
    if request.method == "GET":
        return _password_page(request, PasswordForm(), saved=request.query_params.get("saved"))
    data = await read_form(request)
    posted = PasswordForm.from_formdata(data)
    assert isinstance(posted, PasswordForm)
    form = posted
    if not form.validate():
        return _password_page(request, form, status_code=422)
    try:
        await accounts.change_own_password(
            account, form.current_password.data or "", form.password.data or ""
        )
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _password_page(request, form, status_code=422)
    # The change ended every session, this one too: it continues under a new token.
    await log_in(request, account)
    return RedirectResponse("/settings/password?saved=password", 303)


def _password_page(
    request: Request, form: PasswordForm, *, status_code: int = 200, saved: str | None = None
) -> Response:
    flashes = [SAVED[saved]] if saved in SAVED else []
    return web(request).templates.TemplateResponse(
        request,
        "accounts/settings_password.html",
        {"form": form, "flashes": flashes, "active": "password"},
        status_code=status_code,
    )


@dataclass(frozen=True)
class SessionLine:
    id: str
    browser: str
    ip_address: str
    last_seen_at: datetime
    created_at: datetime
    current: bool


async def sessions_settings(request: Request) -> Response:
    account = await require_account(request)
    here = current_session(request)
    lines = [
        SessionLine(
            id=row.id,
            browser=describe(row.user_agent),
            ip_address=row.ip_address,
            last_seen_at=row.last_seen_at,
            created_at=row.created_at,
            current=here is not None and row.id == here.id,
        )
        for row in await sessions.list_sessions(account.id)
    ]
    saved = request.query_params.get("saved")
    return web(request).templates.TemplateResponse(
        request,
        "accounts/settings_sessions.html",
        {
            "sessions": lines,
            "flashes": [SAVED[saved]] if saved in SAVED else [],
            "active": "sessions",
        },
    )


async def end_other_sessions(request: Request) -> Response:
    account = await require_account(request)
    await read_form(request)
    here = current_session(request)
    assert here is not None  # a logged-in request always has its session row
    await sessions.end_others(account.id, here.id)
    return RedirectResponse("/settings/sessions?saved=ended-others", 303)


async def end_one_session(request: Request) -> Response:
    account = await require_account(request)
    await read_form(request)
    if not await sessions.end_own_session(account.id, request.path_params["session_id"]):
        raise HTTPException(404, "You have no such session.")
    return RedirectResponse("/settings/sessions?saved=ended", 303)


routes = [
    Route("/u/{handle:handle}", profile_page, name="profile"),
    Route("/settings/profile", profile_settings, methods=["GET", "POST"], name="settings_profile"),
    Route(
        "/settings/password", password_settings, methods=["GET", "POST"], name="settings_password"
    ),
    Route("/settings/sessions", sessions_settings, name="settings_sessions"),
    Route(
        "/settings/sessions/end-others",
        end_other_sessions,
        methods=["POST"],
        name="settings_sessions_end_others",
    ),
    Route(
        "/settings/sessions/{session_id}/end",
        end_one_session,
        methods=["POST"],
        name="settings_sessions_end_one",
    ),
]
