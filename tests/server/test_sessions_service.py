"""Server-side sessions: only the token's hash is stored, expiry, touching, and ending them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.models import Account, AccountState, Session, utcnow
from server.services import sessions
from tests.helpers import make_account

MONTH = timedelta(days=30)

pytestmark = pytest.mark.usefixtures("database")


async def test_start_session__stores_only_the_hash_of_the_token() -> None:
    # Given an account
    account = await make_account("ada")
    # When a session starts
    started = await sessions.start_session(
        account, lifetime=MONTH, user_agent="UA", ip_address="::1"
    )
    # Then the row holds the token's SHA-256, never the token, and finds the account back
    row = await Session.get(id=started.session.id)
    assert row.token_hash == sessions.token_hash(started.token) != started.token
    assert not await Session.filter(token_hash=started.token).exists()
    found = await sessions.find_account(started.token, lifetime=MONTH)
    assert found is not None and found[0].id == account.id and found[1].id == row.id
    assert found[0].actor.username == "ada"  # the actor comes with it, for the page header


async def test_start_session__control_characters_in_headers_are_dropped() -> None:
    account = await make_account("ada")
    started = await sessions.start_session(account, lifetime=MONTH, user_agent="Fire\x00fox\n")
    assert (await Session.get(id=started.session.id)).user_agent == "Firefox"


async def test_start_session__sweeps_expired_rows_of_everybody() -> None:
    # Given an expired session of one person and a live one of another
    ada, ben = await make_account("ada"), await make_account("ben")
    old = await sessions.start_session(ada, lifetime=MONTH)
    live = await sessions.start_session(ben, lifetime=MONTH)
    await Session.filter(id=old.session.id).update(expires_at=utcnow() - timedelta(seconds=1))
    # When somebody logs in
    await sessions.start_session(ben, lifetime=MONTH)
    # Then the expired row is gone and the live one stays
    assert not await Session.filter(id=old.session.id).exists()
    assert await Session.filter(id=live.session.id).exists()


async def test_find_account__refuses_expired_unknown_and_inactive() -> None:
    # Given two sessions, one expired, and a suspended account's session
    ada, ben = await make_account("ada"), await make_account("ben")
    expired = await sessions.start_session(ada, lifetime=MONTH)
    await Session.filter(id=expired.session.id).update(expires_at=utcnow() - timedelta(seconds=1))
    suspended = await sessions.start_session(ben, lifetime=MONTH)
    await Account.filter(id=ben.id).update(state=AccountState.SUSPENDED)
    # Then none of them, nor an unknown or empty token, logs anybody in
    for token in (expired.token, suspended.token, "unknown", "", "x" * 1000):
        assert await sessions.find_account(token, lifetime=MONTH) is None


async def test_find_account__writes_last_seen_only_after_a_while() -> None:
    # Given a session seen just now
    account = await make_account("ada")
    started = await sessions.start_session(account, lifetime=MONTH, ip_address="10.0.0.1")
    first = await Session.get(id=started.session.id)
    # When it is used again at once, from another address
    await sessions.find_account(started.token, lifetime=MONTH, ip_address="10.0.0.2")
    # Then nothing is written
    again = await Session.get(id=started.session.id)
    assert (again.last_seen_at, again.expires_at, again.ip_address) == (
        first.last_seen_at,
        first.expires_at,
        "10.0.0.1",
    )
    # When it is used after TOUCH_EVERY has passed
    earlier = utcnow() - sessions.TOUCH_EVERY - timedelta(seconds=1)
    await Session.filter(id=first.id).update(last_seen_at=earlier)
    await sessions.find_account(started.token, lifetime=MONTH, ip_address="10.0.0.2")
    # Then last-seen, the address and the expiry move on
    touched = await Session.get(id=first.id)
    assert touched.last_seen_at > earlier
    assert touched.expires_at > first.expires_at
    assert touched.ip_address == "10.0.0.2"


async def test_end_others__keeps_only_the_given_session_of_that_account() -> None:
    # Given two sessions of Ada and one of Ben
    ada, ben = await make_account("ada"), await make_account("ben")
    here = await sessions.start_session(ada, lifetime=MONTH)
    there = await sessions.start_session(ada, lifetime=MONTH)
    bens = await sessions.start_session(ben, lifetime=MONTH)
    # When Ada ends her other sessions
    assert await sessions.end_others(ada.id, here.session.id) == 1
    # Then only the other one of hers ended
    assert await sessions.find_account(here.token, lifetime=MONTH) is not None
    assert await sessions.find_account(there.token, lifetime=MONTH) is None
    assert await sessions.find_account(bens.token, lifetime=MONTH) is not None


async def test_end_own_session__refuses_another_persons_session() -> None:
    ada, ben = await make_account("ada"), await make_account("ben")
    bens = await sessions.start_session(ben, lifetime=MONTH)
    assert await sessions.end_own_session(ada.id, bens.session.id) is False
    assert await sessions.find_account(bens.token, lifetime=MONTH) is not None
    assert await sessions.end_own_session(ben.id, bens.session.id) is True
    assert await sessions.find_account(bens.token, lifetime=MONTH) is None


async def test_list_sessions__live_ones_most_recently_seen_first() -> None:
    account = await make_account("ada")
    older = await sessions.start_session(account, lifetime=MONTH)
    newer = await sessions.start_session(account, lifetime=MONTH)
    gone = await sessions.start_session(account, lifetime=MONTH)
    await Session.filter(id=older.session.id).update(last_seen_at=utcnow() - timedelta(hours=1))
    await Session.filter(id=gone.session.id).update(expires_at=utcnow() - timedelta(seconds=1))
    listed = await sessions.list_sessions(account.id)
    assert [row.id for row in listed] == [newer.session.id, older.session.id]
