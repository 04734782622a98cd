"""scripts/audit tells a clean audit from one that could not run, and fails on a vulnerability.

pip-audit itself is replaced by a script that prints a canned JSON report, so these tests need
no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent


def audit(
    tmp_path: Path, report: object, *, require: bool = False
) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "pip-audit"
    fake.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(report))})\n")
    fake.chmod(0o755)
    env = {**os.environ, "PIP_AUDIT": str(fake), "LYCEUM_TEST_REQUIRE_AUDIT": str(int(require))}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_lock.py"), "requirements/test.txt"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_a_known_vulnerability_fails_the_audit(tmp_path: Path) -> None:
    report = {
        "dependencies": [
            {"name": "httpx", "version": "0.28.1", "vulns": []},
            {
                "name": "jinja2",
                "version": "3.1.0",
                "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.1.6"], "description": ""}],
            },
        ]
    }
    run = audit(tmp_path, report)
    assert run.returncode == 1
    assert "VULNERABLE jinja2 3.1.0: GHSA-xxxx (3.1.6)" in run.stdout


def test_no_known_vulnerability_passes(tmp_path: Path) -> None:
    report = {"dependencies": [{"name": "httpx", "version": "0.28.1", "vulns": []}]}
    run = audit(tmp_path, report, require=True)
    assert run.returncode == 0
    assert "No known vulnerabilities in 1 locked package(s)." in run.stdout


@pytest.mark.parametrize("require", [False, True])
def test_an_unreachable_service_is_said_and_fails_when_required(
    tmp_path: Path, require: bool
) -> None:
    skipped = {"name": "httpx", "version": "0.28.1", "skip_reason": "Dependency not found on PyPI"}
    run = audit(tmp_path, {"dependencies": [skipped]}, require=require)
    assert "VULNERABILITY AUDIT NOT RUN" in run.stdout
    assert run.returncode == (1 if require else 0)


def test_a_crashed_pip_audit_is_not_a_clean_audit(tmp_path: Path) -> None:
    run = audit(tmp_path, "not a report", require=True)
    assert "VULNERABILITY AUDIT NOT RUN" in run.stdout
    assert run.returncode == 1
