"""Address policy: what the fetcher may connect to."""

from __future__ import annotations

import ipaddress

import pytest

import federation.fetch
from federation.fetch import AddressPolicy


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "::",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:93.184.216.34",  # mapped addresses are refused outright
        "fe80::1%eth0",
        "fc00::1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    ],
)
def test_refusal__special_addresses_are_refused(address: str) -> None:
    # Given the default policy, When an address is checked, Then it is refused with a reason
    assert AddressPolicy().refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "64:ff9b::5db8:d822"])
def test_refusal__global_addresses_pass(address: str) -> None:
    # Given the default policy, When a public address is checked, Then it passes
    assert AddressPolicy().refusal(address) is None


def test_refusal__allow_list_admits_only_its_networks() -> None:
    # Given an allow-list of one loopback address and a LAN
    policy = AddressPolicy.allowing(["127.0.0.1/32", "192.168.0.0/16"])
    # Then those pass, and their neighbours do not
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("192.168.7.7") is None
    assert policy.refusal("127.0.0.2")
    assert policy.refusal("::ffff:127.0.0.1")


def test_fetch__exports_exactly_all() -> None:
    # Given the package's public names
    exported = set(federation.fetch.__all__)
    # Then each exists, and nothing public is left out
    assert all(hasattr(federation.fetch, name) for name in exported)
    public = {
        name
        for name, value in vars(federation.fetch).items()
        if not name.startswith("_") and not isinstance(value, type(federation))
    }
    assert public == exported


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("0.0.0.0", "0.0.0.0 is unspecified"),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("169.254.1.1", "169.254.1.1 is a link-local address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("10.0.0.1", "10.0.0.1 is a private address"),
        ("100.64.0.1", "100.64.0.1 is not a global address"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1 is an IPv4-mapped address"),
        ("64:ff9b:1::1", "64:ff9b:1::1 is a local NAT64 address"),
        (
            "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1 (bits inverted)
            "2001:0:4136:e378:8000:63bf:80ff:fffe embeds 127.0.0.1 is a loopback address",
        ),
        ("2002:7f00:1::", "2002:7f00:1:: embeds 127.0.0.1 is a loopback address"),
        ("64:ff9b::a00:1", "64:ff9b::a00:1 embeds 10.0.0.1 is a private address"),
        ("fe80::1%eth0", "fe80::1 is a link-local address"),
    ],
)
def test_refusal__says_why(address: str, reason: str) -> None:
    assert AddressPolicy().refusal(address) == reason


@pytest.mark.parametrize(
    "address",
    [
        "2001:0:4136:e378:8000:63bf:a247:27dd",  # Teredo around 93.184.216.34
        "2002:5db8:d822::",  # 6to4 around 93.184.216.34
    ],
)
def test_refusal__tunnels_to_global_addresses_pass(address: str) -> None:
    assert AddressPolicy().refusal(address) is None


def test_refusal__takes_address_objects_and_scoped_strings() -> None:
    policy = AddressPolicy.allowing(["fe80::/10"])
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) == "127.0.0.1 is a loopback address"
    assert policy.refusal("fe80::1%eth0") is None
    # An IPv4 allow-list never admits IPv6 addresses, whatever their bits
    assert AddressPolicy.allowing(["0.0.0.0/0"]).refusal("::1") == "::1 is a loopback address"


def test_allowing__takes_a_network_written_with_its_host_bits() -> None:
    # Given an allow-list written as an operator would, a host address with its prefix
    policy = AddressPolicy.allowing(["10.1.2.3/8"])
    # Then it admits the whole network rather than failing the start-up
    assert policy.refusal("10.200.0.1") is None
    assert policy.refusal("172.16.0.1") == "172.16.0.1 is a private address"
