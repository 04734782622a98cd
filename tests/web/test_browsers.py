"""Naming a browser from its User-Agent header, for the sessions page."""

from __future__ import annotations

import pytest

from web.browsers import UNKNOWN, describe

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (FIREFOX, "Firefox 121 on Linux"),
        (IPHONE, "Mobile Safari 17 on iOS"),
        ("", UNKNOWN),
        ("   ", UNKNOWN),
        ("\x00\x01garbage", UNKNOWN),
    ],
)
def test_describe__names_the_browser_and_its_system(user_agent: str, name: str) -> None:
    assert describe(user_agent) == name
