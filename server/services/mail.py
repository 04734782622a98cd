"""Outgoing e-mail over SMTP, or into the log when no server is set.

smtplib blocks, so messages are sent from a worker thread. Account mail (password resets,
sign-up decisions) is sent at once, one connection per message; the mail worker
(server.mail.worker) keeps one `SmtpConnection` open for a batch of queued messages.

Exceptions: `MailNotSent` when the SMTP server cannot be reached or refuses the message; its
`permanent` is true for a 5xx refusal, which sending again cannot change.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from server.settings import Settings

log = logging.getLogger("lyceum.mail")

SMTP_TIMEOUT = 30.0
# Lines up to RFC 5322's 998 characters: with the default 78, an unsubscribe URL longer than a
# line would be folded into RFC 2047 encoded words, which no mail client reads as a URL.
HEADER_POLICY = email.policy.default.clone(max_line_length=998)


class MailNotSent(Exception):
    """The message could not be handed to the SMTP server."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


def build_message(
    settings: Settings,
    to: str,
    subject: str,
    body: str,
    *,
    html: str = "",
    unsubscribe_url: str = "",
) -> EmailMessage:
    """A message with a plain-text part, an HTML alternative when `html` is given, and RFC 8058
    one-click unsubscribe headers when `unsubscribe_url` is given."""
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = settings.resolved_mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname or None)
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def refusal_is_permanent(exc: BaseException) -> bool:
    """A 5xx answer to the message or to every recipient: the server will never take it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError)
    return False


class SmtpConnection:
    """One SMTP connection, opened on the first message and reused for the next ones (a
    connection that failed is closed and opened again for the next message). Blocking: use it
    from a worker thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        """Hand one message over; raises `MailNotSent`."""
        try:
            if self._smtp is None:
                self._smtp = _connect(self.settings)
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            permanent = refusal_is_permanent(exc)
            if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                self.close()  # the connection may be broken: start afresh next time
            else:
                self._reset()
            raise MailNotSent(f"{type(exc).__name__}: {exc}", permanent=permanent) from exc

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; with no SMTP host configured, log it instead."""
    message = build_message(settings, to, subject, body)
    if not settings.smtp_host:
        log.info("No SMTP server is set; this mail was not sent.\n%s", message.as_string())
        return
    try:
        await asyncio.to_thread(_deliver, settings, message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailNotSent(f"Mail to {to} could not be sent: {exc}") from exc


def _deliver(settings: Settings, message: EmailMessage) -> None:
    with _connect(settings) as smtp:
        smtp.send_message(message)


def _connect(settings: Settings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_tls:
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    try:
        if settings.smtp_starttls and not settings.smtp_tls:
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


async def send_password_reset(settings: Settings, to: str, username: str, token: str) -> None:
    link = settings.url(f"/reset/{token}")
    body = (
        f"Hello @{username},\n\n"
        f"Someone (hopefully you) asked to reset the password of your account on "
        f"{settings.domain}. Choose a new password here:\n\n"
        f"{link}\n\n"
        "The link works once, for two hours. If you did not ask for it, ignore this mail: "
        "your password stays as it is.\n"
    )
    await send_mail(settings, to, "Reset your password", body)


async def send_signup_approved(settings: Settings, to: str, username: str) -> None:
    body = (
        f"Hello @{username},\n\n"
        f"An admin approved your sign-up on {settings.domain}. You can log in now:\n\n"
        f"{settings.url('/login')}\n"
    )
    await send_mail(settings, to, "Your account is ready", body)


async def send_signup_confirmation(settings: Settings, to: str, username: str, token: str) -> None:
    body = (
        "Hello,\n\n"
        f"Someone (hopefully you) signed up on {settings.domain} as @{username} with this "
        "address. To finish, open this link and confirm:\n\n"
        f"{settings.url('/signup/confirm/' + token)}\n\n"
        "The link works for 24 hours. If you did not sign up, ignore this mail: no account is "
        "made without it.\n"
    )
    await send_mail(settings, to, "Finish signing up", body)


async def send_signup_attempt(settings: Settings, to: str, username: str) -> None:
    """To the owner of an address someone tried to sign up with again."""
    body = (
        f"Hello @{username},\n\n"
        f"Someone tried to sign up on {settings.domain} with this e-mail address, which "
        "already belongs to your account. If it was you, log in:\n\n"
        f"{settings.url('/login')}\n\n"
        "or, if you forgot your password, choose a new one:\n\n"
        f"{settings.url('/reset')}\n\n"
        "If it was not you, ignore this mail: nothing has changed.\n"
    )
    await send_mail(settings, to, "Someone tried to sign up with your address", body)
