"""What `lyceum serve` asks of uvicorn (server/cli.py), without starting it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from server import cli
from tests.cli_processes import SQLITE_PASS_ONLY, cli_environment, run_cli

pytestmark = SQLITE_PASS_ONLY


@pytest.fixture
def served_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`lyceum serve` on a migrated data directory at a log level; the options uvicorn got."""
    data_dir = tmp_path / "data"
    migrated = run_cli(cli_environment(data_dir), "migrate")
    assert migrated.returncode == 0, migrated.stderr

    def serve(level: str) -> dict[str, Any]:
        for name in [n for n in os.environ if n.startswith("LYCEUM_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("LYCEUM_DATA_DIR", str(data_dir))
        monkeypatch.setenv("LYCEUM_BASE_URL", "http://127.0.0.1:8123")
        monkeypatch.setenv("LYCEUM_LOG_LEVEL", level)
        monkeypatch.setattr(cli, "configure_logging", lambda *_: None)
        options: dict[str, Any] = {}
        monkeypatch.setattr(uvicorn, "run", lambda *_, **kwargs: options.update(kwargs))
        result = CliRunner().invoke(cli.main, ["serve", "--port", "8123"])
        assert result.exit_code == 0, result.output
        return options

    return serve


def test_serve__writes_an_access_line_per_request_only_at_debug(served_with: Any) -> None:
    assert served_with("info")["access_log"] is False
    assert served_with("debug")["access_log"] is True
