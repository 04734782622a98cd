"""deploy/roll replaces a compose service's containers new-first, against a stand-in `docker`
that can be told to never get healthy (tests/stack rolls a real stack): it starts as many new
containers as run, waits for their health, then stops and removes only the old ones; if the new
ones never get healthy it stops nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent.parent

# A `docker` that keeps its containers in a JSON file and logs every call.
FAKE_DOCKER = r"""
import json, sys
state_file, args = sys.argv[1], sys.argv[2:]
state = json.load(open(state_file))
state["calls"].append(args)
running = state["containers"]
if args[:3] == ["compose", "ps", "--quiet"]:
    print("\n".join(c["id"] for c in running if c["service"] == args[3]))
elif args[:2] == ["compose", "up"]:
    service = args[-1]
    wanted = int(next(a for a in args if a.startswith(service + "=")).split("=")[1])
    mine = [c for c in running if c["service"] == service]
    for n in range(len(mine), wanted):
        running.append({"id": f"new{n}", "service": service, "checks": 0})
elif args[0] == "inspect":
    container = next(c for c in running if c["id"] == args[-1])
    container["checks"] += 1
    healthy = state["healthy_after"] is not None and container["checks"] > state["healthy_after"]
    print("healthy" if healthy else "starting")
elif args[0] in ("stop", "rm"):
    ids = [a for a in args[1:] if not a.startswith("--") and not a.isdigit()]
    if args[0] == "rm":
        state["containers"] = [c for c in running if c["id"] not in ids]
    state.setdefault(args[0] + "ped", []).extend(ids)
json.dump(state, open(state_file, "w"))
"""


def roll(
    tmp_path: Path, healthy_after: int | None, timeout: str = "30"
) -> tuple[int, dict[str, Any]]:
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "containers": [
                    {"id": "old0", "service": "web", "checks": 0},
                    {"id": "old1", "service": "web", "checks": 0},
                    {"id": "db0", "service": "db", "checks": 0},
                ],
                "calls": [],
                "healthy_after": healthy_after,
            }
        )
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "fake_docker.py").write_text(FAKE_DOCKER)
    docker = bin_dir / "docker"
    docker.write_text(
        f'#!/bin/sh\nexec {sys.executable} {bin_dir / "fake_docker.py"} {state} "$@"\n'
    )
    docker.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ROLL_TIMEOUT": timeout}
    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "roll"), "web"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, json.loads(state.read_text())


def test_new_containers_first_then_the_old_ones_go(tmp_path: Path) -> None:
    code, state = roll(tmp_path, healthy_after=1)
    assert code == 0
    up = next(call for call in state["calls"] if call[:2] == ["compose", "up"])
    assert "--no-recreate" in up and "web=4" in up
    assert sorted(state["stopped"]) == ["old0", "old1"]
    assert sorted(state["rmped"]) == ["old0", "old1"]
    assert sorted(c["id"] for c in state["containers"]) == ["db0", "new2", "new3"]
    # The old ones were stopped only after every new one was seen healthy
    calls = [call[0] if call[0] != "compose" else call[1] for call in state["calls"]]
    assert calls.index("stop") > max(i for i, c in enumerate(calls) if c == "inspect")


def test_nothing_is_stopped_when_the_new_ones_never_get_healthy(tmp_path: Path) -> None:
    code, state = roll(tmp_path, healthy_after=None, timeout="0")
    assert code == 1
    assert "stopped" not in state
    assert {"old0", "old1"} <= {c["id"] for c in state["containers"]}
