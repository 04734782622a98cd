"""HTTP answers of the federation adapter: AS2 documents, JSON errors and discovery documents."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.responses import Response

from federation import ld

log = logging.getLogger("lyceum.federation")

# Peers refuse larger documents (our fetcher too); ours stay far below it by construction.
MAX_DOCUMENT_BYTES = 1024 * 1024
# Discovery documents are read by browsers' fediverse tools too (RFC 7033 section 5).
CORS = {"Access-Control-Allow-Origin": "*"}


def encode_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def activity_response(document: dict[str, Any], *, status: int = 200) -> Response:
    """An ActivityStreams document; `Vary: Accept` since the same URL also serves HTML."""
    body = encode_json(document)
    if len(body) > MAX_DOCUMENT_BYTES:
        log.error("refusing to serve %s: %d bytes", document.get("id"), len(body))
        return error_response(500, "This document is too large to serve.")
    return Response(body, status, media_type=ld.ACTIVITY_JSON, headers={"Vary": "Accept"})


def error_response(status: int, message: str) -> Response:
    return Response(
        encode_json({"error": message}),
        status,
        media_type="application/json",
        headers={"Vary": "Accept"},
    )


def json_response(document: Any, media_type: str, *, cors: bool = True) -> Response:
    return Response(
        encode_json(document), 200, media_type=media_type, headers=CORS if cors else None
    )
