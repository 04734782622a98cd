"""Groups: creating them, and who is in them with which role.

Joining on the web and following from another server are the same thing here: both create a
membership, accepted at once for open groups and pending for approval groups. Joining a group
hosted on another server stays pending until that server answers (`remote_groups`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import events
from server.content import render_markdown
from server.models import (
    Account,
    AccountState,
    Actor,
    ActorKind,
    Ban,
    Group,
    GroupState,
    GroupTopic,
    GroupVisibility,
    JoinPolicy,
    MemberRole,
    Membership,
    MembershipState,
    PostingPolicy,
    Role,
    Topic,
    utcnow,
)
from server.services import _prepared, audit, instance, join_questions
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.handles import ensure_handle_free, validate_handle
from server.services.images import ImageKind, delete_image, store_image
from server.services.keys import generate_rsa_keypair

MAX_TOPICS = 8
TOPIC_MAX_CHARS = 40


@dataclass(frozen=True)
class GroupForm:
    handle: str
    name: str
    description: str = ""
    rules: str = ""
    topics: tuple[str, ...] = field(default_factory=tuple)
    join_policy: JoinPolicy = JoinPolicy.OPEN
    posting_policy: PostingPolicy = PostingPolicy.MEMBERS
    hold_first_posts: bool = False  # each member's first post waits for a moderator
    visibility: GroupVisibility = GroupVisibility.PUBLIC  # who may read it (see `reading`)


def parse_topics(text: str) -> tuple[str, ...]:
    """Topics from a comma-separated field: trimmed, lower-cased, de-duplicated."""
    topics: dict[str, None] = {}
    for raw in text.split(","):
        topic = " ".join(raw.split()).lower().lstrip("#")
        if topic:
            topics[topic] = None
    return tuple(topics)


def _validate(form: GroupForm) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = "Give the group a name."
    elif len(form.name.strip()) > 100:
        errors["name"] = "Use at most 100 characters."
    if len(form.description) > 10000:
        errors["description"] = "Use at most 10,000 characters."
    if len(form.rules) > 10000:
        errors["rules"] = "Use at most 10,000 characters."
    if len(form.topics) > MAX_TOPICS:
        errors["topics"] = f"Choose at most {MAX_TOPICS} topics."
    elif any(len(t) > TOPIC_MAX_CHARS for t in form.topics):
        errors["topics"] = f"Keep each topic under {TOPIC_MAX_CHARS} characters."
    return errors


async def create_group(
    owner: Account,
    form: GroupForm,
    *,
    media_dir: Path | None = None,
    avatar: bytes | None = None,
    banner: bytes | None = None,
) -> Group:
    """Create a group owned by `owner`, with optional avatar and banner uploads.

    Every problem (form fields and images alike) is reported at once in one Invalid; a taken
    handle raises Conflict. Either way nothing is stored, not even the image files.
    """
    errors = _validate(form)
    try:
        handle = validate_handle(form.handle)
    except Invalid as exc:
        errors.update(exc.errors)
        handle = ""
    images = _store_images(errors, media_dir, avatar=avatar, banner=banner)
    try:
        if errors:
            raise Invalid(errors)
        await ensure_handle_free(handle)
        group = await _insert_group(owner, form, handle, images)
    except BaseException:
        _discard(images, media_dir)
        raise
    return group


async def _insert_group(
    owner: Account, form: GroupForm, handle: str, images: dict[str, str]
) -> Group:
    config = await instance.get_config()
    needs_approval = config.groups_need_approval and not owner.is_admin
    private_pem, public_pem = generate_rsa_keypair()
    description_html = render_markdown(form.description).html
    try:
        async with in_transaction():
            actor = await Actor.create(
                kind=ActorKind.GROUP,
                username=handle,
                display_name=form.name.strip(),
                summary_html=description_html,
                avatar_path=images.get("avatar", ""),
                private_key_pem=private_pem,
                public_key_pem=public_pem,
            )
            group = await Group.create(
                actor=actor,
                description_source=form.description,
                description_html=description_html,
                rules_source=form.rules,
                rules_html=render_markdown(form.rules).html,
                banner_path=images.get("banner", ""),
                join_policy=form.join_policy,
                posting_policy=form.posting_policy,
                hold_first_posts=form.hold_first_posts,
                visibility=form.visibility,
                state=GroupState.PENDING if needs_approval else GroupState.ACTIVE,
                member_count=1,
            )
            await Membership.create(
                group=group,
                actor_id=owner.actor_id,
                role=MemberRole.OWNER,
                state=MembershipState.ACCEPTED,
                decided_at=utcnow(),
            )
            await _set_topics(group, form.topics)
    except IntegrityError as exc:
        # Someone took the handle between our check and the insert.
        raise Conflict(f"The handle “{handle}” is already taken by a person or a group.") from exc
    return group


async def update_group(
    group: Group,
    form: GroupForm,
    *,
    media_dir: Path | None = None,
    avatar: bytes | None = None,
    banner: bytes | None = None,
    remove_avatar: bool = False,
    remove_banner: bool = False,
    by: Actor | None = None,
) -> Group:
    """Change everything but the handle (which names the group across the fediverse).

    A new upload replaces the old image, whose file is deleted once the change is committed.
    A change of the rules goes into the moderation log as `group.rules`, done by `by`, and a
    change of who may read the group as `group.visibility_members` or `group.visibility_public`
    (the read policy applies it at once; copies already delivered elsewhere stay there).
    """
    errors = _validate(form)
    images = _store_images(errors, media_dir, avatar=avatar, banner=banner)
    if errors:
        _discard(images, media_dir)
        raise Invalid(errors)
    actor = await Actor.get(id=group.actor_id)
    replaced: dict[str, str] = {}
    if "avatar" in images or remove_avatar:
        replaced["avatar"] = actor.avatar_path
        actor.avatar_path = images.get("avatar", "")
    if "banner" in images or remove_banner:
        replaced["banner"] = group.banner_path
        group.banner_path = images.get("banner", "")
    try:
        async with in_transaction():
            rules_changed = group.rules_source != form.rules
            holding_changed = group.hold_first_posts != form.hold_first_posts
            visibility_changed = group.visibility != form.visibility
            group.description_source = form.description
            group.description_html = render_markdown(form.description).html
            group.rules_source = form.rules
            group.rules_html = render_markdown(form.rules).html
            group.join_policy = form.join_policy
            group.posting_policy = form.posting_policy
            group.hold_first_posts = form.hold_first_posts
            group.visibility = form.visibility
            await group.save()
            actor.display_name = form.name.strip()
            actor.summary_html = group.description_html
            await actor.save(update_fields=["display_name", "summary_html", "avatar_path"])
            await _set_topics(group, form.topics)
            if rules_changed:
                await audit.record(
                    by,
                    "group.rules",
                    group=group,
                    target_type="group",
                    target_id=group.id,
                    target_label=actor.name,
                )
            if holding_changed:
                await audit.record(
                    by,
                    "group.hold_first_posts"
                    if form.hold_first_posts
                    else "group.release_first_posts",
                    group=group,
                    target_type="group",
                    target_id=group.id,
                    target_label=actor.name,
                )
            if visibility_changed:
                await audit.record(
                    by,
                    f"group.visibility_{form.visibility.value}",
                    group=group,
                    target_type="group",
                    target_id=group.id,
                    target_label=actor.name,
                )
            await events.bus.publish(events.GroupUpdated(group.id))
    except BaseException:
        _discard(images, media_dir)
        raise
    _discard(replaced, media_dir)
    group.actor = actor
    return group


def _store_images(
    errors: dict[str, str], media_dir: Path | None, **uploads: bytes | None
) -> dict[str, str]:
    """Store each given upload (avatar, banner); add a field error for each that is no image."""
    kinds = {"avatar": ImageKind.AVATAR, "banner": ImageKind.BANNER}
    stored: dict[str, str] = {}
    for name, data in uploads.items():
        if data is None:
            continue
        if media_dir is None:
            raise ValueError("media_dir is needed to store images")
        try:
            stored[name] = store_image(data, kinds[name], media_dir, name)
        except Invalid as exc:
            errors.update(exc.errors)
    return stored


def _discard(images: dict[str, str], media_dir: Path | None) -> None:
    if media_dir is not None:
        for name in images.values():
            delete_image(name, media_dir)


async def _set_topics(group: Group, topics: tuple[str, ...]) -> None:
    await GroupTopic.filter(group=group).delete()
    for name in topics:
        topic, _ = await Topic.get_or_create(name=name)
        await GroupTopic.create(group=group, topic=topic)


async def topics_of(group: Group) -> list[str]:
    links: list[GroupTopic] = await _prepared.run(
        "group topics",
        lambda group_id: (
            GroupTopic.filter(group_id=group_id).select_related("topic").order_by("topic__name")
        ),
        group_id=group.id,
    )
    return [link.topic.name for link in links]


async def get_group(handle: str, *, include_hidden: bool = False) -> Group:
    """A group by its handle: `name` here, or `name@host[:port]` for a group on another server
    that we already know (see `remote_groups.track_remote_group`)."""
    name, at, domain = handle.strip().removeprefix("@").rpartition("@")
    # Longer than a stored name (or host) can be: no such group, and the ORM would refuse it.
    name_chars, domain_chars = _column_chars("username"), _column_chars("domain")
    if len(name) > name_chars or len(domain) > (domain_chars if at else name_chars):
        raise NotFound("There is no group with that handle.")
    if at:
        group = await _remote_group(name, domain.lower())
    else:
        group = await _prepared.run(
            "local group by name",
            lambda name: (
                Group.filter(actor__username=name, actor__domain="").select_related("actor").first()
            ),
            name=handle.lower(),
        )
    if group is None or (not include_hidden and group.state != GroupState.ACTIVE):
        raise NotFound("There is no group with that handle.")
    return group


def _column_chars(field: str) -> int:
    return int(Actor._meta.fields_map[field].max_length)  # type: ignore[attr-defined]


async def _remote_group(name: str, domain: str) -> Group | None:
    if not name or not domain or "/" in name + domain:
        return None
    query = Group.filter(actor__domain=domain).select_related("actor")
    # Remote servers choose the case of their names; ours are lower case.
    return (
        await query.filter(actor__username=name).first()
        or await query.filter(actor__username=name.lower()).first()
    )


async def membership_of(group: Group, actor_id: str) -> Membership | None:
    # On every group page a logged-in person opens: the SQL is kept (`_prepared`).
    membership: Membership | None = await _prepared.run(
        "membership",
        lambda group_id, actor: Membership.filter(group_id=group_id, actor_id=actor).first(),
        group_id=group.id,
        actor=actor_id,
    )
    return membership


async def is_moderator(group: Group, actor_id: str) -> bool:
    membership = await membership_of(group, actor_id)
    return membership is not None and membership.is_moderator


async def can_moderate(group: Group, actor_id: str) -> bool:
    """A moderator of the group, or an admin of this instance when the group is hosted here."""
    if await is_moderator(group, actor_id):
        return True
    return await is_admin_here(group, actor_id)


async def is_admin_here(group: Group, actor_id: str) -> bool:
    """An active admin of this instance, and the group is hosted here."""
    group_actor = await Actor.get(id=group.actor_id)
    return (
        group_actor.is_local
        and await Account.filter(
            actor_id=actor_id, role=Role.ADMIN, state=AccountState.ACTIVE
        ).exists()
    )


async def is_member(group: Group, actor_id: str) -> bool:
    return await Membership.filter(
        group=group, actor_id=actor_id, state=MembershipState.ACCEPTED
    ).exists()


async def can_post(group: Group, actor_id: str) -> bool:
    """Whether this actor may start a thread in the group (replies need membership only)."""
    membership = await membership_of(group, actor_id)
    return membership is not None and may_start_threads(group, membership)


def may_start_threads(group: Group, membership: Membership) -> bool:
    """`can_post` for a membership in hand."""
    if membership.state != MembershipState.ACCEPTED:
        return False
    return group.posting_policy == PostingPolicy.MEMBERS or membership.is_moderator


async def is_banned(group: Group, actor_id: str) -> bool:
    return await Ban.filter(group=group, actor_id=actor_id).exists()


async def request_membership(
    group: Group,
    actor: Actor,
    *,
    message: str = "",
    follow_ap_id: str = "",
    answers: Sequence[str] | None = None,
) -> Membership:
    """Join (open group) or ask to join (approval group). Idempotent for an existing request.

    A person asking here answers the group's join questions (`answers`, checked by
    `join_questions`); a Follow from another server (`answers` None) cannot, and waits all the
    same."""
    if group.state != GroupState.ACTIVE:
        raise Forbidden("This group is not open for new members.")
    if await is_banned(group, actor.id):
        raise Forbidden("You are banned from this group.")
    errors: dict[str, str] = {}
    if len(message) > 1000:
        errors["message"] = "Use at most 1,000 characters."
    answered: list[dict[str, str]] = []
    if answers is not None and actor.is_local:
        try:
            answered = join_questions.check_answers(group, answers)
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    # A group on another server is joined by following it there: pending until it answers.
    group_actor = await Actor.get(id=group.actor_id)
    asks_elsewhere = not group_actor.is_local and actor.is_local
    async with in_transaction():
        membership = await membership_of(group, actor.id)
        if membership is not None and membership.state != MembershipState.REJECTED:
            if follow_ap_id and membership.follow_ap_id != follow_ap_id:
                membership.follow_ap_id = follow_ap_id
                await membership.save(update_fields=["follow_ap_id"])
            # A Follow from a standing member is answered again, as Mastodon does: its server
            # may have dropped the follow (Takahē re-sends the same id on a quick re-follow).
            if follow_ap_id and membership.state == MembershipState.ACCEPTED:
                await events.bus.publish(events.MembershipAccepted(membership.id))
            return membership
        if membership is None:
            membership = Membership(group=group, actor=actor)
        membership.role = MemberRole.MEMBER
        membership.message = message.strip()
        membership.answers = answered
        membership.follow_ap_id = follow_ap_id
        membership.decided_by = None
        if group.join_policy == JoinPolicy.OPEN and not asks_elsewhere:
            membership.state = MembershipState.ACCEPTED
            membership.decided_at = utcnow()
        else:
            membership.state = MembershipState.PENDING
            membership.decided_at = None
        await membership.save()
        if membership.state == MembershipState.ACCEPTED:
            await _recount_members(group)
            await events.bus.publish(events.MembershipAccepted(membership.id))
        else:
            await events.bus.publish(events.MembershipRequested(membership.id))
    return membership


async def admit(group: Group, actor: Actor) -> Membership:
    """Make a person here a member at once, past any approval (they hold an invitation): a
    pending request is accepted, a rejected one replaced. Call inside the transaction that
    spends the invitation."""
    if group.state != GroupState.ACTIVE:
        raise Forbidden("This group is not open for new members.")
    if await is_banned(group, actor.id):
        raise Forbidden("You are banned from this group.")
    membership = await membership_of(group, actor.id)
    if membership is not None and membership.state == MembershipState.ACCEPTED:
        return membership
    if membership is None:
        membership = Membership(group=group, actor=actor, role=MemberRole.MEMBER)
    membership.state = MembershipState.ACCEPTED
    membership.decided_at = utcnow()
    membership.decided_by = None  # joining by invitation is one's own doing: no notification
    await membership.save()
    await _recount_members(group)
    await events.bus.publish(events.MembershipAccepted(membership.id))
    return membership


async def refuse_follow(group: Group, actor: Actor, follow_ap_id: str) -> None:
    """Turn down a remote Follow at once (banned actor, blocked or limited domain).

    Nothing is stored: the event alone makes the federation adapter answer with a Reject that
    embeds the Follow.
    """
    async with in_transaction():
        await events.bus.publish(events.MembershipRejected(group.id, actor.id, follow_ap_id))


async def decide_membership(
    membership: Membership, moderator: Actor, *, accept: bool
) -> Membership:
    if membership.state != MembershipState.PENDING:
        raise Conflict("This request has already been decided.")
    group = await Group.get(id=membership.group_id)
    async with in_transaction():
        membership.state = MembershipState.ACCEPTED if accept else MembershipState.REJECTED
        membership.decided_at = utcnow()
        membership.decided_by = moderator
        await membership.save()
        person = await Actor.get(id=membership.actor_id)
        action = "member.accept" if accept else "member.reject"
        await audit.record(moderator, action, group=group, **person_target(person))
        if accept:
            await _recount_members(group)
            await events.bus.publish(events.MembershipAccepted(membership.id))
        else:
            await events.bus.publish(
                events.MembershipRejected(group.id, membership.actor_id, membership.follow_ap_id)
            )
    return membership


async def leave_group(group: Group, actor_id: str) -> None:
    membership = await membership_of(group, actor_id)
    if membership is None:
        raise NotFound("You are not a member of this group.")
    if membership.role == MemberRole.OWNER:
        raise Forbidden("The owner cannot leave; transfer ownership first.")
    async with in_transaction():
        was_member = membership.state == MembershipState.ACCEPTED
        await membership.delete()
        if was_member:
            await _recount_members(group)
        await events.bus.publish(
            events.MembershipEnded(group.id, actor_id, membership.follow_ap_id)
        )


async def set_role(group: Group, by: Actor, target_actor_id: str, role: MemberRole) -> Membership:
    """Appoint a member moderator, or make a moderator a plain member again: the owner may, and
    this instance's admins. Ownership is not changed here (`transfer_ownership`).

    Audited as `moderator.appoint` / `moderator.remove`; nothing happens (and nothing is logged)
    when the member already has that role.
    """
    if role == MemberRole.OWNER:
        raise Invalid({"role": "Ownership is transferred, not assigned."})
    if not await _is_owner(group, by.id) and not await is_admin_here(group, by.id):
        raise Forbidden("Only the group's owner or an admin can change roles.")
    membership = await membership_of(group, target_actor_id)
    if membership is None or membership.state != MembershipState.ACCEPTED:
        raise NotFound("That person is not a member of this group.")
    if membership.role == MemberRole.OWNER:
        raise Forbidden("The owner's role cannot be changed.")
    if membership.role == role:
        return membership
    target = await Actor.get(id=target_actor_id)
    appointed = role == MemberRole.MODERATOR
    async with in_transaction():
        membership.role = role
        await membership.save(update_fields=["role"])
        await audit.record(
            by,
            "moderator.appoint" if appointed else "moderator.remove",
            group=group,
            **person_target(target),
        )
        await events.bus.publish(
            events.ModeratorChanged(group.id, target_actor_id, by.id, appointed=appointed)
        )
        await events.bus.publish(events.GroupUpdated(group.id))
    return membership


async def transfer_ownership(by: Actor, group: Group, new_owner_id: str) -> None:
    """Give the group to another member; the old owner stays on as a moderator.

    The owner may give it to one of the group's moderators; an admin of this instance to any
    member (say, to rescue a group whose owner left). Either way the new owner needs an active
    account here, since the group's pages are where it is run. Audited as `group.transfer`.
    """
    by_admin = await is_admin_here(group, by.id)
    owner = await Membership.filter(group=group, role=MemberRole.OWNER).first()
    if not by_admin and (owner is None or owner.actor_id != by.id):
        raise Forbidden("Only the group's owner or an admin can transfer ownership.")
    membership = await membership_of(group, new_owner_id)
    if membership is None or membership.state != MembershipState.ACCEPTED:
        raise NotFound("That person is not a member of this group.")
    if membership.role == MemberRole.OWNER:
        raise Conflict("They already own this group.")
    if not by_admin and membership.role != MemberRole.MODERATOR:
        raise Conflict("Ownership goes to one of the group's moderators; appoint them first.")
    if not await Account.filter(actor_id=new_owner_id, state=AccountState.ACTIVE).exists():
        raise Conflict("Only a person with an active account here can own a group.")
    target = await Actor.get(id=new_owner_id)
    async with in_transaction():
        if owner is not None:
            owner.role = MemberRole.MODERATOR
            await owner.save(update_fields=["role"])
        membership.role = MemberRole.OWNER
        await membership.save(update_fields=["role"])
        await audit.record(by, "group.transfer", group=group, **person_target(target))
        await events.bus.publish(events.GroupUpdated(group.id))


async def _is_owner(group: Group, actor_id: str) -> bool:
    membership = await membership_of(group, actor_id)
    return (
        membership is not None and membership.is_moderator and membership.role == MemberRole.OWNER
    )


def person_target(actor: Actor) -> dict[str, str]:
    """An audit entry's target fields for a person: their id, and a label that outlives them."""
    handle = f"@{actor.username}" + (f"@{actor.domain}" if actor.domain else "")
    label = f"{actor.display_name} ({handle})" if actor.display_name else handle
    return {"target_type": "actor", "target_id": actor.id, "target_label": label}


async def _recount_members(group: Group) -> None:
    count = await Membership.filter(group=group, state=MembershipState.ACCEPTED).count()
    await Group.filter(id=group.id).update(member_count=count)
    group.member_count = count
