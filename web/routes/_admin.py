"""What the admin pages share: rendering with a notice named in the query string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web.context import web


def render_admin(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    notices: Mapping[str, str],
    status_code: int = 200,
) -> Response:
    """The page, with the notice that `?notice=<key>` names (after a redirect) shown on top."""
    notice = notices.get(request.query_params.get("notice", ""))
    context = {"flashes": [notice] if notice else [], **context}
    return web(request).templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
