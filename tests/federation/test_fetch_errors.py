"""The fetch error tree: each error keeps its message, the URL and (for statuses) the status."""

from __future__ import annotations

from federation.fetch import BadStatus, FetchError, Gone, NotFound, Refused, TooLarge


def test_fetch_error__keeps_message_and_url() -> None:
    error = TooLarge("too big", url="https://a.example/x")
    assert (str(error), error.url) == ("too big", "https://a.example/x")
    assert FetchError("no url").url == ""


def test_bad_status__keeps_message_url_and_status() -> None:
    error = Gone("gone", url="https://a.example/x", status_code=410)
    assert (str(error), error.url, error.status_code) == ("gone", "https://a.example/x", 410)
    assert BadStatus("teapot", status_code=418).url == ""
    assert isinstance(NotFound("x", status_code=404), BadStatus)
    assert not isinstance(error, Refused)
