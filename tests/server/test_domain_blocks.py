"""Domain blocks: a suspended domain's content leaves every page, and its actors every group."""

from __future__ import annotations

import httpx
import pytest

from server.models import (
    Account,
    Actor,
    AuditEntry,
    DomainBlock,
    DomainBlockSeverity,
    Group,
    Membership,
    MembershipState,
    Post,
    PostKind,
    PostState,
)
from server.services import remote
from server.services.domain_blocks import (
    LIMITED_REASON,
    SUSPENDED_REASON,
    block_domain,
    clean_domain,
    unblock_domain,
)
from server.services.errors import Invalid, NotFound
from tests.helpers import make_account, make_group, make_post, make_remote_actor


async def _remote_post_in_group(domain: str = "remote.example") -> tuple[Group, Actor, Post]:
    """A local group with a remote member who started a thread and replied to a local one."""
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    bob = await make_remote_actor("bob", domain)
    await Membership.create(group=group, actor=bob, state=MembershipState.ACCEPTED)
    await Group.filter(id=group.id).update(member_count=2)
    post = await Post.create(
        group=group,
        author=bob,
        kind=PostKind.DISCUSSION,
        title="Bob's remote thread",
        content_html="<p>From afar</p>",
        ap_id=f"https://{domain}/users/bob/statuses/1",
    )
    return group, bob, post


async def test_block_domain__suspend_hides_posts_and_ends_memberships(
    client: httpx.AsyncClient,
) -> None:
    # Given a remote member's thread, visible on the group's page and at its permalink
    group, bob, post = await _remote_post_in_group()
    owner = await Account.get(actor__username="ada", actor__domain="")
    local = await make_post(owner, group, title="Local optics thread")
    assert "Bob&#39;s remote thread" in (await client.get("/g/physics")).text
    assert (await client.get(f"/p/{post.id}")).status_code == 200
    # When the remote domain is suspended
    block = await block_domain("Remote.Example", DomainBlockSeverity.SUSPEND, "spam")
    # Then the block is stored, the post is removed with the reason, and the member is gone
    assert (block.domain, block.severity, block.reason) == ("remote.example", "suspend", "spam")
    stored = await Post.get(id=post.id)
    assert (stored.state, stored.removal_reason) == (PostState.REMOVED, SUSPENDED_REASON)
    assert not await Membership.filter(actor=bob).exists()
    assert (await Group.get(id=group.id)).member_count == 1
    # And the thread list no longer shows it while local threads stay; its permalink is gone
    page = (await client.get("/g/physics")).text
    assert "remote thread" not in page
    assert local.title in page
    assert (await client.get(f"/p/{post.id}")).status_code in (404, 410)
    assert (await Post.get(id=local.id)).state == PostState.PUBLISHED


async def test_block_domain__suspend_covers_subdomains(client: httpx.AsyncClient) -> None:
    # Given a remote member on a subdomain
    _, bob, post = await _remote_post_in_group("social.remote.example")
    # When the parent domain is suspended
    await block_domain("remote.example", DomainBlockSeverity.SUSPEND)
    # Then the subdomain's content is hidden too
    assert (await Post.get(id=post.id)).state == PostState.REMOVED
    assert not await Membership.filter(actor=bob).exists()


async def test_block_domain__limit_keeps_content(client: httpx.AsyncClient) -> None:
    # Given a remote member's thread
    _, bob, post = await _remote_post_in_group()
    # When the domain is only limited
    await block_domain("remote.example", DomainBlockSeverity.LIMIT)
    # Then the block is recorded and nothing is hidden
    assert (await DomainBlock.get(domain="remote.example")).severity == DomainBlockSeverity.LIMIT
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED
    assert await Membership.filter(actor=bob).exists()


async def test_block_domain__raising_limit_to_suspend_updates_the_block(
    client: httpx.AsyncClient,
) -> None:
    # Given a limited domain with a remote member's thread
    _, _, post = await _remote_post_in_group()
    await block_domain("remote.example", DomainBlockSeverity.LIMIT)
    # When it is suspended after all
    await block_domain("remote.example", DomainBlockSeverity.SUSPEND, "worse")
    # Then there is still one block, now a suspension, and the content is hidden
    blocks = await DomainBlock.filter(domain="remote.example")
    assert [(b.severity, b.reason) for b in blocks] == [(DomainBlockSeverity.SUSPEND, "worse")]
    assert (await Post.get(id=post.id)).state == PostState.REMOVED


