"""Outgoing e-mail over SMTP: the message, and the connection the mail worker sends it over.

smtplib blocks, so messages are sent from a worker thread. Every mail is queued first
(`server.mail`); the mail worker (`server.mail.worker`) keeps one `SmtpConnection` open for a
batch of queued messages, or writes them into the log when no server is set.

Exceptions: `MailNotSent` when the SMTP server cannot be reached or refuses the message; its
`permanent` is true for a 5xx refusal, which sending again cannot change.
"""

from __future__ import annotations

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
