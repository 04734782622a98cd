"""The domain's tables. Every model change comes with a migration in `migrations/`."""

from server.models._base import Entity, new_id, utcnow
from server.models.accounts import Account, AccountState, Invite, PasswordReset, Role, Session
from server.models.actors import Actor, ActorKind
from server.models.delivery import (
    Delivery,
    DeliveryState,
    DomainHealth,
    InboxActivity,
    SeenSignature,
    inbox_dedup_key,
)
from server.models.groups import (
    Ban,
    Group,
    GroupState,
    GroupTopic,
    JoinPolicy,
    MemberRole,
    Membership,
    MembershipState,
    PostingPolicy,
    Topic,
)
from server.models.instance import InstanceConfig, RegistrationMode
from server.models.moderation import (
    AuditEntry,
    DomainBlock,
    DomainBlockSeverity,
    Report,
    ReportState,
)
from server.models.notifications import Notification, NotificationKind
from server.models.posts import (
    Post,
    PostHashtag,
    PostKind,
    PostMention,
    PostState,
    Reaction,
    ReactionKind,
)

__all__ = [
    "Account",
    "AccountState",
    "Actor",
    "ActorKind",
    "AuditEntry",
    "Ban",
    "Delivery",
    "DeliveryState",
    "DomainBlock",
    "DomainBlockSeverity",
    "DomainHealth",
    "Entity",
    "Group",
    "GroupState",
    "GroupTopic",
    "InboxActivity",
    "InstanceConfig",
    "Invite",
    "JoinPolicy",
    "MemberRole",
    "Membership",
    "MembershipState",
    "Notification",
    "NotificationKind",
    "PasswordReset",
    "Post",
    "PostHashtag",
    "PostKind",
    "PostMention",
    "PostState",
    "PostingPolicy",
    "Reaction",
    "ReactionKind",
    "RegistrationMode",
    "Report",
    "ReportState",
    "Role",
    "SeenSignature",
    "Session",
    "Topic",
    "inbox_dedup_key",
    "new_id",
    "utcnow",
]
