"""Search pages: /search (the box in every page's header) and the similar-questions fragment
that the new-question form fetches while the title is typed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.services import search
from server.services.errors import Invalid
from web.context import web
from web.routes._listing import older_url
from web.session import current_account

FIELDS = ("q", "group", "kind", "answered", "author", "since", "until", "sort", "cursor")
MAX_FIELD_CHARS = 400


async def search_page(request: Request) -> Response:
    viewer = await current_account(request)
    asked = {name: request.query_params.get(name, "")[:MAX_FIELD_CHARS] for name in FIELDS}
    too_long = any(len(request.query_params.get(name, "")) > MAX_FIELD_CHARS for name in FIELDS)
    query = search.SearchQuery(
        text=asked["q"],
        group=asked["group"],
        kind=asked["kind"],
        answered=asked["answered"],
        author=asked["author"],
        since=asked["since"],
        until=asked["until"],
        sort=asked["sort"] or search.Sort.RELEVANCE,
        cursor=asked["cursor"],
    )
    errors: dict[str, str] = {}
    page: search.SearchPage | None = None
    try:
        if too_long:
            raise Invalid({"q": f"Search with at most {search.MAX_QUERY_CHARS} characters."})
        page = await search.search(viewer, query, language=web(request).settings.search_language)
    except Invalid as exc:
        errors = exc.errors or {"q": exc.message}
    return web(request).templates.TemplateResponse(
        request,
        "search/results.html",
        {
            "asked": {**asked, "sort": query.sort},
            "errors": errors,
            "page": page,
            "kinds": search.service.KINDS,
            "older_url": older_url(request, page.next_cursor) if page else None,
        },
        status_code=400 if errors else 200,
    )


async def similar_fragment(request: Request) -> Response:
    """The similar questions for `?title=`, as a small HTML fragment (empty when none)."""
    viewer = await current_account(request)
    title = request.query_params.get("title", "")[:MAX_FIELD_CHARS]
    similar = await search.similar_questions(
        viewer, title, language=web(request).settings.search_language
    )
    return web(request).templates.TemplateResponse(
        request, "search/_similar.html", {"similar": similar, "asked_title": title}
    )


routes: list[BaseRoute] = [
    Route("/search", search_page, name="search"),
    Route("/search/similar", similar_fragment, name="search_similar"),
]
