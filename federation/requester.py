"""Which software is asking for a document, told by the signature on its GET.

Only a rendering hint, never a permission: the signature is not verified here (secure mode,
`signed_fetch`, does that), so a forger can at most choose which of our two public shapes of a
Note it reads. Takahē and Mastodon sign every fetch; an unsigned GET is a browser, a tool or a
peer we cannot tell, and gets the full document.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from federation.inbox.parse_actor import domain_of
from federation.outbox.software import cached_software, is_threadiverse
from server.models import Actor

__all__ = ["signer_domain", "wants_microblog_shape"]

_KEY_ID = re.compile(r'\bkey[iI]d="([^"]{1,2048})"')


def signer_domain(request: Request) -> str | None:
    """The domain of the key that signed the request (unchecked), or None when unsigned."""
    for header in ("signature", "authorization", "signature-input"):
        match = _KEY_ID.search(request.headers.get(header, ""))
        if match:
            return domain_of(match.group(1)) or None
    return None


async def wants_microblog_shape(request: Request) -> bool:
    """True when a signed GET comes from a server that is not known to be threadiverse.

    Unknown software counts as microblog, as it does for deliveries (outbox.software)."""
    domain = signer_domain(request)
    if domain is None:
        return False
    software = cached_software(domain)
    if not software:
        known = await Actor.filter(domain=domain).exclude(software="").first()
        software = known.software if known is not None else ""
    return not is_threadiverse(software)
