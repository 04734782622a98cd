"""Domain blocks: the admin's list, add, change and lift; CSV import and export (Mastodon's
format); and the public list of moderated servers at `/about/blocks`.

An import is two steps, both without JavaScript: the uploaded file is read and checked, and a
preview says what it would change; confirming posts the same text back and applies it in one
transaction. A file that cannot be read is refused with 422 and the line at fault.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import InputRequired

from server.models import DomainBlock, DomainBlockSeverity
from server.services import domain_block_csv, domain_blocks
from server.services.domain_block_csv import MAX_BYTES, ImportPlan
from server.services.errors import Invalid
from web.context import web
from web.forms import WebForm, read_form
from web.session import current_account, require_admin

SEVERITY_CHOICES = [
    SelectChoice(
        DomainBlockSeverity.SUSPEND.value,
        "Suspend: refuse everything from it, send it nothing, hide what it posted here",
    ),
    SelectChoice(
        DomainBlockSeverity.LIMIT.value,
        "Limit: its people cannot join groups, and their posts wait for a moderator",
    ),
]
NOTICES = {
    "blocked": "The domain is blocked.",
    "changed": "The block has been changed.",
    "unblocked": "The block is lifted. Posts it hid stay removed; moderators can restore them.",
}


class EditBlockForm(WebForm):
    severity = RadioField(
        "Severity", choices=SEVERITY_CHOICES, validators=[InputRequired("Choose a severity.")]
    )
    reason = TextAreaField("Reason")
    public = BooleanField("Show this block and its reason on the public list of moderated servers")


class BlockForm(EditBlockForm):
    domain = StringField("Domain", [InputRequired("Give a domain name such as example.social.")])


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    if "imported" in request.query_params:
        notice = _imported_notice(request)
    context = {"flashes": [notice] if notice else [], **context}
    return web(request).templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


def _imported_notice(request: Request) -> str:
    counts = [request.query_params.get(key, "0") for key in ("new", "changed")]
    new, changed = (int(count) if count.isdigit() else 0 for count in counts)
    return f"Import done: {new} new block(s), {changed} changed."


# --- the list and one block --------------------------------------------------------------------


async def block_list(request: Request) -> Response:
    admin = await require_admin(request)
    form = BlockForm(severity=DomainBlockSeverity.SUSPEND.value)
    if request.method == "POST":
        posted = BlockForm.from_formdata(await read_form(request))
        assert isinstance(posted, BlockForm)
        form = posted
        if form.validate() and await _is_new(form):
            try:
                await domain_blocks.block_domain(
                    form.domain.data or "",
                    DomainBlockSeverity(form.severity.data),
                    form.reason.data or "",
                    by=admin.actor,
                    public=bool(form.public.data),
                )
            except Invalid as exc:
                form.add_errors(exc.errors)
            else:
                return RedirectResponse("/admin/domains?notice=blocked", 303)
    blocks = await domain_blocks.list_blocks()
    status_code = 422 if form.errors or form.form_errors else 200
    return _render(request, "admin/domains.html", {"form": form, "blocks": blocks}, status_code)


async def _is_new(form: BlockForm) -> bool:
    try:
        name = domain_blocks.clean_domain(form.domain.data or "")
    except Invalid as exc:
        form.add_errors(exc.errors)
        return False
    if await DomainBlock.exists(domain=name):
        form.add_errors({"domain": "That domain is already blocked; change its block instead."})
        return False
    return True


async def block_detail(request: Request) -> Response:
    admin = await require_admin(request)
    block = await domain_blocks.get_block(request.path_params["domain"])
    form = EditBlockForm(severity=block.severity.value, reason=block.reason, public=block.public)
    if request.method == "POST":
        posted = EditBlockForm.from_formdata(await read_form(request))
        assert isinstance(posted, EditBlockForm)
        form = posted
        if form.validate():
            try:
                await domain_blocks.block_domain(
                    block.domain,
                    DomainBlockSeverity(form.severity.data),
                    form.reason.data or "",
                    by=admin.actor,
                    public=bool(form.public.data),
                )
            except Invalid as exc:
                form.add_errors(exc.errors)
            else:
                return RedirectResponse("/admin/domains?notice=changed", 303)
    status_code = 422 if form.errors else 200
    return _render(request, "admin/domain.html", {"form": form, "block": block}, status_code)


async def unblock(request: Request) -> Response:
    admin = await require_admin(request)
    await read_form(request)
    await domain_blocks.unblock_domain(admin.actor, request.path_params["domain"])
    return RedirectResponse("/admin/domains?notice=unblocked", 303)


# --- CSV ---------------------------------------------------------------------------------------


async def export(request: Request) -> Response:
    await require_admin(request)
    text = domain_block_csv.export_blocks_csv(await domain_blocks.list_blocks())
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="domain_blocks.csv"'},
    )


async def import_blocks(request: Request) -> Response:
    admin = await require_admin(request)
    if request.method == "GET":
        return _render(request, "admin/domains_import.html", {"max_kib": MAX_BYTES // 1024})
    form = await read_form(request, with_files=True)
    confirmed = form.get("confirm") == "1"
    data = await _uploaded(form.get("csv_text") if confirmed else form.get("file"))
    try:
        if not data:
            raise Invalid({"file": "Choose a CSV file to import."})
        rows = domain_block_csv.parse_blocks_csv(data)
        if confirmed:
            plan = await domain_block_csv.import_blocks(admin.actor, rows)
            counts = f"new={len(plan.new)}&changed={len(plan.changed)}"
            return RedirectResponse(f"/admin/domains?imported=1&{counts}", 303)
        plan = await domain_block_csv.plan_import(rows)
    except Invalid as exc:
        context = {"max_kib": MAX_BYTES // 1024, "error": exc.message}
        return _render(request, "admin/domains_import.html", context, 422)
    return _render(request, "admin/domains_import.html", _preview(plan, data.decode("utf-8-sig")))


async def _uploaded(value: object) -> bytes:
    """The bytes of the confirmed text, or of the uploaded file (one byte over the cap at
    most, so the parser can tell it is too large)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    if isinstance(value, UploadFile) and value.filename:
        return await value.read(MAX_BYTES + 1)
    return b""


def _preview(plan: ImportPlan, text: str) -> dict[str, Any]:
    return {"max_kib": MAX_BYTES // 1024, "plan": plan, "csv_text": text}


# --- the public list ---------------------------------------------------------------------------


async def public_list(request: Request) -> Response:
    await current_account(request)
    blocks = await domain_blocks.public_blocks()
    return web(request).templates.TemplateResponse(request, "about/blocks.html", {"blocks": blocks})


routes: list[BaseRoute] = [
    Route("/admin/domains", block_list, methods=["GET", "POST"], name="admin_domains"),
    Route("/admin/domains/export.csv", export, name="admin_domains_export"),
    Route(
        "/admin/domains/import",
        import_blocks,
        methods=["GET", "POST"],
        name="admin_domains_import",
    ),
    Route(
        "/admin/domains/{domain:domain}", block_detail, methods=["GET", "POST"], name="admin_domain"
    ),
    Route(
        "/admin/domains/{domain:domain}/unblock",
        unblock,
        methods=["POST"],
        name="admin_domain_unblock",
    ),
    Route("/about/blocks", public_list, name="about_blocks"),
]
