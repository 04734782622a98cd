"""The admins' settings page, and the public About page that shows what they wrote."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from server.models import Account, AuditEntry, GroupState, InstanceConfig, RegistrationMode
from server.services import instance
from tests.helpers import csrf, make_account, make_group
from tests.web._admin_world import admin, admin_client, member_client

__all__ = ["admin", "admin_client"]  # fixtures used by name

VALID = {
    "name": "Physics Commons",
    "description": "A place for **physics** teachers.",
    "rules": "1. Be kind.\n2. Cite sources.",
    "contact_email": "admins@Physics.Example",
    "registration_mode": "approval",
    "groups_need_approval": "y",
    "new_account_link_days": "3",
}


async def post_settings(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = await csrf(client, "/admin/settings")
    return await client.post("/admin/settings", data={**fields, "csrf_token": token})


async def test_settings__admin_sees_the_form_with_the_admin_nav(
    admin_client: httpx.AsyncClient,
) -> None:
    page = await admin_client.get("/admin/settings")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert '<a href="/admin/settings" aria-current="page">Settings</a>' in page.text
    for label in ("Instance name", "Description", "Rules", "Contact e-mail address"):
        assert label in page.text


async def test_settings__members_are_refused_and_visitors_sent_to_log_in(
    app: Starlette, admin: Account, client: httpx.AsyncClient
) -> None:
    # Given a member, logged in
    await make_account("ben")
    ben = await member_client(app, "ben")
    try:
        # Then the page and the form refuse them with a reason
        page = await ben.get("/admin/settings")
        assert page.status_code == 403 and "Only admins" in page.text
        token = await csrf(ben, "/home")
        posted = await ben.post("/admin/settings", data={**VALID, "csrf_token": token})
        assert posted.status_code == 403
    finally:
        await ben.aclose()
    # And an anonymous visitor is sent to log in
    anonymous = await client.get("/admin/settings")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert (await instance.get_config()).name == "Lyceum"


async def test_settings__saving_changes_everything_at_once_and_is_audited(
    admin_client: httpx.AsyncClient,
) -> None:
    # Given the cached name has been read (as every page does)
    assert await instance.instance_name() == "Lyceum"
    # When an admin saves new settings
    response = await post_settings(admin_client, **VALID)
    # Then they are stored, normalised
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/settings?notice=saved"
    config = await InstanceConfig.get(id=1)
    assert (config.name, config.contact_email) == ("Physics Commons", "admins@physics.example")
    assert config.registration_mode == RegistrationMode.APPROVAL
    assert config.groups_need_approval is True
    # And the new name shows at once, cache or not
    page = await admin_client.get(response.headers["location"])
    assert "<title>Settings · Physics Commons</title>" in page.text
    assert "The settings have been saved." in page.text
    # And the audit log has the change
    entry = await AuditEntry.get(action="instance.settings").select_related("actor")
    assert entry.actor is not None and entry.actor.username == "olga"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "Give the instance a name."),
        ("name", "x" * 101, "Use at most 100 characters."),
        ("contact_email", "not an address", "Enter an e-mail address"),
        ("registration_mode", "everyone", "Not a valid choice"),
        ("rules", "x" * 10_001, "Use at most 10,000 characters"),
    ],
)
async def test_settings__bad_input_is_shown_inline_and_nothing_changes(
    admin_client: httpx.AsyncClient, field: str, value: str, message: str
) -> None:
    response = await post_settings(admin_client, **{**VALID, field: value})
    assert response.status_code == 422
    assert message in response.text
    assert 'class="field has-error"' in response.text or "has-error" in response.text
    config = await InstanceConfig.get(id=1)
    assert (config.name, config.groups_need_approval) == ("Lyceum", False)
    assert not await AuditEntry.filter(action="instance.settings").exists()


async def test_settings__new_groups_then_wait_for_approval_except_admins(
    admin_client: httpx.AsyncClient, admin: Account
) -> None:
    await post_settings(admin_client, **VALID)
    member = await make_account("ben")
    assert (await make_group(member, "optics")).state == GroupState.PENDING
    assert (await make_group(admin, "news")).state == GroupState.ACTIVE


async def test_about__shows_description_rules_and_contact_to_everyone(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # Given settings with a description, rules and a contact address
    await post_settings(admin_client, **VALID)
    # When a visitor opens the About page (linked from every page's footer)
    assert 'href="/about"' in (await client.get("/")).text
    page = await client.get("/about")
    # Then they read all three, the Markdown rendered and sanitised
    assert page.status_code == 200
    assert "<h1>About Physics Commons</h1>" in page.text
    assert "<strong>physics</strong>" in page.text
    assert "Cite sources." in page.text
    assert 'href="mailto:admins@physics.example"' in page.text


async def test_about__says_so_when_nothing_is_written(client: httpx.AsyncClient) -> None:
    page = await client.get("/about")
    assert page.status_code == 200
    assert "have not written rules yet" in page.text
    assert "No contact address" in page.text


async def test_settings__nodeinfo_carries_the_name_and_description(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await post_settings(admin_client, **VALID)
    document = (await client.get("/nodeinfo/2.1")).json()
    assert document["metadata"]["nodeName"] == "Physics Commons"
    assert document["metadata"]["nodeDescription"] == VALID["description"]
    assert document["openRegistrations"] is False
