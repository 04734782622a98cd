"""Posts: discussions, questions and resources, with their threaded replies and reactions."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from server.models._base import Entity

if TYPE_CHECKING:
    from server.models.accounts import Account
    from server.models.actors import Actor
    from server.models.groups import Group


class PostKind(StrEnum):
    DISCUSSION = "discussion"
    QUESTION = "question"
    RESOURCE = "resource"
    REPLY = "reply"


class PostState(StrEnum):
    PUBLISHED = "published"
    HELD = "held"  # waiting for a moderator (held first posts of new members)
    REMOVED = "removed"  # removed by a moderator; can be restored
    DELETED = "deleted"  # deleted by its author; gone for good


class Post(Entity):
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="posts", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="posts", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(PostKind, max_length=16)
    state = fields.CharEnumField(PostState, max_length=16, default=PostState.PUBLISHED)
    # Threads: `parent` is what this replies to, `root` the top-level post (null on top-level).
    parent: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="children", null=True, on_delete=fields.CASCADE
    )
    root: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="descendants", null=True, on_delete=fields.CASCADE
    )
    depth = fields.IntField(default=0)
    title = fields.CharField(max_length=200, default="")
    source = fields.TextField(default="")  # Markdown for local posts, empty for remote ones
    content_html = fields.TextField(default="")
    link_url = fields.CharField(max_length=2048, default="")
    accepted_answer: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="accepted_for", null=True, on_delete=fields.SET_NULL
    )
    pinned_at = fields.DatetimeField(null=True)
    edited_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    removed_at = fields.DatetimeField(null=True)
    removal_reason = fields.TextField(default="")
    # Why a HELD post waits for a moderator: "first_post" or "new_account_links".
    held_reason = fields.CharField(max_length=32, default="")
    last_activity_at = fields.DatetimeField(null=True, db_index=True)
    reply_count = fields.IntField(default=0)
    like_count = fields.IntField(default=0)
    dislike_count = fields.IntField(default=0)
    # Remote posts: their ActivityPub id and the page a human reads them on.
    ap_id = fields.CharField(max_length=2048, null=True, unique=True)
    remote_url = fields.CharField(max_length=2048, default="")

    group_id: str
    author_id: str
    parent_id: str | None
    root_id: str | None
    accepted_answer_id: str | None

    class Meta:
        table = "post"
        # What the pages filter and sort on (tests/server/test_query_plans.py checks they are used).
        indexes = (
            ("group_id", "state", "created_at"),
            # /home on SQLite: a group's newest threads read from this index alone (0013)
            ("group_id", "parent_id", "state", "last_activity_at", "id"),
            ("root_id", "created_at"),
            ("parent_id",),
            ("author_id", "created_at"),
            # Lists that stop after a page read their rows in order from these (0010). Only
            # equalities may precede the order column: PostgreSQL cannot keep an index's order
            # after `parent_id IS NULL`, so these leave it to a filter. Questions and
            # resources are always top-level.
            ("kind", "created_at"),  # the front page's newest resources
            ("kind", "last_activity_at"),  # its recently answered questions
            ("group_id", "pinned_at"),  # a group's pinned threads
            ("group_id", "state", "id"),  # the group outbox's pages, by id
            ("group_id", "state", "last_activity_at"),  # group page and /home on PostgreSQL
        )

    @property
    def is_visible(self) -> bool:
        return self.state == PostState.PUBLISHED

    @property
    def is_top_level(self) -> bool:
        return self.parent_id is None

    @property
    def thread_id(self) -> str:
        return self.root_id or self.id


class PostHashtag(Entity):
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="hashtags", on_delete=fields.CASCADE
    )
    tag = fields.CharField(max_length=100, db_index=True)

    class Meta:
        table = "post_hashtag"
        unique_together = (("post", "tag"),)


class PostMention(Entity):
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="mentions", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="mentioned_in", on_delete=fields.CASCADE
    )

    class Meta:
        table = "post_mention"
        unique_together = (("post", "actor"),)


class ReactionKind(StrEnum):
    LIKE = "like"
    DISLIKE = "dislike"


class Reaction(Entity):
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="reactions", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reactions", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ReactionKind, max_length=16, default=ReactionKind.LIKE)
    ap_id = fields.CharField(max_length=2048, null=True, unique=True)

    class Meta:
        table = "reaction"
        unique_together = (("post", "actor"),)


class SavedPost(Entity):
    """A post a member saved to come back to (a bookmark, as on Discourse or LinkedIn)."""

    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="saved_posts", on_delete=fields.CASCADE
    )
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="saves", on_delete=fields.CASCADE
    )

    account_id: str
    post_id: str

    class Meta:
        table = "saved_post"
        unique_together = (("account", "post"),)
        indexes = (("account_id", "created_at"),)
