"""The forms of the posts pages. The domain checks titles, lengths and links; these only carry."""

from __future__ import annotations

from wtforms import RadioField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs

from server.models import PostKind
from web.forms import WebForm

KIND_CHOICES = [
    SelectChoice(PostKind.DISCUSSION.value, "Discussion: start a conversation"),
    SelectChoice(
        PostKind.QUESTION.value, "Question: ask for help; you can mark the answer that solved it"
    ),
    SelectChoice(PostKind.RESOURCE.value, "Resource: share a link with a title and a description"),
]


class NewPostForm(WebForm):
    kind = RadioField("What are you posting?", choices=KIND_CHOICES, default="discussion")
    title = StringField("Title")
    link_url = URLField("Link (resources only)")
    body = TextAreaField("Text")


class EditPostForm(WebForm):
    title = StringField("Title")
    link_url = URLField("Link")
    body = TextAreaField("Text")


class ReplyForm(WebForm):
    body = TextAreaField("Your reply")
