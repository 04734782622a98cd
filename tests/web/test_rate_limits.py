"""Rate limits of the web's entry points not covered beside their pages: replies and password
resets answer 429 with Retry-After and change nothing; bad rules are refused at start-up.
(Log-in, sign-up and new posts have theirs in test_accounts_login, test_accounts_signup and
test_posts_pages.)"""

from __future__ import annotations

import pydantic
import pytest

from server.models import PasswordReset, Post
from server.settings import Settings
from tests.helpers import client_for, csrf, log_in, make_account, make_group, make_post


async def test_reply__over_the_post_limit_is_429_and_stores_nothing_more(
    settings: Settings, database: None
) -> None:
    # Given a limit of one post a minute, and a member's thread
    owner = await make_account("teacher")
    group = await make_group(owner, "rustlings")
    root = await make_post(owner, group)
    limited = settings.model_copy(update={"post_rate_limit": "1/minute"})
    async with client_for(limited) as client:
        await log_in(client, "teacher")
        token = await csrf(client, f"/p/{root.id}")
        # When they reply twice at once
        first = await client.post(f"/p/{root.id}/reply", data={"csrf_token": token, "body": "A"})
        second = await client.post(f"/p/{root.id}/reply", data={"csrf_token": token, "body": "B"})
    # Then the second is refused with a Retry-After, and only the first reply exists
    assert first.status_code == 303
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) > 0
    assert await Post.filter(parent_id=root.id).count() == 1


async def test_reset__too_many_requests_from_one_address_are_429(
    settings: Settings, database: None
) -> None:
    # Given an instance allowing two attempts a minute (the log-in limit), and an account
    await make_account("ada")
    limited = settings.model_copy(update={"login_rate_limit": "2/minute"})
    async with client_for(limited) as client:
        statuses = []
        for _ in range(3):
            token = await csrf(client, "/reset")
            response = await client.post(
                "/reset", data={"email": "ada@example.org", "csrf_token": token}
            )
            statuses.append(response.status_code)
    # Then the third is refused with a Retry-After, and no third reset was started
    assert statuses == [303, 303, 429]
    assert int(response.headers["retry-after"]) > 0
    assert await PasswordReset.all().count() == 2


@pytest.mark.parametrize(
    "name",
    [
        "login_rate_limit",
        "signup_rate_limit",
        "post_rate_limit",
        "inbox_actor_rate_limit",
        "inbox_domain_rate_limit",
    ],
)
def test_settings__a_rate_limit_must_be_a_rate(name: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="must be a rate"):
        Settings(**{name: "lots"})
    assert getattr(Settings(**{name: "5 per hour"}), name) == "5 per hour"
