"""Domain blocks: an instance admin cutting off (suspend) or limiting another server.

`block_domain(domain, severity, reason, by=…, public=…)` records the block, or changes an existing
one, with its audit entry (`domain.block`, or `domain.update` for a change). A block covers the
domain's subdomains too (`*.example` is blocked with `example`), wherever it is checked.

**Suspend** cuts the server off. What it already put here is hidden, for its actors and those of
its subdomains: their published or held posts become REMOVED with the reason "domain suspended"
(a state a moderator can restore from), and their memberships end, so they no longer count as
members or followers of any group. New activities from it are refused at the inbox (403),
secure-mode fetches too, and nothing is delivered to it.

**Limit** lets the server stay in touch without reaching people unchecked: its actors cannot
join (follow) groups here any more, and posts and replies its members send into groups here are
HELD for the group's moderators (`held_reason` "domain_limited") instead of appearing at once.
Deliveries to it and reports from it go on as usual; existing memberships stay.

Both publish `DomainBlockChanged`, which empties this process's inbox memory of blocks: its
inboxes apply a block, or its lifting, from the next request on (other processes within
`receive.BLOCK_MEMO_SECONDS`).

`unblock_domain` lifts a block (`domain.unblock`). It does not bring hidden content back:
moderators restore what they want, post by post. Each removal and ended membership publishes its
usual event, in one transaction with the block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server import events
from server.models import Actor, DomainBlock, DomainBlockSeverity
from server.services import audit
from server.services._hiding import end_memberships, remove_posts
from server.services.errors import Invalid, NotFound

__all__ = [
    "LIMITED_REASON",
    "SUSPENDED_REASON",
    "block_domain",
    "block_of",
    "clean_domain",
    "get_block",
    "is_limited",
    "list_blocks",
    "public_blocks",
    "unblock_domain",
]

SUSPENDED_REASON = "domain suspended"
LIMITED_REASON = "domain_limited"  # the `held_reason` of a limited domain's posts
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?$")
_BAD_DOMAIN = "Give a domain name such as example.social."


def clean_domain(domain: str) -> str:
    """The domain in the form blocks are stored and compared in (lower case, punycode)."""
    cleaned = domain.strip().lower().rstrip(".").removeprefix("*.")
    if not cleaned.isascii():
        try:
            cleaned = cleaned.encode("idna").decode("ascii")
        except UnicodeError:
            raise Invalid({"domain": _BAD_DOMAIN}) from None
    if len(cleaned) > 255 or not _DOMAIN.match(cleaned):
        raise Invalid({"domain": _BAD_DOMAIN})
    return cleaned


async def block_domain(
    domain: str,
    severity: DomainBlockSeverity,
    reason: str = "",
    *,
    by: Actor | None = None,
    public: bool | None = None,
) -> DomainBlock:
    """Block the domain (again, with a new severity); a suspension hides its content here.

    `public` shows the block and its reason on the public list (None keeps it as it was);
    `by` is the admin, for the audit log (None: the system, as in imports from the CLI).
    """
    name = clean_domain(domain)
    severity = DomainBlockSeverity(severity)
    text = audit.checked_reason(reason)
    async with in_transaction():
        block = await DomainBlock.get_or_none(domain=name)
        if block is None:
            action = "domain.block"
            block = await DomainBlock.create(
                domain=name, severity=severity, reason=text, public=bool(public)
            )
        else:
            action = "domain.update"
            block.severity = severity
            block.reason = text
            block.public = block.public if public is None else public
            await block.save(update_fields=["severity", "reason", "public"])
        await audit.record(
            by,
            action,
            target_type="domain",
            target_id=name,
            target_label=f"{name} ({severity.value})",
            reason=text,
        )
        if severity == DomainBlockSeverity.SUSPEND:
            actor_ids = await _actors_of(name)
            await remove_posts(actor_ids, SUSPENDED_REASON)
            await end_memberships(actor_ids)
        await events.bus.publish(events.DomainBlockChanged(name))
    return block


async def unblock_domain(by: Actor | None, domain: str) -> None:
    """Lift the block. Hidden posts stay removed and ended memberships stay ended."""
    name = clean_domain(domain)
    async with in_transaction():
        if not await DomainBlock.filter(domain=name).delete():
            raise NotFound("That domain is not blocked.")
        await audit.record(
            by, "domain.unblock", target_type="domain", target_id=name, target_label=name
        )
        await events.bus.publish(events.DomainBlockChanged(name))


async def get_block(domain: str) -> DomainBlock:
    try:
        name = clean_domain(domain)
    except Invalid:
        raise NotFound("That domain is not blocked.") from None
    block = await DomainBlock.get_or_none(domain=name)
    if block is None:
        raise NotFound("That domain is not blocked.")
    return block


async def list_blocks() -> list[DomainBlock]:
    return await DomainBlock.all().order_by("domain")


async def public_blocks() -> list[DomainBlock]:
    """The blocks an admin chose to show, with their reasons ("moderated servers")."""
    return await DomainBlock.filter(public=True).order_by("domain")


async def block_of(domain: str) -> DomainBlockSeverity | None:
    """The block on this domain or any parent domain (`*.example` is blocked with `example`);
    a suspension wins over a limit. Within `remembering()`, each domain is read once."""
    memo = _remembered.get()
    key = domain.lower()
    if memo is not None and key in memo:
        return memo[key]
    host = key.split(":")[0]
    parts = host.split(".")
    candidates = {key, host} | {".".join(parts[i:]) for i in range(1, len(parts) - 1)}
    severities = {block.severity for block in await DomainBlock.filter(domain__in=list(candidates))}
    found: DomainBlockSeverity | None = None
    if DomainBlockSeverity.SUSPEND in severities:
        found = DomainBlockSeverity.SUSPEND
    elif severities:
        found = DomainBlockSeverity.LIMIT
    if memo is not None:
        memo[key] = found
    return found


_remembered: ContextVar[dict[str, DomainBlockSeverity | None] | None] = ContextVar(
    "remembered_domain_blocks", default=None
)


@contextmanager
def remembering(
    memo: dict[str, DomainBlockSeverity | None] | None = None,
) -> Iterator[None]:
    """`block_of` reads each domain once while the block runs (in this task), keeping what it
    read in `memo` (a new dict by default): for short pieces of work, such as the inbox
    worker's handling of a batch of activities, which asks about each sender's domain often."""
    token = _remembered.set({} if memo is None else memo)
    try:
        yield
    finally:
        _remembered.reset(token)


async def is_limited(domain: str) -> bool:
    """Whether posts from this domain wait for a moderator (a limit, not a suspension)."""
    return await block_of(domain) == DomainBlockSeverity.LIMIT


async def _actors_of(domain: str) -> list[str]:
    """Remote actors of the domain and its subdomains, on any port."""
    matching = Actor.filter(
        Q(domain=domain)
        | Q(domain__startswith=f"{domain}:")
        | Q(domain__endswith=f".{domain}")
        | Q(domain__contains=f".{domain}:")
    ).exclude(domain="")
    return [str(actor_id) for actor_id in await matching.values_list("id", flat=True)]
