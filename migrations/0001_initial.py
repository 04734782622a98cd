from tortoise import migrations
from tortoise.migrations import operations as ops
from server.models._base import new_id
from server.models.accounts import AccountState, Role
from server.models.actors import ActorKind
from server.models.delivery import DeliveryState
from server.models.groups import GroupState, JoinPolicy, MemberRole, MembershipState, PostingPolicy
from server.models.instance import RegistrationMode
from server.models.moderation import DomainBlockSeverity, ReportState
from server.models.notifications import NotificationKind
from server.models.posts import PostKind, PostState, ReactionKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Actor",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="PERSON: person\nGROUP: group\nAPPLICATION: application",
                        enum_type=ActorKind,
                        max_length=16,
                    ),
                ),
                ("username", fields.CharField(max_length=64)),
                ("domain", fields.CharField(default="", db_index=True, max_length=255)),
                ("display_name", fields.CharField(default="", max_length=100)),
                ("summary_html", fields.TextField(default="", unique=False)),
                ("avatar_path", fields.CharField(default="", max_length=64)),
                ("ap_id", fields.CharField(null=True, unique=True, max_length=2048)),
                ("url", fields.CharField(default="", max_length=2048)),
                ("inbox_url", fields.CharField(default="", max_length=2048)),
                ("shared_inbox_url", fields.CharField(default="", max_length=2048)),
                ("outbox_url", fields.CharField(default="", max_length=2048)),
                ("followers_url", fields.CharField(default="", max_length=2048)),
                ("icon_url", fields.CharField(default="", max_length=2048)),
                ("software", fields.CharField(default="", max_length=64)),
                ("fetched_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("public_key_pem", fields.TextField(default="", unique=False)),
                ("private_key_pem", fields.TextField(default="", unique=False)),
                ("key_id", fields.CharField(default="", max_length=2048)),
                (
                    "suspended_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "actor",
                "app": "models",
                "unique_together": (("username", "domain"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Account",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "actor",
                    fields.OneToOneField(
                        "models.Actor",
                        source_field="actor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="account",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(unique=True, max_length=254)),
                ("password_hash", fields.CharField(max_length=255)),
                (
                    "role",
                    fields.CharEnumField(
                        default=Role.MEMBER,
                        description="MEMBER: member\nADMIN: admin",
                        enum_type=Role,
                        max_length=16,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=AccountState.ACTIVE,
                        description="ACTIVE: active\nPENDING: pending\nSUSPENDED: suspended",
                        enum_type=AccountState,
                        max_length=16,
                    ),
                ),
                ("bio_source", fields.TextField(default="", unique=False)),
                ("signup_reason", fields.TextField(default="", unique=False)),
                ("session_version", fields.IntField(default=0)),
                (
                    "last_login_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={"table": "account", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Delivery",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("activity_id", fields.CharField(max_length=2048)),
                ("payload", fields.TextField(unique=False)),
                (
                    "signer",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="signer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("inbox_url", fields.CharField(max_length=2048)),
                ("domain", fields.CharField(db_index=True, max_length=255)),
                (
                    "state",
                    fields.CharEnumField(
                        default=DeliveryState.QUEUED,
                        description="QUEUED: queued\nDONE: done\nFAILED: failed",
                        enum_type=DeliveryState,
                        max_length=16,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "lease_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("last_status", fields.IntField(null=True)),
                ("last_error", fields.TextField(default="", unique=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "delivery",
                "app": "models",
                "indexes": [Index(fields=["state", "next_attempt_at"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="DomainBlock",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("domain", fields.CharField(unique=True, max_length=255)),
                (
                    "severity",
                    fields.CharEnumField(
                        default=DomainBlockSeverity.SUSPEND,
                        description="SUSPEND: suspend\nLIMIT: limit",
                        enum_type=DomainBlockSeverity,
                        max_length=16,
                    ),
                ),
                ("reason", fields.TextField(default="", unique=False)),
                ("public", fields.BooleanField(default=False)),
            ],
            options={"table": "domain_block", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="DomainHealth",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("domain", fields.CharField(unique=True, max_length=255)),
                (
                    "first_failure_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "last_success_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "unavailable_since",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={"table": "domain_health", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Group",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "actor",
                    fields.OneToOneField(
                        "models.Actor",
                        source_field="actor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="group",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("description_source", fields.TextField(default="", unique=False)),
                ("description_html", fields.TextField(default="", unique=False)),
                ("rules_source", fields.TextField(default="", unique=False)),
                ("rules_html", fields.TextField(default="", unique=False)),
                ("banner_path", fields.CharField(default="", max_length=64)),
                (
                    "join_policy",
                    fields.CharEnumField(
                        default=JoinPolicy.OPEN,
                        description="OPEN: open\nAPPROVAL: approval",
                        enum_type=JoinPolicy,
                        max_length=16,
                    ),
                ),
                (
                    "posting_policy",
                    fields.CharEnumField(
                        default=PostingPolicy.MEMBERS,
                        description="MEMBERS: members\nMODERATORS: moderators",
                        enum_type=PostingPolicy,
                        max_length=16,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=GroupState.ACTIVE,
                        description="ACTIVE: active\nPENDING: pending\nSUSPENDED: suspended",
                        enum_type=GroupState,
                        max_length=16,
                    ),
                ),
                ("hold_first_posts", fields.BooleanField(default=False)),
                ("member_count", fields.IntField(default=0)),
                ("post_count", fields.IntField(default=0)),
                (
                    "last_post_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={"table": "group", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_entries",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("action", fields.CharField(max_length=64)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_entries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("target_type", fields.CharField(default="", max_length=32)),
                ("target_id", fields.CharField(default="", max_length=2048)),
                ("target_label", fields.CharField(default="", max_length=300)),
                ("reason", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "audit_entry",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Who did what, on what, when and why. Group entries are readable by the group's members.",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Ban",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="bans",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="actor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="bans",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "banned_by",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="banned_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="bans_made",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("reason", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "ban",
                "app": "models",
                "unique_together": (("group", "actor"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="InboxActivity",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("ap_id", fields.CharField(unique=True, max_length=2048)),
                ("actor_ap_id", fields.CharField(max_length=2048)),
                ("activity_type", fields.CharField(max_length=64)),
                ("payload", fields.TextField(unique=False)),
                (
                    "processed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("attempts", fields.IntField(default=0)),
                (
                    "lease_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("error", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "inbox_activity",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An activity received at an inbox, kept for de-duplication and for the worker.",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="InstanceConfig",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(default="Lyceum", max_length=100)),
                ("description", fields.TextField(default="", unique=False)),
                ("rules", fields.TextField(default="", unique=False)),
                ("contact_email", fields.CharField(default="", max_length=254)),
                (
                    "registration_mode",
                    fields.CharEnumField(
                        default=RegistrationMode.OPEN,
                        description="OPEN: open\nAPPROVAL: approval\nINVITE: invite",
                        enum_type=RegistrationMode,
                        max_length=16,
                    ),
                ),
                ("groups_need_approval", fields.BooleanField(default=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "instance_config", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Invite",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("code", fields.CharField(unique=True, max_length=64)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="created_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invites_created",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("max_uses", fields.IntField(default=1)),
                ("uses", fields.IntField(default=0)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "invite", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Membership",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="actor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        default=MemberRole.MEMBER,
                        description="OWNER: owner\nMODERATOR: moderator\nMEMBER: member",
                        enum_type=MemberRole,
                        max_length=16,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=MembershipState.PENDING,
                        description="PENDING: pending\nACCEPTED: accepted\nREJECTED: rejected",
                        enum_type=MembershipState,
                        max_length=16,
                    ),
                ),
                ("message", fields.TextField(default="", unique=False)),
                ("follow_ap_id", fields.CharField(default="", max_length=2048)),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="decisions",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "membership",
                "app": "models",
                "unique_together": (("group", "actor"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="PasswordReset",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "account",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="password_resets",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "password_reset", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Post",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="posts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "author",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="author_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="posts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="DISCUSSION: discussion\nQUESTION: question\nRESOURCE: resource\nREPLY: reply",
                        enum_type=PostKind,
                        max_length=16,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=PostState.PUBLISHED,
                        description="PUBLISHED: published\nHELD: held\nREMOVED: removed\nDELETED: deleted",
                        enum_type=PostState,
                        max_length=16,
                    ),
                ),
                (
                    "parent",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="parent_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="children",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "root",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="root_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="descendants",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("depth", fields.IntField(default=0)),
                ("title", fields.CharField(default="", max_length=200)),
                ("source", fields.TextField(default="", unique=False)),
                ("content_html", fields.TextField(default="", unique=False)),
                ("link_url", fields.CharField(default="", max_length=2048)),
                (
                    "accepted_answer",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="accepted_answer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="accepted_for",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("pinned_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("edited_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("removed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("removal_reason", fields.TextField(default="", unique=False)),
                (
                    "last_activity_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("reply_count", fields.IntField(default=0)),
                ("like_count", fields.IntField(default=0)),
                ("dislike_count", fields.IntField(default=0)),
                ("ap_id", fields.CharField(null=True, unique=True, max_length=2048)),
                ("remote_url", fields.CharField(default="", max_length=2048)),
            ],
            options={
                "table": "post",
                "app": "models",
                "indexes": [Index(fields=["group_id", "state", "created_at"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Notification",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "recipient",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="recipient_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="REPLY: reply\nMENTION: mention\nANSWER_ACCEPTED: answer_accepted\nJOIN_ACCEPTED: join_accepted\nJOIN_REJECTED: join_rejected\nJOIN_REQUEST: join_request",
                        enum_type=NotificationKind,
                        max_length=32,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications_caused",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "post",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="post_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "notification",
                "app": "models",
                "indexes": [Index(fields=["recipient_id", "created_at"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="PostHashtag",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "post",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="post_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="hashtags",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("tag", fields.CharField(db_index=True, max_length=100)),
            ],
            options={
                "table": "post_hashtag",
                "app": "models",
                "unique_together": (("post", "tag"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="PostMention",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "post",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="post_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mentions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="actor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mentioned_in",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "post_mention",
                "app": "models",
                "unique_together": (("post", "actor"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Reaction",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "post",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="post_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reactions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="actor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reactions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        default=ReactionKind.LIKE,
                        description="LIKE: like\nDISLIKE: dislike",
                        enum_type=ReactionKind,
                        max_length=16,
                    ),
                ),
                ("ap_id", fields.CharField(null=True, unique=True, max_length=2048)),
            ],
            options={
                "table": "reaction",
                "app": "models",
                "unique_together": (("post", "actor"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Report",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "reporter",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="reporter_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reports_made",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "target_actor",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="target_actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reports_against",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "post",
                    fields.ForeignKeyField(
                        "models.Post",
                        source_field="post_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reports",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reports",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("comment", fields.TextField(default="", unique=False)),
                (
                    "state",
                    fields.CharEnumField(
                        default=ReportState.OPEN,
                        description="OPEN: open\nRESOLVED: resolved\nDISMISSED: dismissed",
                        enum_type=ReportState,
                        max_length=16,
                    ),
                ),
                ("ap_id", fields.CharField(null=True, unique=True, max_length=2048)),
                ("origin_domain", fields.CharField(default="", max_length=255)),
                (
                    "resolved_by",
                    fields.ForeignKeyField(
                        "models.Actor",
                        source_field="resolved_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reports_resolved",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "resolved_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("resolution", fields.TextField(default="", unique=False)),
            ],
            options={"table": "report", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="Topic",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("name", fields.CharField(unique=True, max_length=40)),
            ],
            options={"table": "topic", "app": "models", "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="GroupTopic",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, default=new_id, unique=True, db_index=True, max_length=26
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="topic_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "topic",
                    fields.ForeignKeyField(
                        "models.Topic",
                        source_field="topic_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="group_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "group_topic",
                "app": "models",
                "unique_together": (("group", "topic"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
    ]
