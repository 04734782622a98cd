"""What every page of a group shares: the group, the viewer's membership, and the header."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from server.models import Account, Actor, Group, GroupState, Membership, MembershipState
from server.services import groups, members, moderation, watches
from server.services.errors import NotFound
from server.services.reading import can_read_group
from web.context import web
from web.feed_links import FeedLink, feed_links
from web.open_graph import OpenGraph, for_group
from web.session import current_account


class MembersOnly(Exception):
    """A page of a members-only group's content asked for by someone who may not read it."""

    def __init__(self, page: GroupPage) -> None:
        super().__init__("Only the group's members can read this.")
        self.page = page


def group_slug(actor: Actor) -> str:
    """How a group is named in our URLs: `name` here, `name@host[:port]` for one elsewhere."""
    return actor.username if actor.is_local else f"{actor.username}@{actor.domain}"


def group_path(actor: Actor) -> str:
    """The path of a group's pages on this instance (also a Jinja filter, `group_path`)."""
    return f"/g/{group_slug(actor)}"


@dataclass
class GroupPage:
    group: Group
    topics: list[str]
    account: Account | None
    membership: Membership | None
    pending_requests: int = 0  # counted for moderators only, shown on the Requests tab
    held_posts: int = 0  # counted for moderators only, shown on the Moderation tab
    # Link previews and feeds, for a group anyone may read (none for a hidden one).
    open_graph: OpenGraph | None = None
    feed_links: list[FeedLink] = field(default_factory=list)
    watch: str = ""  # the viewer's watch level for the group ("" for none)
    # Whether the viewer may read the group's content (see `server.services.reading`).
    can_read: bool = True

    def require_readable(self) -> None:
        """Raise `MembersOnly` (the group's "members only" page, 403) for a viewer who may not
        read the group's content: a members-only group seen by a visitor or a non-member."""
        if not self.can_read:
            raise MembersOnly(self)

    @property
    def path(self) -> str:
        return group_path(self.group.actor)

    @property
    def is_remote(self) -> bool:
        """Hosted on another server: joining asks that server, and it shares the posts."""
        return not self.group.actor.is_local

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.state == MembershipState.ACCEPTED

    @property
    def is_pending(self) -> bool:
        return self.membership is not None and self.membership.state == MembershipState.PENDING

    @property
    def is_moderator(self) -> bool:
        return self.membership is not None and self.membership.is_moderator

    @property
    def can_moderate(self) -> bool:
        """The group's moderators, and this instance's admins for a group hosted here."""
        return self.is_moderator or (
            not self.is_remote and self.account is not None and self.account.is_admin
        )

    @property
    def is_owner(self) -> bool:
        return self.is_moderator and self.membership is not None and self.membership.role == "owner"

    @property
    def is_hidden(self) -> bool:
        """Pending or suspended: only admins and the group's own moderators see it."""
        return self.group.state != GroupState.ACTIVE

    @property
    def can_post(self) -> bool:
        return self.is_member and (self.group.posting_policy == "members" or self.is_moderator)

    def as_context(self, active_tab: str) -> dict[str, object]:
        """Template context for `groups/_header.html` (`page`, `group`, `active_tab`) and the
        page's <head> (`open_graph`, `feed_links`)."""
        return {
            "page": self,
            "group": self.group,
            "active_tab": active_tab,
            "open_graph": self.open_graph,
            "feed_links": self.feed_links,
        }


async def load_group_page(
    request: Request, handle: str, *, group: Group | None = None
) -> GroupPage:
    """The group named in the URL (`name`, or `name@host` for a group elsewhere that we know),
    or 404; the viewer's membership, if logged in. A page that has the group already (an
    active one, with its actor: a post's) passes it as `group`, saving the lookup.

    A group that is not active (waiting for an admin, or suspended) is shown only to admins and
    to its own moderators, so an owner can follow up on a group waiting for approval.
    """
    account = await current_account(request)
    if group is None:
        group = await groups.get_group(handle, include_hidden=account is not None)
    membership = await groups.membership_of(group, account.actor_id) if account else None
    page = GroupPage(group, await groups.topics_of(group), account, membership)
    if page.is_hidden and not (page.can_moderate or (account is not None and account.is_admin)):
        raise NotFound("There is no group with that handle.")
    page.can_read = await can_read_group(account, group) or page.is_hidden
    if await can_read_group(None, group):
        page.open_graph = for_group(web(request).settings, group, page.path)
        page.feed_links = feed_links(group.actor.name, f"{page.path}/feed")
    if account is not None:
        page.watch = await watches.watch_level(account, group=group) or ""
    if page.can_moderate:
        page.pending_requests = await members.count_pending(group)
        page.held_posts = await moderation.held_count(group)
    return page
