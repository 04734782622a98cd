"""The migrations, applied in order, build exactly the schema the models describe: a model change
without its migration (or a hand-written migration that says something else) fails here."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# In a process of its own: the autodetector starts Tortoise apps of its own, beside which the
# suite's own Tortoise setup must not run.
DETECT = textwrap.dedent(
    """
    import asyncio

    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    from server.db import tortoise_config


    async def main() -> None:
        config = tortoise_config("sqlite://:memory:")
        async with tortoise_cli_context(config) as context:
            writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
        for writer in writers:
            print(writer.as_string())


    asyncio.run(main())
    """
)


def test_migrations__describe_every_model_change() -> None:
    result = subprocess.run(
        [sys.executable, "-c", DETECT], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", f"models changed without a migration:\n{result.stdout}"
