"""The request parts both schemes read: authority, target, header values, dates, durations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.httpsig._message import (
    authority,
    collect_fields,
    describe_seconds,
    field_value,
    imf_fixdate,
    parse_http_date,
    path_and_query,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Peer.Example/inbox", "peer.example"),
        ("https://peer.example:443/inbox", "peer.example"),
        ("http://peer.example:80/inbox", "peer.example"),
        ("https://peer.example:80/inbox", "peer.example:80"),
        ("http://peer.example:443/inbox", "peer.example:443"),
        ("https://peer.example:8443/inbox", "peer.example:8443"),
        ("HTTPS://peer.example:443/inbox", "peer.example"),
        ("https://[::1]/inbox", "[::1]"),
        ("https://[::1]:8443/inbox", "[::1]:8443"),
        ("https:///inbox", ""),
    ],
)
def test_authority__is_what_a_receiver_sees_in_host(url: str, expected: str) -> None:
    assert authority(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example", "/"),
        ("https://a.example/inbox", "/inbox"),
        ("https://a.example/inbox?page=2&x=%20", "/inbox?page=2&x=%20"),
        ("https://a.example?x=1", "/?x=1"),
    ],
)
def test_path_and_query__keeps_the_query_as_sent(url: str, expected: str) -> None:
    assert path_and_query(url) == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59.9, "59 seconds"),
        (60, "1 minute"),
        (-90, "1 minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "1 hour"),
        (7200, "2 hours"),
        (86399, "23 hours"),
        (86400, "1 day"),
        (3 * 86400, "3 days"),
    ],
)
def test_describe_seconds__names_the_largest_whole_unit(seconds: float, text: str) -> None:
    assert describe_seconds(seconds) == text


def test_collect_fields__joins_repeated_lines_in_order() -> None:
    fields = collect_fields([("Accept", " a "), ("X-Y", "1"), ("accept", "b")])
    assert fields == {"accept": ["a", "b"], "x-y": ["1"]}
    assert field_value(fields, "accept") == "a, b"
    assert field_value(fields, "missing") is None
    assert collect_fields({"Host": "h"}) == {"host": ["h"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("Sun, 06 Nov 1994 10:49:37 +0200", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("Sun, 06 Nov 1994 08:49:37 -0000", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        ("Sun, 06 Nov 99999999999 08:49:37 GMT", None),
        ("Sun, 06 Nov 1994 08:49:37 +99999999999999", None),
        ("Sun, 06 Nov 1994 99:49:37 GMT", None),
    ],
)
def test_parse_http_date__reads_dates_in_utc_and_refuses_the_rest(
    text: str, expected: datetime | None
) -> None:
    moment = parse_http_date(text)
    assert moment == expected
    if moment is not None:
        assert moment.utcoffset() is not None
        assert moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_imf_fixdate__is_gmt() -> None:
    moment = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert imf_fixdate(moment) == "Sun, 06 Nov 1994 08:49:37 GMT"