@pytest.mark.parametrize("domain", ["", "   ", "https://remote.example/", "bob@remote.example"])
async def test_block_domain__bad_domain_is_invalid(client: httpx.AsyncClient, domain: str) -> None:
    # Given a remote member's thread
    _, _, post = await _remote_post_in_group()
    # When the domain given is not a domain name
    with pytest.raises(Invalid) as refused:
        await block_domain(domain, DomainBlockSeverity.SUSPEND)
    # Then it is refused and nothing changed
    assert "domain" in refused.value.errors
    assert await DomainBlock.all().count() == 0
    assert (await Post.get(id=post.id)).state == PostState.PUBLISHED


async def test_block_domain__audited_with_who_and_why(client: httpx.AsyncClient) -> None:
    admin = await make_account("eve", admin=True)
    await block_domain("spam.example", DomainBlockSeverity.LIMIT, "spam", by=admin.actor)
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, "worse", by=admin.actor)
    entries = await AuditEntry.filter(target_id="spam.example").order_by("created_at")
    assert [(e.action, e.reason, e.actor_id) for e in entries] == [  # type: ignore[attr-defined]
        ("domain.block", "spam", admin.actor_id),
        ("domain.update", "worse", admin.actor_id),
    ]


async def test_block_domain__public_flag_is_kept_unless_given(client: httpx.AsyncClient) -> None:
    await block_domain("spam.example", DomainBlockSeverity.LIMIT, public=True)
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND)
    assert (await DomainBlock.get(domain="spam.example")).public is True
    await block_domain("spam.example", DomainBlockSeverity.SUSPEND, public=False)
    assert (await DomainBlock.get(domain="spam.example")).public is False


async def test_unblock_domain__lifts_the_block_but_restores_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Given a suspended domain whose post was hidden
    _, bob, post = await _remote_post_in_group()
    admin = await make_account("eve", admin=True)
    await block_domain("remote.example", DomainBlockSeverity.SUSPEND, by=admin.actor)
    # When the suspension is lifted
    await unblock_domain(admin.actor, "Remote.Example")
    # Then the block is gone, audited, and the post stays removed, the member gone
    assert not await DomainBlock.exists(domain="remote.example")
    assert await AuditEntry.filter(action="domain.unblock", target_id="remote.example").exists()
    assert (await Post.get(id=post.id)).state == PostState.REMOVED
    assert not await Membership.filter(actor=bob).exists()
    # And lifting a block that does not exist is NotFound
    with pytest.raises(NotFound):
        await unblock_domain(admin.actor, "remote.example")


async def test_receive_post__a_limited_domains_posts_wait_for_a_moderator(
    client: httpx.AsyncClient,
) -> None:
    # Given a remote member of a group, whose domain is limited
    group, bob, _ = await _remote_post_in_group()
    await block_domain("remote.example", DomainBlockSeverity.LIMIT)
    # When they post into the group
    incoming = remote.IncomingPost(ap_id="https://remote.example/n/2", content_html="<p>Hi</p>")
    post = await remote.receive_post(bob, group, incoming)
    # Then the post is held for the moderators, with the reason, and not on the group's page
    assert (post.state, post.held_reason) == (PostState.HELD, LIMITED_REASON)
    assert "Hi" not in (await client.get("/g/physics")).text
    # And a server that is not limited posts at once
    carol = await make_remote_actor("carol", "fine.example")
    await Membership.create(group=group, actor=carol, state=MembershipState.ACCEPTED)
    fine = remote.IncomingPost(ap_id="https://fine.example/n/1", content_html="<p>Yo</p>")
    assert (await remote.receive_post(carol, group, fine)).state == PostState.PUBLISHED


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("Example.Social.", "example.social"),
        ("*.example.social", "example.social"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("example.social:8443", "example.social:8443"),
    ],
)
def test_clean_domain__normal_forms(domain: str, expected: str) -> None:
    assert clean_domain(domain) == expected


@pytest.mark.parametrize(
    "domain", ["a..b", "-a.example", "a_b.example", "<x>.example", "a.example:"]
)
def test_clean_domain__refuses_what_is_not_a_domain(domain: str) -> None:
    with pytest.raises(Invalid):
        clean_domain(domain)
