"""The URL a signed request is checked against: our base URL, the path and query as sent."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from federation.request_url import request_url
from server.settings import Settings


def _request(**scope: Any) -> Request:
    return Request({"type": "http", "method": "POST", "headers": [], **scope})


def test_request_url__the_raw_path_as_sent_and_no_stray_question_mark(settings: Settings) -> None:
    sent = _request(path="/inbox/a/b", raw_path=b"/inbox/a%2Fb", query_string=b"")
    assert request_url(settings, sent) == "http://lyceum.test/inbox/a%2Fb"


def test_request_url__keeps_the_query(settings: Settings) -> None:
    sent = _request(path="/inbox", raw_path=b"/inbox", query_string=b"a=1&b=%20")
    assert request_url(settings, sent) == "http://lyceum.test/inbox?a=1&b=%20"


def test_request_url__a_server_that_gives_no_raw_path_falls_back_to_the_path(
    settings: Settings,
) -> None:
    sent = _request(path="/inbox", query_string=b"")
    assert request_url(settings, sent) == "http://lyceum.test/inbox"
