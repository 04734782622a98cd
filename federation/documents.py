"""The ActivityPub documents we serve: actors, posts, activities and collections.

Every answer's `id` is built from the configured base URL and equals the URL a peer fetches.
- Unknown things answer 404 `{"error": ...}`. So do pending or suspended people and groups, and
  held posts: a 410 would make Mastodon delete the actor for good, and a suspension can be lifted.
- Deleted and removed posts answer 410 with a `Tombstone`, and so do their Announces, and
  deleted people (their actor row stays as a tombstone).
- A group's outbox lists the group's `Announce`s of its top-level posts, newest first: for posts
  written here `Announce{Create{Note}}` (FEP-1b12, which Lemmy reads to show a newly found
  community's recent posts), for posts from elsewhere `Announce{<Note id>}` (we cannot
  re-serve another server's Create).
- A group's followers are its accepted members, local or remote; `featured` lists its pinned
  posts; `moderators` its owner and moderators (Lemmy's shape, items embedded).
- A person's outbox and followers are empty collections with counts (Lyceum has no timelines).
- A members-only group's posts, their activities and the group's collections (outbox,
  followers, featured, moderators) answer only a signed GET from a server where an accepted
  member of the group lives (`reading.can_server_read_group`); anyone else gets the same 404 as
  for a post that does not exist, so that its existence does not leak. The group's actor
  document stays public: it is how people find the group and ask to join.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise.queryset import QuerySet

from federation import ld, queries, urls
from federation.document_cache import DocumentCache
from federation.render import (
    microblog_note,
    page_url,
    render_announce,
    render_announce_create,
    render_collection,
    render_collection_page,
    render_create,
    render_group,
    render_instance_actor,
    render_person,
    render_person_tombstone,
    render_tombstone,
)
from federation.render.privacy import for_group
from federation.requester import wants_microblog_shape
from federation.responses import activity_response, encode_json, error_response
from federation.signed_fetch import signer_domain
from server.models import (
    AuditEntry,
    Group,
    GroupState,
    MemberRole,
    Membership,
    MembershipState,
    Post,
    PostState,
)
from server.page_cache import share_page
from server.services import instance, reading
from server.services.instance_actor import get_or_create_instance_actor
from server.settings import Settings

FEATURED_LIMIT = 50
GONE_STATES = (PostState.DELETED, PostState.REMOVED)


def _embedded(document: dict[str, Any]) -> dict[str, Any]:
    """A document to embed in another: the outer document's @context covers it."""
    return {key: value for key, value in document.items() if key != "@context"}


def _is_local(post: Post) -> bool:
    return post.ap_id is None and post.author.is_local


