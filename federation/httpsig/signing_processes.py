"""Private-key operations in helper processes, so that a delivery worker uses more than one core.

    signing = SigningProcesses(1)
    raw = await signing.sign(private_key_pem, algorithm, data)   # the signature's bytes
    await signing.aclose()

cryptography holds the GIL while it signs (two threads sign no faster than one), and an
RSA-2048 signature costs about 0.2 ms, a third of a delivery's CPU: signed in the worker's own
process, signing caps a fan-out at what one core can do however many cores the machine has
(`bench.fanout`, the embedded worker on SQLite). Here the signatures asked for in one turn of
the event loop (a fan-out starts its deliveries in groups) go to a helper process together, as
one call: a call costs the caller about 0.15 ms of pickling and thread hand-offs, so one call
per signature would cost what signing does.

The helpers are stdlib `ProcessPoolExecutor` processes, spawned (forking a process that runs
threads is unsafe) on first use; a key reaches them as its PEM and is parsed once in each
(`keys` caches it), and a helper ends with the process that started it, killed or not. Should
the pool break (a helper killed), the batch is signed in this process and a new pool is made
for the next: a delivery never fails for it. `SigningProcesses(0)` signs in the caller's
thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from federation.httpsig import _algorithms
from federation.httpsig.keys import load_private_key

__all__ = ["SigningProcesses", "sign_all"]

log = logging.getLogger("lyceum.federation")

MAX_BATCH = 64  # signatures in one call: a few milliseconds of a helper's time


def _leave_with_parent() -> None:
    """A helper's initializer: end the helper when the process that started it ends, killed
    or not (a killed worker's pool never shuts its helpers down)."""

    def watch() -> None:
        parent = multiprocessing.parent_process()
        if parent is not None:
            parent.join()  # returns when the parent's end of a pipe closes: when it ends
            os._exit(0)

    threading.Thread(target=watch, name="leave-with-parent", daemon=True).start()


def sign_all(private_key_pem: str, algorithm: str, data: list[bytes]) -> list[bytes]:
    """Sign each of `data` (what a helper process runs)."""
    key = load_private_key(private_key_pem)
    return [_algorithms.sign(algorithm, key, item) for item in data]


_Request = tuple[bytes, "asyncio.Future[bytes]"]


class SigningProcesses:
    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._waiting: dict[tuple[str, str], list[_Request]] = {}
        self._batches: set[asyncio.Task[None]] = set()

    async def sign(self, private_key_pem: str, algorithm: str, data: bytes) -> bytes:
        """The signature of `data` by the key, made in a helper process."""
        if self.processes <= 0:
            return _algorithms.sign(algorithm, load_private_key(private_key_pem), data)
        loop = asyncio.get_running_loop()
        signed: asyncio.Future[bytes] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._send_waiting)  # after the others of this turn asked too
        self._waiting.setdefault((private_key_pem, algorithm), []).append((data, signed))
        return await signed

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for (pem, algorithm), requests in waiting.items():
            for start in range(0, len(requests), MAX_BATCH):
                batch = requests[start : start + MAX_BATCH]
                task = asyncio.ensure_future(self._sign_batch(pem, algorithm, batch))
                self._batches.add(task)
                task.add_done_callback(self._batches.discard)

    async def _sign_batch(self, pem: str, algorithm: str, batch: list[_Request]) -> None:
        data = [item for item, _ in batch]
        try:
            try:
                signatures = await asyncio.get_running_loop().run_in_executor(
                    self._pool(), sign_all, pem, algorithm, data
                )
            except BrokenProcessPool:
                log.warning("a signing process died; signing %d requests here", len(data))
                self._drop_pool()
                signatures = sign_all(pem, algorithm, data)
        except asyncio.CancelledError:
            for _, signed in batch:
                signed.cancel()
            raise
        except Exception as error:  # a bad key: each of its requests learns it
            for _, signed in batch:
                if not signed.done():
                    signed.set_exception(error)
            return
        for (_, signed), signature in zip(batch, signatures, strict=True):
            if not signed.done():
                signed.set_result(signature)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_leave_with_parent,
            )
        return self._executor

    def _drop_pool(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def aclose(self) -> None:
        """Stop the helper processes (waiting for them in a thread, not in the loop)."""
        for task in list(self._batches):
            task.cancel()
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
