"""Domain blocks: a suspended domain's content leaves every page, and its actors every group."""

from __future__ import annotations

import httpx
import pytest

from server.models import (
    Account,
    Actor,
    DomainBlock,
    DomainBlockSeverity,
    Group,
    Membership,
    MembershipState,
    Post,
    PostKind,
    PostState,
)
from server.services.domain_blocks import SUSPENDED_REASON, block_domain
from server.services.errors import Invalid
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
