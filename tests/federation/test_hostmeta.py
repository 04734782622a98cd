"""host-meta (XRD and JSON) points at WebFinger."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

TEMPLATE = "http://lyceum.test/.well-known/webfinger?resource={uri}"


async def test_host_meta__xrd_points_at_webfinger(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xrd+xml")
    assert "<!ENTITY" not in response.text
    root = ET.fromstring(response.text)
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.get("rel") == "lrdd"
    assert link.get("template") == TEMPLATE


async def test_host_meta__json_points_at_webfinger(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/host-meta.json")
    assert response.status_code == 200
    assert response.json()["links"] == [
        {"rel": "lrdd", "type": "application/jrd+json", "template": TEMPLATE}
    ]
