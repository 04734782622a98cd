"""Starting the receiver fleet (`bench._receiver`) from a benchmark, and reading its counts."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Fleet:
    process: subprocess.Popen[str]
    inboxes: list[str]
    control: str  # base URL of /reset, /stats, /received

    async def reset(self, client: httpx.AsyncClient) -> None:
        (await client.post(f"{self.control}/reset")).raise_for_status()

    async def stats(self, client: httpx.AsyncClient, at_least: int = 0) -> dict[str, float]:
        """The receiver's counts, once `at_least` deliveries are verified (or after a second)."""
        answer = await client.get(f"{self.control}/stats", params={"at_least": at_least})
        answer.raise_for_status()
        return {str(name): float(value) for name, value in answer.json().items()}

    async def received(self, client: httpx.AsyncClient) -> dict[str, int]:
        answer = await client.get(f"{self.control}/received")
        return {str(inbox): int(count) for inbox, count in answer.json().items()}

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def start_fleet(public_pem: str, inboxes: int, workdir: Path) -> Fleet:
    """One receiver process with `inboxes` inboxes, each on its own loopback address."""
    key_file = workdir / "signer.pub"
    key_file.write_text(public_pem)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._receiver", str(key_file), str(inboxes)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    urls: list[str] = []
    control = ""
    for line in process.stdout:
        kind, _, value = line.strip().partition(" ")
        if kind == "INBOX":
            urls.append(value)
        elif kind == "CONTROL":
            control = value
        elif kind == "READY":
            return Fleet(process, urls, control)
    raise RuntimeError("the receiver fleet did not start")
