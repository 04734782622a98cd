"""TLS: certificates are verified for the URL's name, against an extra CA bundle when set,
while the connection goes to the address that was checked."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from federation.fetch import Fetcher, Unreachable, make_client
from tests.federation._fetch_server import Server, respond

LOOPBACK = ["127.0.0.0/8", "::1/128"]


def _certificate(
    subject: str, issuer: str, issuer_key: ec.EllipticCurvePrivateKey | None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate; self-signed CA when `issuer_key` is None, else a leaf for localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca = issuer_key is None
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
    return builder.sign(issuer_key or key, hashes.SHA256()), key


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[Server, Path]]:
    # A throwaway CA, and a certificate for the name "localhost" only (no IP address)
    ca_cert, ca_key = _certificate("Test CA", "Test CA", None)
    leaf, leaf_key = _certificate("localhost", "Test CA", ca_key)
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    async with Server(ssl_context=context) as server:
        yield server, tmp_path / "ca.pem"


async def test_fetch_object__verifies_the_name_against_the_extra_ca(
    tls_server: tuple[Server, Path],
) -> None:
    # Given an https server for "localhost" under a private CA, the CA given as extra bundle
    server, ca = tls_server
    url = server.url("/note", host="localhost")
    server.routes["/note"] = respond(body={"id": url, "type": "Note"})
    # When fetched by name (the connection itself goes to the checked loopback address)
    async with make_client(allowed_networks=LOOPBACK, extra_ca_bundle=ca) as client:
        fetched = await Fetcher(client).fetch_object(url)
    # Then TLS verified "localhost" and the document arrived, with Host naming it
    assert fetched.data["type"] == "Note"
    assert server.requests[0][1]["host"] == f"localhost:{server.port}"


async def test_fetch_object__unknown_ca_or_wrong_name_fails(
    tls_server: tuple[Server, Path],
) -> None:
    # Given the same server
    server, ca = tls_server
    server.routes["/note"] = respond(body={"id": server.url("/note"), "type": "Note"})
    # When fetched without the extra CA, or by an address the certificate does not name
    async with make_client(allowed_networks=LOOPBACK) as client:
        with pytest.raises(Unreachable, match="CERTIFICATE_VERIFY_FAILED"):
            await Fetcher(client).fetch_object(server.url("/note", host="localhost"))
    async with make_client(allowed_networks=LOOPBACK, extra_ca_bundle=ca) as client:
        with pytest.raises(Unreachable):
            await Fetcher(client).fetch_object(server.url("/note", host="127.0.0.1"))
    # Then no request got through
    assert server.requests == []
