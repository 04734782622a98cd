"""`lyceum worker` with LYCEUM_WORKER_METRICS_PORT serves /metrics (behind the token) and /healthz
(compose.yaml's health check of a worker) while it works, and stops them with itself on SIGTERM.
A real process on its own SQLite data directory."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli_processes import (
    LYCEUM,
    ROOT,
    SQLITE_PASS_ONLY,
    cli_environment,
    free_port,
    run_cli,
)

TOKEN = "worker-scrape-" + "t" * 24

pytestmark = SQLITE_PASS_ONLY


def test_the_worker_serves_its_metrics_and_stops_with_them(tmp_path: Path) -> None:
    port = free_port()
    env = cli_environment(
        tmp_path / "data", LYCEUM_METRICS_TOKEN=TOKEN, LYCEUM_WORKER_METRICS_PORT=str(port)
    )
    assert run_cli(env, "migrate").returncode == 0
    worker = subprocess.Popen([*LYCEUM, "worker"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
                break
            except httpx.TransportError:
                assert worker.poll() is None, "the worker exited"
                assert time.monotonic() < deadline, "no metrics page in time"
                time.sleep(0.2)
        assert page.status_code == 200
        assert 'lyceum_delivery_attempts_total{outcome="done"} 0.0' in page.text
        assert 'lyceum_deliveries{state="queued"} 0.0' in page.text
        assert httpx.get(url, timeout=5).status_code == 401
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert (health.status_code, health.text) == (200, "ok\n")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=5)
