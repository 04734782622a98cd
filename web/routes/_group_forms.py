"""The forms of the group pages, and turning them into the domain's `GroupForm`.

The domain validates names, lengths, handles and topics; these forms only check that the
choices are among those offered, so each rule lives in one place.
"""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from wtforms import BooleanField, FileField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs

from server.models import Group, GroupVisibility, JoinPolicy, PostingPolicy
from server.services.groups import GroupForm, parse_topics
from server.settings import Settings
from web.forms import WebForm

JOIN_CHOICES = [
    SelectChoice(JoinPolicy.OPEN.value, "Open: anyone can join at once"),
    SelectChoice(JoinPolicy.APPROVAL.value, "By approval: a moderator accepts each request"),
]
VISIBILITY_CHOICES = [
    SelectChoice(
        GroupVisibility.PUBLIC.value,
        "Public: anyone can read its posts, replies, resources and members, logged in or not,"
        " here or from another server; they show in search, feeds and link previews",
    ),
    SelectChoice(
        GroupVisibility.MEMBERS.value,
        "Members only: only its members, its moderators and this server's admins can read its"
        " posts, replies, resources and members; everyone can still see its name, description"
        " and rules, and ask to join",
    ),
]
POSTING_CHOICES = [
    SelectChoice(PostingPolicy.MEMBERS.value, "Members: every member can start a thread"),
    SelectChoice(
        PostingPolicy.MODERATORS.value, "Moderators: only moderators start threads; members reply"
    ),
]


class GroupSettingsForm(WebForm):
    name = StringField("Name")
    description = TextAreaField("Description")
    rules = TextAreaField("Rules")
    topics = StringField("Topics")
    join_policy = RadioField("Who can join", choices=JOIN_CHOICES, default=JoinPolicy.OPEN.value)
    visibility = RadioField(
        "Who can read it", choices=VISIBILITY_CHOICES, default=GroupVisibility.PUBLIC.value
    )
    posting_policy = RadioField(
        "Who can start threads", choices=POSTING_CHOICES, default=PostingPolicy.MEMBERS.value
    )
    hold_first_posts = BooleanField("Hold each member's first post for a moderator")
    join_questions = TextAreaField("Questions for people who ask to join")
    avatar = FileField("Avatar")
    banner = FileField("Banner")
    remove_avatar = BooleanField("Remove the current avatar")
    remove_banner = BooleanField("Remove the current banner")

    def to_domain(self, handle: str) -> GroupForm:
        return GroupForm(
            handle=handle,
            name=self.name.data or "",
            description=self.description.data or "",
            rules=self.rules.data or "",
            topics=parse_topics(self.topics.data or ""),
            join_policy=JoinPolicy(self.join_policy.data),
            posting_policy=PostingPolicy(self.posting_policy.data),
            hold_first_posts=bool(self.hold_first_posts.data),
            visibility=GroupVisibility(self.visibility.data),
        )

    @classmethod
    def for_group(cls, group: Group, topics: list[str]) -> GroupSettingsForm:
        form = cls()
        form.name.data = group.actor.display_name
        form.description.data = group.description_source
        form.rules.data = group.rules_source
        form.topics.data = ", ".join(topics)
        form.join_policy.data = group.join_policy.value
        form.posting_policy.data = group.posting_policy.value
        form.hold_first_posts.data = group.hold_first_posts
        form.visibility.data = group.visibility.value
        form.join_questions.data = "\n".join(group.join_questions)
        return form


class NewGroupForm(GroupSettingsForm):
    handle = StringField("Handle")


class JoinForm(WebForm):
    message = TextAreaField("Message to the moderators (optional)")


async def read_upload(formdata: FormData, name: str, settings: Settings) -> bytes | None:
    """The bytes of an uploaded file, or None when the field was left empty (413 if too big)."""
    upload = formdata.get(name)
    if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
        return None
    data = await upload.read()
    if not data and not upload.filename:
        return None
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(
            413, f"The image is too large (the limit is {settings.max_upload_bytes // 1024} KiB)."
        )
    return data
