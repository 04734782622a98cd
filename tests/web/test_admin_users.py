"""The admins' people pages: finding people, and suspending, deleting, promoting, resetting."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from server.models import (
    Account,
    AccountState,
    Actor,
    AuditEntry,
    Membership,
    MembershipState,
    Post,
    PostState,
    Role,
)
from server.services import user_search, users
from server.settings import Settings
from tests.helpers import (
    csrf,
    join_as_member,
    make_account,
    make_group,
    make_post,
    make_remote_actor,
)
from tests.web._admin_world import admin, admin_client, member_client
from tests.web._smtp import send_queued_mail

__all__ = ["admin", "admin_client"]  # fixtures used by name


async def post_form(
    client: httpx.AsyncClient, path: str, page: str, **fields: str
) -> httpx.Response:
    token = await csrf(client, page)
    return await client.post(path, data={**fields, "csrf_token": token})


async def ben_with_a_post() -> tuple[Account, Post]:
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    ben = await make_account("ben", display_name="Ben Franklin")
    await join_as_member(group, ben)
    return ben, await make_post(ben, group, title="Kites in storms")


# --- the list ----------------------------------------------------------------------------------


async def test_user_list__searches_and_filters(admin_client: httpx.AsyncClient) -> None:
    # Given local people in several states, and a remote person
    await ben_with_a_post()
    carla = await make_account("carla")
    await Account.filter(id=carla.id).update(state=AccountState.SUSPENDED)
    await make_remote_actor("bob", "remote.example", software="mastodon")

    async def listed(query: str) -> set[str]:
        page = await admin_client.get(f"/admin/users?{query}")
        assert page.status_code == 200, page.text
        return set(re.findall(r'href="/admin/(?:users|actors)/\w+">@([\w.@-]+)</a>', page.text))

    # Then the list searches handles, names and addresses, and filters by state, role and place
    assert await listed("") == {"olga", "ada", "ben", "carla"}
    assert await listed("q=franklin") == {"ben"}
    assert await listed("q=carla%40example.org") == {"carla"}
    assert await listed("state=suspended") == {"carla"}
    assert await listed("role=admin") == {"olga"}
    assert await listed("scope=remote") == {"bob@remote.example"}


async def test_user_list__pages_with_a_cursor(
    admin_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given four accounts and pages of two
    for name in ("ann", "bea", "cid"):
        await make_account(name)
    monkeypatch.setattr(user_search, "PAGE_SIZE", 2)
    # When an admin follows the "Older" links to the end
    seen: list[str] = []
    url: str | None = "/admin/users"
    pages = 0
    while url and pages < 5:
        page = await admin_client.get(url)
        pages += 1
        seen += re.findall(r'href="/admin/users/\w+">@(\w+)</a>', page.text)
        found = re.search(r'href="(/admin/users\?[^"]+)" rel="next"', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    # Then everyone shows once, newest first, over two pages
    assert (pages, seen) == (2, ["cid", "bea", "ann", "olga"])


@pytest.mark.parametrize(
    "query",
    ["state=sleeping", "scope=moon", "scope=remote&role=admin", "cursor=%%%", "q=" + "x" * 101],
)
async def test_user_list__bad_filters_are_422_with_a_reason(
    admin_client: httpx.AsyncClient, query: str
) -> None:
    page = await admin_client.get(f"/admin/users?{query}")
    assert page.status_code == 422
    assert 'class="error"' in page.text or "error-summary" in page.text


# --- one person --------------------------------------------------------------------------------


async def test_user_detail__shows_the_person_and_the_actions(
    admin_client: httpx.AsyncClient,
) -> None:
    ben, _ = await ben_with_a_post()
    page = await admin_client.get(f"/admin/users/{ben.id}")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert '<a href="/admin/users" aria-current="page">Users</a>' in page.text
    assert "ben@example.org" in page.text and "Physics" in page.text
    for action in ("suspend", "role", "password-reset", "delete"):
        assert f'action="/admin/users/{ben.id}/{action}"' in page.text
    # A local person's actor page forwards to their account page
    forwarded = await admin_client.get(f"/admin/actors/{ben.actor_id}")
    assert forwarded.status_code == 303
    assert forwarded.headers["location"] == f"/admin/users/{ben.id}"
    assert (await admin_client.get("/admin/users/nobody")).status_code == 404


async def test_user_detail__own_page_offers_no_actions(
    admin_client: httpx.AsyncClient, admin: Account
) -> None:
    page = await admin_client.get(f"/admin/users/{admin.id}")
    assert "This is you" in page.text
    assert f"/admin/users/{admin.id}/suspend" not in page.text
    refused = await post_form(
        admin_client, f"/admin/users/{admin.id}/suspend", "/admin/users", reason="oops"
    )
    assert refused.status_code == 403
    assert (await Account.get(id=admin.id)).state == AccountState.ACTIVE


async def test_suspend__logs_the_person_out_and_hides_their_posts(
    app: Starlette, admin_client: httpx.AsyncClient
) -> None:
    # Given Ben, logged in, with a published post
    ben, post = await ben_with_a_post()
    ben_client = await member_client(app, "ben")
    try:
        assert (await ben_client.get("/home")).status_code == 200
        # When an admin suspends him with a reason
        response = await post_form(
            admin_client, f"/admin/users/{ben.id}/suspend", f"/admin/users/{ben.id}", reason="spam"
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/admin/users/{ben.id}?notice=suspended"
        # Then his session no longer works, and his post is hidden
        assert (await ben_client.get("/home")).status_code == 303
    finally:
        await ben_client.aclose()
    assert (await Post.get(id=post.id)).state == PostState.REMOVED
    page = await admin_client.get(response.headers["location"])
    assert "Lift the suspension" in page.text and re.search(r"\bspam\b", page.text)
    # When the suspension is lifted, the post is back
    lifted = await post_form(
        admin_client, f"/admin/users/{ben.id}/unsuspend", f"/admin/users/{ben.id}"
    )
    assert lifted.status_code == 303
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED
    assert (await Account.get(id=ben.id)).state == AccountState.ACTIVE


async def test_suspend__without_a_reason_is_422_and_changes_nothing(
    admin_client: httpx.AsyncClient,
) -> None:
    ben, post = await ben_with_a_post()
    response = await post_form(
        admin_client, f"/admin/users/{ben.id}/suspend", f"/admin/users/{ben.id}", reason="  "
    )
    assert response.status_code == 422
    assert "Say why" in response.text
    assert (await Account.get(id=ben.id)).state == AccountState.ACTIVE
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED


async def test_suspend__a_remote_person_from_their_page(admin_client: httpx.AsyncClient) -> None:
    ada = await make_account("ada")
    group = await make_group(ada, "physics")
    bob = await make_remote_actor("bob", "remote.example")
    await Membership.create(group=group, actor=bob, state=MembershipState.ACCEPTED)
    page = await admin_client.get(f"/admin/actors/{bob.id}")
    assert page.status_code == 200 and "remote.example" in page.text
    assert f'action="/admin/actors/{bob.id}/delete"' not in page.text
    response = await post_form(
        admin_client, f"/admin/actors/{bob.id}/suspend", f"/admin/actors/{bob.id}", reason="spam"
    )
    assert response.status_code == 303
    assert (await Actor.get(id=bob.id)).suspended_at is not None
    assert not await Membership.filter(actor=bob).exists()


async def test_delete__needs_the_box_ticked_then_wipes_the_account(
    admin_client: httpx.AsyncClient,
) -> None:
    ben, post = await ben_with_a_post()
    path, page = f"/admin/users/{ben.id}/delete", f"/admin/users/{ben.id}"
    # Without the confirmation box: 422, nothing deleted
    unconfirmed = await post_form(admin_client, path, page, reason="asked to leave")
    assert unconfirmed.status_code == 422 and "Tick this box" in unconfirmed.text
    assert (await Account.get(id=ben.id)).state == AccountState.ACTIVE
    # With it: deleted, and the page says so
    deleted = await post_form(admin_client, path, page, reason="asked to leave", confirm="y")
    assert deleted.status_code == 303
    stored = await Account.get(id=ben.id)
    assert stored.state == AccountState.DELETED and stored.email != ben.email
    assert (await Post.get(id=post.id)).state == PostState.DELETED
    shown = await admin_client.get(deleted.headers["location"])
    assert "has been deleted" in shown.text


async def test_delete__a_group_owner_is_told_to_transfer_first(
    admin_client: httpx.AsyncClient,
) -> None:
    ada = await make_account("ada")
    await make_group(ada, "physics")
    response = await post_form(
        admin_client,
        f"/admin/users/{ada.id}/delete",
        f"/admin/users/{ada.id}",
        reason="x",
        confirm="y",
    )
    assert response.status_code == 409
    assert "transfer them first" in response.text
    assert (await Account.get(id=ada.id)).state == AccountState.ACTIVE


async def test_role__promotes_a_member(admin_client: httpx.AsyncClient) -> None:
    ben = await make_account("ben")
    path, page = f"/admin/users/{ben.id}/role", f"/admin/users/{ben.id}"
    assert (await post_form(admin_client, path, page, role="admin")).status_code == 303
    assert (await Account.get(id=ben.id)).role == Role.ADMIN
    bad = await post_form(admin_client, path, page, role="king")
    assert bad.status_code == 422 and "Choose member or admin" in bad.text
    assert (await Account.get(id=ben.id)).role == Role.ADMIN


async def test_password_reset__mails_a_link_and_audits(
    admin_client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    ben = await make_account("ben")
    caplog.set_level("INFO", logger="lyceum.mail")
    response = await post_form(
        admin_client, f"/admin/users/{ben.id}/password-reset", f"/admin/users/{ben.id}"
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=reset")
    assert await send_queued_mail(settings) == 1
    assert "/reset/" in caplog.text and "To: ben@example.org" in caplog.text
    assert await AuditEntry.filter(action="user.password_reset", target_id=ben.id).exists()


# --- arbitrary input ---------------------------------------------------------------------------

texts = st.text(max_size=120)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=texts, scope=texts | st.sampled_from(["local", "remote"]), state=texts, role=texts)
async def test_user_list__arbitrary_filters_never_fail(
    admin_client: httpx.AsyncClient, q: str, scope: str, state: str, role: str
) -> None:
    params = {"q": q, "scope": scope, "state": state, "role": role}
    page = await admin_client.get("/admin/users", params=params)
    assert page.status_code in (200, 400, 422), page.text  # 400: a control character (url_guard)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reason=texts, target=st.sampled_from(["ben", "olga", "unknown"]), junk=texts)
async def test_suspend__arbitrary_forms_never_fail_and_refusals_change_nothing(
    admin_client: httpx.AsyncClient, admin: Account, reason: str, target: str, junk: str
) -> None:
    ben = await Account.get_or_none(actor__username="ben") or await make_account("ben")
    ids = {"ben": ben.id, "olga": admin.id, "unknown": quote(junk or "x", safe="")}
    entries = await AuditEntry.all().count()
    response = await post_form(
        admin_client,
        f"/admin/users/{ids[target]}/suspend",
        "/admin/users",
        reason=reason,
        extra=junk,
    )
    # 400: a control character in the address (url_guard)
    assert response.status_code in (303, 400, 403, 404, 422), response.text
    suspended = await Actor.filter(suspended_at__isnull=False).count()
    if response.status_code == 303:
        assert suspended == 1
        await users.unsuspend_actor(admin.actor, await Actor.get(id=ben.actor_id))
    else:
        assert suspended == 0
        assert await AuditEntry.all().count() == entries