class Documents:
    """The request handlers, bound to the settings that every id is built from."""

    def __init__(self, settings: Settings, documents: DocumentCache) -> None:
        self.settings = settings
        self.documents = documents  # rendered actors (public whoever asks: never a post)

    def _actor_response(self, request: Request, document: dict[str, Any]) -> Response:
        return self.documents.respond(
            request, encode_json(document), ld.ACTIVITY_JSON, {"Vary": "Accept"}
        )

    async def _refused(self, request: Request, group: Group, missing: str) -> Response | None:
        """None when the requester may read the group's content, else the 404 to answer."""
        if not reading.is_members_only(group):
            return None if group.state == GroupState.ACTIVE else error_response(404, missing)
        domain = await signer_domain(self.settings, request)
        if isinstance(domain, Response) or not await reading.can_server_read_group(domain, group):
            return error_response(404, missing)
        return None

    # --- actors -------------------------------------------------------------------------------

    async def person(self, request: Request) -> Response:
        actor = await queries.active_person(request.path_params["name"])
        if actor is None:
            gone = await queries.deleted_person(request.path_params["name"])
            if gone is not None:
                return activity_response(render_person_tombstone(self.settings, gone), status=410)
            return error_response(404, "There is no person with that name here.")
        return self._actor_response(request, render_person(self.settings, actor))

    async def group(self, request: Request) -> Response:
        group = await queries.active_group(request.path_params["name"])
        if group is None:
            return error_response(404, "There is no group with that name here.")
        return self._actor_response(request, render_group(self.settings, group))

    async def instance_actor(self, request: Request) -> Response:
        actor = await get_or_create_instance_actor()
        config = await instance.get_config()
        return activity_response(render_instance_actor(self.settings, actor, name=config.name))

    async def instance_outbox(self, request: Request) -> Response:
        return activity_response(
            render_collection(urls.instance_actor_outbox(self.settings), total=0, paged=False)
        )

    # --- posts and the activities around them ----------------------------------------------

    async def _post(self, request: Request) -> Post | Response:
        """The local post in the path, or the response for a missing or gone one."""
        post = await queries.local_post(request.path_params["post_id"])
        missing = "There is no post at this address."
        if post is None or post.state == PostState.HELD:
            return error_response(404, missing)
        if refusal := await self._refused(request, post.group, missing):
            return refusal
        if post.state in GONE_STATES:
            return activity_response(render_tombstone(self.settings, post), status=410)
        return post

    async def post(self, request: Request) -> Response:
        post = await self._post(request)
        if isinstance(post, Response):
            return post
        note = queries.note_of(self.settings, post)
        if await wants_microblog_shape(request):
            note = microblog_note(note)
        return activity_response(note)

    async def post_create(self, request: Request) -> Response:
        post = await self._post(request)
        if isinstance(post, Response):
            return post
        note = queries.note_of(self.settings, post, with_context=False)
        return activity_response(render_create(self.settings, post, note))

    async def post_replies(self, request: Request) -> Response:
        post = await self._post(request)
        if isinstance(post, Response):
            return post
        replies = Post.filter(parent_id=post.id, state=PostState.PUBLISHED)
        return await self._paged(
            request,
            urls.replies(self.settings, post.id),
            total=post.reply_count,
            query=replies,
            newest_first=False,
            item=lambda reply: urls.post_id(self.settings, reply),
        )

    async def _announced(self, request: Request) -> tuple[Group, Post] | Response:
        group = await queries.active_group(request.path_params["name"])
        post_id = request.path_params["post_id"]
        post = None
        if group is not None and queries.ROW_ID_RE.fullmatch(post_id):
            post = (
                await Post.filter(id=post_id, group_id=group.id)
                .select_related(*queries.NOTE_SELECT)
                .prefetch_related(*queries.NOTE_PREFETCH)
                .first()
            )
        missing = "The group announced no such post."
        if group is None or post is None or post.state == PostState.HELD:
            return error_response(404, missing)
        if refusal := await self._refused(request, group, missing):
            return refusal
        if post.state in GONE_STATES:
            # The Announce is undone with the post; answer for the Announce's own id.
            tombstone = render_tombstone(self.settings, post)
            tombstone["id"] = self.settings.url(request.url.path)
            tombstone["formerType"] = "Announce"
            return activity_response(tombstone, status=410)
        return group, post

    async def announce(self, request: Request) -> Response:
        """The group's Announce of a post; `?restored=<audit entry>` names the one it sent
        again after a moderator restored the post (each restoration has its own id)."""
        found = await self._announced(request)
        if isinstance(found, Response):
            return found
        group, post = found
        announce = for_group(
            self.settings, group, render_announce(self.settings, group.actor, post)
        )
        restore_id = request.query_params.get("restored")
        if restore_id is not None:
            restored = queries.ROW_ID_RE.fullmatch(restore_id) and (
                await AuditEntry.filter(
                    id=restore_id, action="post.restore", target_id=post.id
                ).exists()
            )
            if not restored:
                return error_response(404, "The group announced no such post.")
            announce["id"] = urls.announce_restored(
                self.settings, group.actor.username, post.id, restore_id
            )
        return activity_response(announce)

    async def announce_create(self, request: Request) -> Response:
        found = await self._announced(request)
        if isinstance(found, Response):
            return found
        group, post = found
        if not _is_local(post):
            return error_response(404, "Only posts written here are announced with a Create.")
        return activity_response(self._announce_create(group, post))

    def _announce_create(self, group: Group, post: Post) -> dict[str, Any]:
        note = queries.note_of(self.settings, post, with_context=False)
        create = render_create(self.settings, post, note)
        announce = render_announce_create(self.settings, group.actor, post, create)
        return for_group(self.settings, group, announce)

    # --- a group's collections -------------------------------------------------------------

    async def _group(self, request: Request) -> Group | Response:
        """The group whose collection is asked for, when the requester may read it."""
        group = await queries.active_group(request.path_params["name"])
        missing = "There is no group with that name here."
        if group is None:
            return error_response(404, missing)
        return await self._refused(request, group, missing) or group

    async def group_outbox(self, request: Request) -> Response:
        group = await self._group(request)
        if isinstance(group, Response):
            return group
        share_page(request)  # what every unsigned request gets (a signed one is never kept)
        top_level = Post.filter(
            group_id=group.id, parent_id__isnull=True, state=PostState.PUBLISHED
        )

        def item(post: Post) -> dict[str, Any]:
            if _is_local(post):
                return _embedded(self._announce_create(group, post))
            boost = render_announce(self.settings, group.actor, post)
            return _embedded(for_group(self.settings, group, boost))

        return await self._paged(
            request,
            urls.outbox(self.settings, group.actor),
            total=await top_level.count(),
            query=top_level.select_related(*queries.NOTE_SELECT).prefetch_related(
                *queries.NOTE_PREFETCH
            ),
            newest_first=True,
            item=item,
        )

    async def group_followers(self, request: Request) -> Response:
        group = await self._group(request)
        if isinstance(group, Response):
            return group
        members = Membership.filter(group_id=group.id, state=MembershipState.ACCEPTED)
        return await self._paged(
            request,
            urls.followers(self.settings, group.actor),
            total=await members.count(),
            query=members.select_related("actor"),
            newest_first=True,
            item=lambda membership: urls.actor_id(self.settings, membership.actor),
        )

    async def group_featured(self, request: Request) -> Response:
        group = await self._group(request)
        if isinstance(group, Response):
            return group
        pinned = (
            await Post.filter(
                group_id=group.id,
                parent_id__isnull=True,
                state=PostState.PUBLISHED,
                pinned_at__isnull=False,
            )
            .order_by("-pinned_at", "-id")
            .limit(FEATURED_LIMIT)
            .select_related(*queries.NOTE_SELECT)
            .prefetch_related(*queries.NOTE_PREFETCH)
        )
        items = [
            queries.note_of(self.settings, post, with_context=False)
            if _is_local(post)
            else urls.post_id(self.settings, post)
            for post in pinned
        ]
        featured = urls.featured(self.settings, group.actor.username)
        return activity_response(render_collection(featured, total=len(items), items=items))

    async def group_moderators(self, request: Request) -> Response:
        group = await self._group(request)
        if isinstance(group, Response):
            return group
        staff = (
            await Membership.filter(
                group_id=group.id,
                state=MembershipState.ACCEPTED,
                role__in=[MemberRole.OWNER, MemberRole.MODERATOR],
            )
            .select_related("actor")
            .order_by("id")
        )
        items = [urls.actor_id(self.settings, membership.actor) for membership in staff]
        moderators = urls.moderators(self.settings, group.actor.username)
        return activity_response(render_collection(moderators, total=len(items), items=items))

    # --- a person's collections ------------------------------------------------------------

    async def person_outbox(self, request: Request) -> Response:
        actor = await queries.active_person(request.path_params["name"])
        if actor is None:
            return error_response(404, "There is no person with that name here.")
        total = await Post.filter(reading.readable_posts(None), author_id=actor.id).count()
        outbox = urls.outbox(self.settings, actor)
        return activity_response(render_collection(outbox, total=total, paged=False))

    async def person_followers(self, request: Request) -> Response:
        actor = await queries.active_person(request.path_params["name"])
        if actor is None:
            return error_response(404, "There is no person with that name here.")
        followers = urls.followers(self.settings, actor)
        return activity_response(render_collection(followers, total=0, paged=False))

    # --- paging ----------------------------------------------------------------------------

    async def _paged(
        self,
        request: Request,
        collection_id: str,
        *,
        total: int,
        query: QuerySet[Any],
        newest_first: bool,
        item: Callable[[Any], Any],
    ) -> Response:
        """The collection document, or (with `?page=true`) one page of it."""
        if "page" not in request.query_params:
            return activity_response(render_collection(collection_id, total=total))
        try:
            after, before = queries.parse_cursors(request.query_params)
        except queries.BadCursor:
            return error_response(400, "That page cursor is not valid.")
        page = await queries.keyset_page(
            query,
            newest_first=newest_first,
            after=after,
            before=before,
            limit=self.settings.page_size,
        )
        return activity_response(
            render_collection_page(
                page_url(collection_id, after=after, before=before),
                collection_id=collection_id,
                items=[item(row) for row in page.rows],
                next_url=page_url(collection_id, after=page.next_after)
                if page.next_after
                else None,
                prev_url=page_url(collection_id, before=page.prev_before)
                if page.prev_before
                else None,
            )
        )
