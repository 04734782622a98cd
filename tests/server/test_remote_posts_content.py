"""What a remote post's HTML may keep once stored: the sanitiser's class list, end to end."""

from __future__ import annotations

import pytest

from server.models import Group, Membership, MembershipState
from server.services import remote
from tests.helpers import make_account, make_group, make_remote_actor

pytestmark = pytest.mark.usefixtures("database")


async def test_receive_post__a_remote_link_cannot_dress_as_a_button() -> None:
    # Given a remote member of a local group
    group = await make_group(await make_account("ada"), "physics")
    bob = await make_remote_actor("bob", "remote.example")
    await Membership.create(group=group, actor=bob, state=MembershipState.ACCEPTED)
    await Group.filter(id=group.id).update(member_count=2)
    # When they post a link dressed as a Lyceum button, beside a proper mention
    content = (
        '<p><a href="https://remote.example/x" class="button primary">Log in</a> '
        '<a href="https://remote.example/@cy" class="mention u-url">@cy</a></p>'
    )
    incoming = remote.IncomingPost(ap_id="https://remote.example/n/9", content_html=content)
    post = await remote.receive_post(bob, group, incoming)
    # Then the stored post keeps the mention's classes and drops the button's
    assert "button" not in post.content_html and "primary" not in post.content_html
    assert 'class="mention u-url"' in post.content_html
