"""Finding people for the admins: local accounts, or the remote people this instance knows.

Search matches the handle, the display name and (for local accounts) the e-mail address, case
insensitively; filters narrow by state and role. Pages are keyset-paged, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q

from server.models import Account, AccountState, Actor, ActorKind, Role
from server.services._paging import Page, keyset_page
from server.services.errors import Invalid

__all__ = ["QUERY_MAX", "Scope", "UserQuery", "UserRow", "search_users"]

QUERY_MAX = 100
PAGE_SIZE = 50


class Scope(StrEnum):
    LOCAL = "local"
    REMOTE = "remote"


@dataclass(frozen=True)
class UserQuery:
    text: str = ""
    scope: str = Scope.LOCAL
    state: str = ""  # "", or an AccountState value (remote people: active or suspended)
    role: str = ""  # "", member or admin (local accounts only)
    cursor: str | None = None


@dataclass(frozen=True)
class UserRow:
    actor: Actor
    account: Account | None  # None for a remote person

    @property
    def state(self) -> str:
        if self.account is not None:
            return self.account.state.value
        return "suspended" if self.actor.suspended_at else "active"


def _check(query: UserQuery) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(query.text) > QUERY_MAX or "\x00" in query.text:
        errors["q"] = f"Search with at most {QUERY_MAX} characters."
    if query.scope not in set(Scope):
        errors["scope"] = "Choose people here or people elsewhere."
    remote_states = {"", AccountState.ACTIVE.value, AccountState.SUSPENDED.value}
    states = remote_states if query.scope == Scope.REMOTE else {"", *AccountState}
    if query.state not in states:
        errors["state"] = "Choose a state from the list."
    if query.role not in {"", *Role} or (query.role and query.scope == Scope.REMOTE):
        errors["role"] = "Roles exist for people here only."
    return errors


async def search_users(query: UserQuery, *, limit: int | None = None) -> Page[UserRow]:
    """One page of people matching `query`; Invalid (by field) for a query that cannot run."""
    if errors := _check(query):
        raise Invalid(errors)
    text = query.text.strip().removeprefix("@")
    if query.scope == Scope.REMOTE:
        return await _remote(text, query, limit)
    accounts = Account.all().select_related("actor")
    if text:
        accounts = accounts.filter(
            Q(actor__username__icontains=text)
            | Q(actor__display_name__icontains=text)
            | Q(email__icontains=text)
        )
    if query.state:
        accounts = accounts.filter(state=query.state)
    if query.role:
        accounts = accounts.filter(role=query.role)
    page = await keyset_page(
        accounts,
        field="created_at",
        cursor=query.cursor,
        limit=limit or PAGE_SIZE,
        key=lambda a: a.created_at,
    )
    return Page([UserRow(account.actor, account) for account in page.items], page.next_cursor)


async def _remote(text: str, query: UserQuery, limit: int | None) -> Page[UserRow]:
    people = Actor.filter(kind=ActorKind.PERSON).exclude(domain="")
    if text:
        name, _, domain = text.partition("@")
        match = Q(username__icontains=text) | Q(display_name__icontains=text)
        match |= Q(domain__icontains=text)
        if name and domain:  # "name@host" as a handle
            match |= Q(username__icontains=name, domain__icontains=domain)
        people = people.filter(match)
    if query.state == AccountState.SUSPENDED:
        people = people.filter(suspended_at__isnull=False)
    elif query.state == AccountState.ACTIVE:
        people = people.filter(suspended_at__isnull=True)
    page = await keyset_page(
        people,
        field="created_at",
        cursor=query.cursor,
        limit=limit or PAGE_SIZE,
        key=lambda a: a.created_at,
    )
    return Page([UserRow(actor, None) for actor in page.items], page.next_cursor)
