"""Path convertors for the ids and names in our URLs, so that a malformed one is a 404 at routing.

`{post_id:id}` takes only what `new_id` makes (26 letters and digits, any case); `{name:name}` a
local name; `{handle:handle}` a local name or `name@host[:port]` of something elsewhere;
`{domain:domain}` a host name. Their
lengths are those the database stores, so an over-long value never reaches a query (where the
ORM would refuse it with an error, a 500). Registered once, on import, before routes are built.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

NAME_CHARS = 64  # Actor.username
DOMAIN_CHARS = 255  # Actor.domain


class IdConvertor(Convertor[str]):
    regex = "[0-9A-Za-z]{26}"

    def convert(self, value: str) -> str:
        return value.lower()

    def to_string(self, value: str) -> str:
        return value


class NameConvertor(Convertor[str]):
    regex = f"[^/@]{{1,{NAME_CHARS}}}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class HandleConvertor(NameConvertor):
    regex = f"@?[^/@]{{1,{NAME_CHARS}}}(?:@[^/@]{{1,{DOMAIN_CHARS}}})?"


class DomainConvertor(NameConvertor):
    regex = f"[^/@]{{1,{DOMAIN_CHARS}}}"


register_url_convertor("id", IdConvertor())
register_url_convertor("domain", DomainConvertor())
register_url_convertor("name", NameConvertor())
register_url_convertor("handle", HandleConvertor())
