"""Joining and leaving a group, the moderators' queue of join requests, and roles."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.models import MemberRole
from server.services import groups, join_questions, members
from server.services.errors import Invalid
from web.context import web
from web.forms import read_form
from web.group_page import GroupPage, load_group_page
from web.routes._group_forms import JoinForm
from web.session import require_account

ASSIGNABLE_ROLES = {MemberRole.MODERATOR.value, MemberRole.MEMBER.value}


async def join_group(request: Request) -> Response:
    """GET: a page to ask to join (with a message); POST: join, or ask to, at once."""
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    group_path = page.path
    if request.method == "GET":
        if page.is_member or page.is_pending:
            return RedirectResponse(group_path, status_code=303)
        return _render_join(request, page, JoinForm())
    data = await read_form(request)
    form = JoinForm.from_formdata(data)
    assert isinstance(form, JoinForm)
    asked = join_questions.questions_asked(page.group)
    answers = [_text(data.get(f"answer_{index}")) for index in range(len(asked))]
    try:
        await groups.request_membership(
            page.group, account.actor, message=form.message.data or "", answers=answers
        )
    except Invalid as exc:
        for name, message in exc.errors.items():
            number = name.removeprefix("answer_")
            if number.isdigit():  # shown beside its question; the summary names the question
                form.form_errors.append(f"Question {int(number) + 1}: {message}")
            else:
                form.add_errors({name: message})
        return _render_join(request, page, form, answers, exc.errors, status=422)
    return RedirectResponse(group_path, status_code=303)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _render_join(
    request: Request,
    page: GroupPage,
    form: JoinForm,
    answers: list[str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    asked = join_questions.questions_asked(page.group)
    questions = [
        {
            "number": index + 1,
            "name": f"answer_{index}",
            "text": question,
            "answer": (answers or [])[index] if answers else "",
            "error": (errors or {}).get(f"answer_{index}", ""),
        }
        for index, question in enumerate(asked)
    ]
    context = {
        **page.as_context("about"),
        "form": form,
        "questions": questions,
        "answer_max": join_questions.ANSWER_MAX,
    }
    return web(request).templates.TemplateResponse(
        request, "groups/join.html", context, status_code=status
    )


async def leave_group(request: Request) -> Response:
    """GET: confirm leaving (or withdrawing a request); POST: leave."""
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    group_path = page.path
    if request.method == "GET":
        if page.membership is None:
            return RedirectResponse(group_path, status_code=303)
        return web(request).templates.TemplateResponse(
            request, "groups/leave.html", page.as_context("about")
        )
    await read_form(request)
    await groups.leave_group(page.group, account.actor_id)
    return RedirectResponse(group_path, status_code=303)


async def join_requests(request: Request) -> Response:
    await require_account(request)
    page = await _moderator_page(request)
    return web(request).templates.TemplateResponse(
        request,
        "groups/requests.html",
        {**page.as_context("requests"), "requests": await members.pending_requests(page.group)},
    )


async def decide_request(request: Request) -> Response:
    account = await require_account(request)
    decision = request.path_params["decision"]
    if decision not in ("accept", "reject"):
        raise HTTPException(404)
    page = await _moderator_page(request)
    await read_form(request)
    await members.decide_request(
        page.group,
        request.path_params["membership_id"],
        account.actor,
        accept=decision == "accept",
    )
    return RedirectResponse(f"{page.path}/requests", status_code=303)


async def change_role(request: Request) -> Response:
    """The owner (or an admin) makes a member a moderator, or a moderator a member again."""
    account = await require_account(request)
    page = await load_group_page(request, request.path_params["handle"])
    if not (page.is_owner or (page.can_moderate and account.is_admin)):
        raise HTTPException(403, "Only the group's owner or an admin can change roles.")
    form = await read_form(request)
    role = form.get("role")
    if not isinstance(role, str) or role not in ASSIGNABLE_ROLES:
        raise Invalid({"role": "Choose either moderator or member."})
    await groups.set_role(
        page.group, account.actor, request.path_params["actor_id"], MemberRole(role)
    )
    return RedirectResponse(f"{page.path}/members", status_code=303)


async def _moderator_page(request: Request) -> GroupPage:
    page = await load_group_page(request, request.path_params["handle"])
    if not page.can_moderate:
        raise HTTPException(403, "Only the group's moderators can do this.")
    return page


routes: list[BaseRoute] = [
    Route("/g/{handle:handle}/join", join_group, methods=["GET", "POST"], name="join_group"),
    Route("/g/{handle:handle}/leave", leave_group, methods=["GET", "POST"], name="leave_group"),
    Route("/g/{handle:handle}/requests", join_requests, name="join_requests"),
    Route(
        "/g/{handle:handle}/requests/{membership_id:id}/{decision}",
        decide_request,
        methods=["POST"],
        name="decide_request",
    ),
    Route(
        "/g/{handle:handle}/members/{actor_id:id}/role",
        change_role,
        methods=["POST"],
        name="change_role",
    ),
]
