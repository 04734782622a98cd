"""Run pip-audit on a lock file and judge its answer (see scripts/audit).

pip-audit reports a package its service does not answer for as skipped, and exits 0: on a
machine that cannot reach the service, every package is skipped and the run looks clean. This
reads its JSON report and tells the three cases apart: vulnerabilities, nothing known, and
packages that were not checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def main(lock: str) -> int:
    pip_audit = os.environ.get("PIP_AUDIT", str(Path(sys.executable).parent / "pip-audit"))
    command = [
        pip_audit,
        "--requirement",
        lock,
        "--require-hashes",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
        "--format",
        "json",
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    required = os.environ.get("LYCEUM_TEST_REQUIRE_AUDIT", "0") == "1"
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        last = (run.stderr.strip().splitlines() or ["no report"])[-1]
        return not_run(f"pip-audit failed (exit {run.returncode}): {last}", required)
    packages = report.get("dependencies", [])
    vulnerable = [p for p in packages if p.get("vulns")]
    skipped = [p for p in packages if "skip_reason" in p]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            print(f"VULNERABLE {package['name']} {package['version']}: {vuln['id']} ({fixed})")
    if vulnerable:
        print(
            f"{len(vulnerable)} locked package(s) have known vulnerabilities: "
            "scripts/lock --upgrade-package NAME, then commit the lock."
        )
        return 1
    if skipped and len(skipped) == len(packages):
        return not_run(
            f"the vulnerability service answered for none of the {len(packages)} locked "
            f"packages ({skipped[0]['skip_reason']})",
            required,
        )
    for package in skipped:
        print(f"not checked: {package['name']}: {package['skip_reason']}")
    checked = len(packages) - len(skipped)
    print(f"No known vulnerabilities in {checked} locked package(s).")
    return 0


def not_run(reason: str, required: bool) -> int:
    print(f"VULNERABILITY AUDIT NOT RUN: {reason}. Nothing was checked.")
    if required:
        return 1
    print("(LYCEUM_TEST_REQUIRE_AUDIT=1 makes this fail; run scripts/audit where PyPI's API is.)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
