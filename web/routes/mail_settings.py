"""The member's mail preferences (/settings/email) and one-click unsubscribe (/unsubscribe/…).

The unsubscribe POST takes no CSRF token: RFC 8058 mail clients post it with no session, and
the signed token in the URL is the authorisation (it names the account and only turns mail off).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3

from server import mail
from server.mail.preferences import PreferenceChanges
from server.models import MailPreferences
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm, read_form
from web.session import require_account

CADENCES = [
    SelectChoice("immediate", "At once"),
    SelectChoice("daily", "In the daily digest"),
    SelectChoice("weekly", "In the weekly digest"),
    SelectChoice("never", "Never"),
]
DIGESTS = [
    SelectChoice("daily", "Daily"),
    SelectChoice("weekly", "Weekly"),
    SelectChoice("never", "Never"),
]
WEEKDAYS = [
    SelectChoice(str(n), day)
    for n, day in enumerate(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
]
HOURS = [SelectChoice(str(hour), f"{hour:02d}:00") for hour in range(24)]
MAX_TOKEN_CHARS = 200


class EmailPreferencesForm(WebForm):
    no_email = BooleanField(
        "Send me no email at all (account mail such as password resets still comes)"
    )
    replies = SelectField("Replies to my posts and in threads I watch", choices=CADENCES)
    mentions = SelectField("Mentions of me", choices=CADENCES)
    answers = SelectField("My answer was accepted", choices=CADENCES)
    moderation = SelectField("Moderation notices", choices=CADENCES)
    digest = SelectField("Activity digest", choices=DIGESTS)
    digest_hour = SelectField("Send the digest at", choices=HOURS)
    digest_weekday = SelectField("On (weekly digests)", choices=WEEKDAYS)
    time_zone = StringField("Your time zone")


def _form_of(row: MailPreferences) -> EmailPreferencesForm:
    return EmailPreferencesForm(
        data={
            "no_email": row.no_email,
            "replies": row.replies.value,
            "mentions": row.mentions.value,
            "answers": row.answers.value,
            "moderation": row.moderation.value,
            "digest": row.digest.value,
            "digest_hour": str(row.digest_hour),
            "digest_weekday": str(row.digest_weekday),
            "time_zone": row.time_zone,
        }
    )


def _page(
    request: Request, form: EmailPreferencesForm, *, status_code: int = 200, saved: bool = False
) -> Response:
    return web(request).templates.TemplateResponse(
        request,
        "accounts/settings_email.html",
        {
            "form": form,
            "flashes": ["Your mail preferences are saved."] if saved else [],
            "active": "email",
        },
        status_code=status_code,
    )


async def email_settings(request: Request) -> Response:
    account = await require_account(request)
    if request.method == "GET":
        row = await mail.preferences_of(account)
        return _page(request, _form_of(row), saved=request.query_params.get("saved") == "1")
    posted = EmailPreferencesForm.from_formdata(await read_form(request))
    assert isinstance(posted, EmailPreferencesForm)
    form = posted
    if not form.validate():
        return _page(request, form, status_code=422)
    try:
        await mail.save_preferences(
            account,
            PreferenceChanges(
                no_email=bool(form.no_email.data),
                replies=str(form.replies.data),
                mentions=str(form.mentions.data),
                answers=str(form.answers.data),
                moderation=str(form.moderation.data),
                digest=str(form.digest.data),
                digest_hour=int(str(form.digest_hour.data)),
                digest_weekday=int(str(form.digest_weekday.data)),
                time_zone=(form.time_zone.data or "").strip(),
            ),
        )
    except Invalid as exc:
        form.add_errors(exc.errors)
        return _page(request, form, status_code=422)
    return RedirectResponse("/settings/email?saved=1", 303)


async def unsubscribe(request: Request) -> Response:
    token = request.path_params["token"]
    account = await mail.open_unsubscribe_token(web(request).settings, token)
    if account is None:
        raise HTTPException(404, "This unsubscribe link is not valid (it may be cut short).")
    templates = web(request).templates
    if request.method == "GET":
        return templates.TemplateResponse(
            request, "accounts/unsubscribe.html", {"token": token, "done": False}
        )
    await mail.unsubscribe(account)
    return templates.TemplateResponse(
        request, "accounts/unsubscribe.html", {"token": token, "done": True}
    )


routes = [
    Route("/settings/email", email_settings, methods=["GET", "POST"], name="settings_email"),
    Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"], name="unsubscribe"),
]
