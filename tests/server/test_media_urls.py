"""Image URLs for pages: local ones as they are, remote ones signed for the media proxy."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from server.media_urls import PROXY_PREFIX, BadProxyPath, media_url, read_proxy_path
from server.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(base_url="https://lyceum.test", data_dir=tmp_path, secret_key="k" * 40)


def _parts(path: str) -> tuple[str, str]:
    assert path.startswith(PROXY_PREFIX)
    signature, encoded = path.removeprefix(PROXY_PREFIX).split("/")
    return signature, encoded


def test_media_url__local_media_passes_through(settings: Settings) -> None:
    # Given an uploaded file's path and an absolute URL on our own base URL
    # Then both stay as they are
    assert media_url(settings, "/media/ab/cd.png") == "/media/ab/cd.png"
    assert (
        media_url(settings, "https://lyceum.test/media/x.png") == "https://lyceum.test/media/x.png"
    )


@pytest.mark.parametrize(
    "url",
    ["https://elsewhere.example/a.png", "http://10.0.0.1/a.png", "https://LYCEUM.test:8443/x"],
)
def test_media_url__remote_url_becomes_a_signed_proxy_path(settings: Settings, url: str) -> None:
    # When a remote URL (another host, or our host on another port) is shown
    path = media_url(settings, url)
    # Then it is a proxy path naming it, which reads back to the same URL
    signature, encoded = _parts(path)
    assert base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode() == url
    assert read_proxy_path(settings, signature, encoded) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        None,
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//elsewhere.example/a.png",
        "ftp://elsewhere.example/a.png",
        "https:///a.png",
        "https://user:pw@elsewhere.example/a.png",
        "https://elsewhere.example/" + "a" * 2048,
        "https://elsewhere.example/\ud800.png",
        "https://[::1/a.png",
        "/static/../../etc/passwd",
    ],
)
def test_media_url__anything_else_shows_nothing(settings: Settings, url: str | None) -> None:
    assert media_url(settings, url) == ""


def test_read_proxy_path__another_url_under_the_signature_is_forged(settings: Settings) -> None:
    # Given a proxy path we made for one URL
    signature, _ = _parts(media_url(settings, "https://elsewhere.example/a.png"))
    other = base64.urlsafe_b64encode(b"http://169.254.169.254/latest").rstrip(b"=").decode()
    # When its signature is put on another URL, Then it is refused as forged
    with pytest.raises(BadProxyPath) as refusal:
        read_proxy_path(settings, signature, other)
    assert refusal.value.forged


def test_read_proxy_path__another_secret_signs_differently(
    settings: Settings, tmp_path: Path
) -> None:
    # Given a path made by an instance with another secret key
    elsewhere = Settings(base_url="https://lyceum.test", data_dir=tmp_path, secret_key="j" * 40)
    signature, encoded = _parts(media_url(elsewhere, "https://elsewhere.example/a.png"))
    # Then this instance does not accept it
    with pytest.raises(BadProxyPath):
        read_proxy_path(settings, signature, encoded)


def test_read_proxy_path__the_signature_is_not_the_bare_secret_hmac(settings: Settings) -> None:
    # Given the HMAC of the URL under the secret key itself (no purpose-derived key)
    import hashlib
    import hmac

    url = "https://elsewhere.example/a.png"
    raw = hmac.new(settings.resolved_secret_key.encode(), url.encode(), hashlib.sha256).digest()
    bare = base64.urlsafe_b64encode(raw[:16]).rstrip(b"=").decode()
    # Then it differs from the proxy's signature (a key used for one thing only)
    assert _parts(media_url(settings, url))[0] != bare


@pytest.mark.parametrize("encoded", ["%%%", "a", "gA", "x" * 5000, "é"])
def test_read_proxy_path__unreadable_paths_are_malformed_not_forged(
    settings: Settings, encoded: str
) -> None:
    with pytest.raises(BadProxyPath) as refusal:
        read_proxy_path(settings, "sig", encoded)
    assert not refusal.value.forged


def test_read_proxy_path__non_ascii_signature_is_refused(settings: Settings) -> None:
    _, encoded = _parts(media_url(settings, "https://elsewhere.example/a.png"))
    with pytest.raises(BadProxyPath):
        read_proxy_path(settings, "é" * 22, encoded)
