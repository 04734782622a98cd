"""Signing in helper processes: the same signatures as signing here, asked for in one turn of
the event loop and sent to a helper together, and made here when a helper dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from federation.httpsig import CavageAuth, KeyFormatError, Rfc9421Auth, verify_request
from federation.httpsig.signing_processes import SigningProcesses
from tests.federation._httpsig_vectors import (
    ED25519_PRIVATE,
    ED25519_PUBLIC,
    RSA_PRIVATE,
    RSA_PUBLIC,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY_ID = "https://lyceum.example/groups/chess#main-key"
BODY = b'{"type": "Announce"}'
HEADERS = {"Content-Type": "application/activity+json"}
INBOXES = [f"https://peer{n}.example/inbox" for n in range(20)]


@pytest.fixture
async def signing() -> AsyncIterator[SigningProcesses]:
    made = SigningProcesses(1)
    yield made
    await made.aclose()


def _counting_batches(signing: SigningProcesses) -> list[int]:
    sizes: list[int] = []
    send = signing._sign_batch

    async def counted(pem: str, algorithm: str, batch: list) -> None:  # type: ignore[type-arg]
        sizes.append(len(batch))
        await send(pem, algorithm, batch)

    signing._sign_batch = counted  # type: ignore[method-assign]
    return sizes


async def test_signing_processes__sign_as_this_process_does(signing: SigningProcesses) -> None:
    # Given a request signed here, and the same request signed through a helper process
    auth = CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW)
    here = auth.signed_headers("POST", INBOXES[0], BODY, HEADERS)
    there = await auth.signed_headers_by(signing.sign, "POST", INBOXES[0], BODY, HEADERS)

    async def lookup(key_id: str, refresh: bool) -> str | None:
        return RSA_PUBLIC

    # Then the headers are the same (PKCS#1 v1.5 signatures are deterministic) and verify
    assert there == here
    check = await verify_request("POST", INBOXES[0], there.items(), BODY, lookup, now=NOW)
    assert check.ok, check.reason


async def test_signing_processes__rfc9421_signs_here_and_verifies(
    signing: SigningProcesses,
) -> None:
    # Given an RFC 9421 Auth, which does not split its signing
    auth = Rfc9421Auth(KEY_ID, ED25519_PRIVATE, clock=lambda: NOW)
    # When it signs through the helpers' path
    signed = await auth.signed_headers_by(signing.sign, "POST", INBOXES[0], BODY, HEADERS)

    async def lookup(key_id: str, refresh: bool) -> str | None:
        return ED25519_PUBLIC

    # Then the request verifies all the same
    check = await verify_request("POST", INBOXES[0], signed.items(), BODY, lookup, now=NOW)
    assert check.ok, check.reason


async def test_signing_processes__one_turn_is_one_batch(signing: SigningProcesses) -> None:
    # Given twenty deliveries that ask for their signatures in the same turn of the loop
    auth = CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW)
    sizes = _counting_batches(signing)
    signed = await asyncio.gather(
        *(auth.signed_headers_by(signing.sign, "POST", url, BODY, HEADERS) for url in INBOXES)
    )
    # Then the helper got them in one call, and each got its own request's signature
    assert sizes == [len(INBOXES)]
    assert signed == [auth.signed_headers("POST", url, BODY, HEADERS) for url in INBOXES]


async def test_signing_processes__a_dead_helper_costs_no_signature(
    signing: SigningProcesses,
) -> None:
    # Given a pool whose helper process has been killed
    auth = CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW)
    await auth.signed_headers_by(signing.sign, "POST", INBOXES[0], BODY, HEADERS)
    executor = signing._executor
    assert executor is not None
    for pid in list(executor._processes):
        os.kill(pid, signal.SIGKILL)
    # When requests are signed meanwhile, and again after
    during = await asyncio.gather(
        *(auth.signed_headers_by(signing.sign, "POST", url, BODY, HEADERS) for url in INBOXES)
    )
    after = await auth.signed_headers_by(signing.sign, "POST", INBOXES[1], BODY, HEADERS)
    # Then every one was signed, and the next went to a new helper
    assert during == [auth.signed_headers("POST", url, BODY, HEADERS) for url in INBOXES]
    assert after == auth.signed_headers("POST", INBOXES[1], BODY, HEADERS)
    assert signing._executor is not None and signing._executor is not executor


async def test_signing_processes__a_bad_key_fails_its_requests(
    signing: SigningProcesses,
) -> None:
    # Given a key PEM the helper cannot parse
    # When it is asked to sign with it
    # Then the caller gets the key's error, as when signing here
    with pytest.raises(KeyFormatError):
        await signing.sign("not a key", "rsa-v1_5-sha256", b"text")


async def test_signing_processes__none_signs_here() -> None:
    # Given no helper processes
    signing = SigningProcesses(0)
    auth = CavageAuth(KEY_ID, RSA_PRIVATE, clock=lambda: NOW)
    # When a request is signed
    signed = await auth.signed_headers_by(signing.sign, "POST", INBOXES[0], BODY, HEADERS)
    # Then it is signed in this process, with no pool made
    assert signed == auth.signed_headers("POST", INBOXES[0], BODY, HEADERS)
    assert signing._executor is None
    await signing.aclose()


_KILLED_PARENT = """
import asyncio, sys, time
from federation.httpsig.signing_processes import SigningProcesses
from tests.federation._httpsig_vectors import RSA_PRIVATE

async def main():
    signing = SigningProcesses(1)
    await signing.sign(RSA_PRIVATE, "rsa-v1_5-sha256", b"text")
    print(*signing._executor._processes, flush=True)
    sys.stdin.readline()  # until killed

asyncio.run(main())
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_signing_processes__end_with_a_killed_worker() -> None:
    # Given a process whose signing helper is running
    parent = subprocess.Popen(
        [sys.executable, "-c", _KILLED_PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    helpers = [int(pid) for pid in parent.stdout.readline().split()]
    assert helpers and all(_running(pid) for pid in helpers)
    # When that process is killed, with no chance to shut its pool down
    parent.kill()
    parent.wait()
    # Then its helpers end too
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the process table, bounded by the deadline
    assert not any(_running(pid) for pid in helpers)
