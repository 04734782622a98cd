"""compose.yaml, deploy/ and the Dockerfile hold together, read without a Docker engine (the
stack itself is started and used in tests/stack).

What is checked: the services and their order (migrate once, then web and workers), that every
LYCEUM_* variable the file sets is a setting and that the values it gives validate, that each
command is one the CLI accepts, that the Dockerfile copies files that exist and are not
excluded from the build context, and that Caddy proxies to the port the web processes serve on.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from server.cli import main as lyceum_cli
from server.settings import Settings
from tests.env_example import env_example

ROOT = Path(__file__).parent.parent.parent
LYCEUM_SERVICES = ("migrate", "web", "worker")
VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def example_env() -> dict[str, str]:
    """deploy/env.example as a newcomer fills it in: the secrets and the domain given."""
    return {**env_example(), "POSTGRES_PASSWORD": "a-password", "LYCEUM_SECRET_KEY": "a-secret"}


def interpolate(value: object, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}`, as `docker compose` reads them."""

    def one(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        given = env.get(name, "")
        if given:
            return given
        assert kind != "?", f"{name} is required but deploy/env.example leaves it empty"
        return default or ""

    return VARIABLE.sub(one, str(value))


def test_the_services_of_the_production_layout(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "caddy"}
    assert services["db"]["image"].startswith("postgres:")
    assert "healthcheck" in services["db"]
    # migrate is a one-shot, after the database is up; web and workers wait for it to succeed
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        waits_for = services[name]["depends_on"]
        assert waits_for["migrate"]["condition"] == "service_completed_successfully"
        assert waits_for["db"]["condition"] == "service_healthy"
        assert int(interpolate(services[name]["deploy"]["replicas"], example_env())) >= 2
        # the web processes run no embedded worker: the worker service does that work
        assert services[name]["environment"]["LYCEUM_EMBEDDED_WORKER"] == "false"
    # Caddy is the only service reachable from outside, on 80 and 443
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"caddy"}
    assert any("Caddyfile" in volume for volume in services["caddy"]["volumes"])


def test_every_lyceum_variable_is_a_setting_and_validates(compose: dict[str, Any]) -> None:
    env = example_env()
    for name in LYCEUM_SERVICES:
        environment = compose["services"][name]["environment"]
        unknown = [
            v for v in environment if f"{v[len('LYCEUM_') :].lower()}" not in Settings.model_fields
        ]
        assert not unknown, f"{name} sets variables that are no setting: {unknown}"
        given = {
            key[len("LYCEUM_") :].lower(): interpolate(value, env)
            for key, value in environment.items()
        }
        settings = Settings(**given)  # raises on a value the setting refuses
        assert settings.base_url == f"https://{env['DOMAIN']}"
        assert settings.resolved_database_url.startswith("postgres://lyceum:a-password@db:5432/")
        assert settings.rate_limit_storage.startswith("redis://redis:")
        assert not settings.embedded_worker


def test_every_command_is_one_the_cli_accepts(compose: dict[str, Any]) -> None:
    commands = {name: compose["services"][name]["command"] for name in LYCEUM_SERVICES}
    dockerfile_cmd = re.search(r'^CMD \["sh", "-c", "(.*)"\]$', dockerfile(), re.M)
    assert dockerfile_cmd
    for step in dockerfile_cmd.group(1).replace("exec ", "").split(" && "):
        commands[f"Dockerfile: {step}"] = shlex.split(step)
    for where, command in commands.items():
        assert command[0] == "lyceum", where
        context = lyceum_cli.make_context("lyceum", list(command[1:2]))
        subcommand = lyceum_cli.get_command(context, command[1])
        assert isinstance(subcommand, click.Command), f"{where}: no command {command[1]!r}"
        subcommand.make_context(command[1], list(command[2:]))  # raises on a bad option
    assert commands["migrate"][1] == "migrate"
    assert commands["web"][1] == "serve"
    assert commands["worker"][1] == "worker"


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_the_dockerfile_copies_files_that_exist_and_are_in_the_build_context() -> None:
    ignored = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = []
    for line in dockerfile().splitlines():
        if line.startswith("COPY "):
            copied += line.split()[1:-1]
    assert "requirements/app.txt" in copied  # the lock, installed with --require-hashes
    assert "--require-hashes" in dockerfile()
    for source in copied:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is missing"
        assert not any(source == i or source.startswith(i + "/") for i in ignored), source
    # Everything the package needs is copied: each package pyproject.toml installs
    for package in ("server", "federation", "web", "migrations"):
        assert package in copied


def test_caddy_proxies_to_the_web_service_on_its_port(compose: dict[str, Any]) -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    web = compose["services"]["web"]["command"]
    port = web[web.index("--port") + 1]
    assert re.search(r"name web\s+port " + port + r"\b", caddyfile)
    assert "{$DOMAIN}" in caddyfile
    assert compose["services"]["caddy"]["environment"]["DOMAIN"].startswith("${DOMAIN")


async def test_rate_limits_in_redis_are_shared_between_processes() -> None:
    # compose.yaml keeps the counters in Redis: N web processes must not allow N times the
    # log-in attempts. Two limiters stand for two processes (the machine's Redis, if any).
    import secrets
    import socket

    from server.ratelimit import RateLimits
    from server.services.errors import RateLimited

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 6379)) != 0:
            pytest.skip("no Redis on 127.0.0.1:6379")
    first, second = RateLimits("redis://127.0.0.1:6379"), RateLimits("redis://127.0.0.1:6379")
    key = f"test-{secrets.token_hex(8)}"
    await first.hit("1/minute", "login", key, message="slow down")
    with pytest.raises(RateLimited):
        await second.hit("1/minute", "login", key, message="slow down")
    await first.clear("1/minute", "login", key)


def test_the_caddyfile_is_valid() -> None:
    # Caddy's own parser, where it is installed (Debian's `caddy` package); the image compose
    # runs is Caddy 2 too.
    import os
    import shutil
    import subprocess

    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (apt-get install caddy)")
    checked = subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", "deploy/Caddyfile"],
        env={**os.environ, "DOMAIN": example_env()["DOMAIN"]},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "Valid configuration" in checked.stdout + checked.stderr


def test_the_image_health_check_asks_healthz_with_valid_python() -> None:
    import json

    from server import health

    found = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", dockerfile(), re.M)
    assert found, "the Dockerfile has no HEALTHCHECK in exec form"
    command = json.loads(found.group(1))
    assert command[:2] == ["python", "-c"]
    compile(command[2], "HEALTHCHECK", "exec")  # raises on a syntax error
    assert "/healthz" in command[2]
    assert "/healthz" in [route.path for route in health.routes]


def test_the_worker_health_check_asks_the_worker_page_with_valid_python(
    compose: dict[str, Any],
) -> None:
    from server.cli import metrics_server

    worker = compose["services"]["worker"]
    command = worker["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    compile(command[3], "healthcheck", "exec")  # raises on a syntax error
    port = compose["x-lyceum"]["environment"]["LYCEUM_WORKER_METRICS_PORT"]
    assert f"http://127.0.0.1:{port}/healthz" in command[3]
    page = metrics_server(Settings(worker_metrics_port=int(port)))
    assert "/healthz" in [route.path for route in page.config.app.routes]
