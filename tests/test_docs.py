"""The README documents every setting, and the code keeps the dependency rule."""

from __future__ import annotations

import ast
from pathlib import Path

from server.settings import Settings

ROOT = Path(__file__).parent.parent


def test_readme__lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"LYCEUM_{name.upper()}"
        for name in Settings.model_fields
        if f"LYCEUM_{name.upper()}" not in readme
    ]
    assert not missing, f"README.md does not document: {', '.join(missing)}"


def test_readme__every_documented_setting_exists() -> None:
    import re

    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`(LYCEUM_[A-Z_]+)`", readme))
    known = {f"LYCEUM_{name.upper()}" for name in Settings.model_fields}
    test_only = {
        "LYCEUM_TEST_DATABASE",
        "LYCEUM_TEST_POSTGRES_URL",
        "LYCEUM_TEST_SKIP_POSTGRES",
        "LYCEUM_TEST_REQUIRE_AUDIT",
    }
    assert documented - known - test_only == set()


def test_domain__imports_neither_adapter() -> None:
    # Given every module of the domain (everything in server/ but the assembly and the CLI)
    offenders = []
    for path in (ROOT / "server").rglob("*.py"):
        if path.name in ("app.py", "assembly.py", "cli.py"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)} imports {name}"
                for name in names
                if name.split(".")[0] in ("web", "federation")
            ]
    # Then none imports web or federation
    assert not offenders, offenders
