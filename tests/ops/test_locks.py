"""The lock files agree with pyproject.toml: edit a dependency without running scripts/lock and
this fails (scripts/setup installs only what the lock holds, so the change would be missing)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent.parent
PINNED = re.compile(r"^([A-Za-z0-9._-]+)(?:\[([^\]]*)\])?==([^ ;\\]+)(?: ;([^\\]*))?")


def locked(name: str) -> dict[str, list[tuple[str, set[str], str]]]:
    """The lock's packages: name -> (version, extras, marker) for each pin."""
    text = (ROOT / "requirements" / name).read_text()
    pins: dict[str, list[tuple[str, set[str], str]]] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    for entry in entries:
        match = PINNED.match(entry)
        if not match:
            continue
        package, extras, version, marker = match.groups()
        assert "--hash=sha256:" in entry, f"{package} is locked without a hash"
        extra_names = {e.strip() for e in (extras or "").split(",") if e.strip()}
        pins.setdefault(canonicalize_name(package), []).append(
            (version, extra_names, (marker or "").strip())
        )
    assert pins, f"requirements/{name} locks nothing"
    return pins


def wanted(*, test: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    if test:
        lines += project["optional-dependencies"]["test"]
    build = (ROOT / "requirements" / "build.in").read_text().splitlines()
    lines += [line for line in build if line.strip() and not line.startswith("#")]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(("lock", "test"), [("app.txt", False), ("test.txt", True)])
def test_every_dependency_is_locked_at_a_version_it_allows(lock: str, test: bool) -> None:
    pins = locked(lock)
    environment = {"python_version": "3.11", "python_full_version": "3.11.7"}
    for requirement in wanted(test=test):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/{lock}: run scripts/lock"
        for version, extras, marker in pins[name]:
            if marker and not Requirement(f"x ; {marker}").marker.evaluate(environment):  # type: ignore[union-attr]
                continue
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} locks {name}=={version}, outside {requirement}: "
                "run scripts/lock"
            )
            assert requirement.extras <= extras, f"{requirement}: extras not locked"


def test_the_server_runs_the_versions_it_was_tested_with() -> None:
    app, test = locked("app.txt"), locked("test.txt")
    assert set(app) <= set(test)
    for name, pins in app.items():
        versions = {version for version, _, _ in pins}
        assert versions == {version for version, _, _ in test[name]}, name
