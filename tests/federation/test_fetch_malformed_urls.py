"""URLs that no request can be made to fail as `FetchError`s, never as other exceptions.

Remote servers choose the URLs we fetch (actor ids, icons, key ids); one that httpx or the
resolver cannot even encode must end as a refusal the caller maps to a 4xx, not a 500.
"""

from __future__ import annotations

import pytest

from federation.fetch import Fetcher, FetchError, RefusedURL, make_client


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://[::1/note", RefusedURL),  # an unclosed bracket
        ("https://xn--/note", RefusedURL),  # a malformed A-label
        ("https://remote.example/\x00", RefusedURL),
        ("https://\x00remote.example/note", RefusedURL),
        ("https://a..b.example/note", RefusedURL),  # an empty label: not a host name
        ("https://" + "a" * 70 + ".example/note", RefusedURL),  # a label over 63 characters
    ],
)
async def test_fetch_object__malformed_url_is_a_fetch_error(
    url: str, error: type[FetchError]
) -> None:
    async with make_client() as client:
        with pytest.raises(error):
            await Fetcher(client).fetch_object(url)
