"""compose.yaml started on a Docker engine as the README tells a newcomer, and used.

`.env` is deploy/env.example with its domain and secrets filled in, given to `docker compose` as
the environment (deploy/roll runs plain `docker compose`, which reads it from there). The stack
is the file's own: PostgreSQL, Redis, the one-shot `lyceum migrate`, two web containers of two
processes, two `lyceum worker`s and Caddy with TLS in front. tests/stack/compose.test.yaml only
moves Caddy to free loopback ports, tags the image for the test and adds a second Lyceum, the
`peer`, which reaches the instance through Caddy as any server on the internet would.

Requests from here go to Caddy over TLS, naming DOMAIN (SNI and Host) and checking its
certificate against Caddy's own local CA, since DOMAIN (lyceum.localhost) is not resolvable here.

scripts/test runs this module in its last phase, after tests/stack/prepare made a Docker
engine answer (LYCEUM_TEST_COMPOSE_STACK=1); elsewhere it is skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.env_example import env_example
from tests.live import flows
from tests.live.harness import PASSWORD, LiveError, Person, log_in, poll, unique

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "lyceum.localhost"
ADMIN = "operator"
GROUP = "physics"
CADDY_ROOT_IN_CONTAINER = "/data/caddy/pki/authorities/local/root.crt"
COMPOSE_SECONDS = 600  # a build that installs the locked packages, on a busy machine
STEP_SECONDS = 180

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("LYCEUM_TEST_COMPOSE_STACK") != "1",
        reason="starts compose.yaml on a Docker engine: scripts/test's last phase runs it, after "
        "tests/stack/prepare (LYCEUM_TEST_COMPOSE_STACK=1)",
    ),
    pytest.mark.timeout(1200),
]


@dataclass
class Stack:
    """One compose project of compose.yaml (and the test's overlay), driven like an operator."""

    project: str
    env: dict[str, str]
    caddy_root: Path

    @property
    def name(self) -> str:  # a `Site` for the people logged in on it
        return f"the stack {self.project}"

    def handle(self, name: str) -> str:
        return f"@{name}@{DOMAIN}"

    def run(self, *command: str, stdin: bytes = b"", timeout: float = STEP_SECONDS) -> bytes:
        """A command in the checkout with the stack's environment; its output, or a failure
        quoting its errors."""
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise LiveError(
                f"`{' '.join(command)}` exited {done.returncode}:\n"
                + done.stderr.decode(errors="replace")[-3000:]
            )
        return done.stdout

    def compose(self, *args: str, stdin: bytes = b"", timeout: float = STEP_SECONDS) -> bytes:
        """`docker compose ARGS`."""
        return self.run("docker", "compose", *args, stdin=stdin, timeout=timeout)

    def lyceum(self, service: str, *args: str, stdin: str = "") -> str:
        """`lyceum ARGS` in the service's (first) container, as `docker compose exec -T`."""
        return self.compose("exec", "-T", service, "lyceum", *args, stdin=stdin.encode()).decode()

    def port(self, service: str, private: int) -> int:
        published = self.compose("port", service, str(private)).decode().strip()
        return int(published.rsplit(":", 1)[1])

    def containers(self) -> list[dict[str, Any]]:
        lines = self.compose("ps", "--all", "--format", "json").decode().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def https_client(self) -> httpx.AsyncClient:
        """A browser-like client of https://DOMAIN, reaching Caddy's published port."""

        async def name_the_domain(request: httpx.Request) -> None:
            request.extensions["sni_hostname"] = DOMAIN

        return httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{self.port('caddy', 443)}",
            headers={"Host": DOMAIN, "Accept": "text/html"},
            verify=ssl.create_default_context(cafile=self.caddy_root),
            event_hooks={"request": [name_the_domain]},
            timeout=10.0,
        )

    def logs(self) -> str:
        return self.compose("--profile", "peer", "logs", "--no-color", "--tail", "30").decode(
            errors="replace"
        )

    def down(self) -> None:
        self.compose("--profile", "peer", "down", "--volumes", "--timeout", "10")


@dataclass
class Peer:
    """The overlay's second Lyceum, reached on its published port (it calls itself peer:8000)."""

    stack: Stack
    name: str = "the peer"

    def handle(self, name: str) -> str:
        return f"@{name}@peer:8000"

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.stack.port('peer', 8000)}",
            headers={"Host": "peer:8000", "Accept": "text/html"},
            timeout=10.0,
        )


def example_environment(project: str, caddy_root: Path) -> dict[str, str]:
    """deploy/env.example as a newcomer fills it in, and the overlay's settings."""
    values = env_example()
    values.update(
        DOMAIN=DOMAIN,
        POSTGRES_PASSWORD=secrets.token_urlsafe(24),
        LYCEUM_SECRET_KEY=secrets.token_urlsafe(36),
        LYCEUM_METRICS_TOKEN=secrets.token_urlsafe(24),
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LYCEUM_", "COMPOSE"))}
    return {
        **environment,
        **values,
        "COMPOSE_PROJECT_NAME": project,
        "COMPOSE_FILE": "compose.yaml:tests/stack/compose.test.yaml",
        "STACK_CADDY_ROOT": str(caddy_root),
    }


def start(stack: Stack, *services: str) -> None:
    """`docker compose up --detach --wait`: every container started healthy (or, for a
    one-shot, exited 0), then Caddy's local CA saved where the clients and the peer read it."""
    stack.compose("up", "--detach", "--wait", *services, timeout=COMPOSE_SECONDS)
    if services and "caddy" not in services:
        return
    deadline = time.monotonic() + STEP_SECONDS
    while True:  # Caddy makes its CA and DOMAIN's certificate just after it starts
        try:
            root = stack.compose("exec", "-T", "caddy", "cat", CADDY_ROOT_IN_CONTAINER)
        except LiveError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)  # polling another process, bounded by the deadline above
        else:
            stack.caddy_root.write_bytes(root)
            return


def new_stack(root: Path, name: str) -> Stack:
    project = f"lyceum-test-{name}-{secrets.token_hex(3)}"
    caddy_root = root / f"{project}-caddy-root.crt"
    return Stack(project, example_environment(project, caddy_root), caddy_root)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack built and up, an admin made with the CLI as the README says, a group of theirs,
    and the peer up with an account of its own."""
    stack = new_stack(tmp_path_factory.mktemp("stack"), "a")
    try:
        stack.compose("build", timeout=COMPOSE_SECONDS)
        start(stack)
        stack.lyceum(
            "web",
            "user",
            "create",
            ADMIN,
            "operator@example.org",
            "--admin",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        stack.lyceum("web", "group", "create", GROUP, "Physics", "--owner", ADMIN)
        stack.compose("up", "--detach", "--wait", "peer", timeout=COMPOSE_SECONDS)
        stack.lyceum(
            "peer",
            "user",
            "create",
            "alice",
            "alice@example.org",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.down()


@pytest.fixture
async def people(stack: Stack) -> AsyncIterator[tuple[Person, Person]]:
    """The stack's admin logged in through Caddy, and Alice on the peer."""
    peer = Peer(stack)
    admin = await log_in(stack, stack.https_client(), ADMIN)
    alice = await log_in(peer, peer.client(), "alice")
    yield admin, alice
    await admin.aclose()
    await alice.aclose()


def test_compose__every_service_is_up_and_healthy_behind_caddy(stack: Stack) -> None:
    # Given the stack as `docker compose up` left it
    states = {}
    for container in stack.containers():
        states.setdefault(container["Service"], []).append(
            (container["State"], container["Health"], container["ExitCode"])
        )
    # Then migrate ran once and exited 0, and everything else runs, healthy where it has a check
    assert states.pop("migrate") == [("exited", "", 0)]
    assert states.pop("caddy") == [("running", "", 0)]
    assert states.pop("peer") == [("running", "healthy", 0)]
    assert states == {
        "db": [("running", "healthy", 0)],
        "redis": [("running", "healthy", 0)],
        "web": [("running", "healthy", 0)] * 2,
        "worker": [("running", "healthy", 0)] * 2,
    }
    # And the web containers and workers log JSON lines, as deploy/env.example sets
    for container in stack.containers():
        if container["Service"] not in ("web", "worker"):
            continue
        # (`docker logs` writes what the container wrote to stderr, the log, on its stderr)
        lines = stack.run("sh", "-c", 'docker logs "$0" 2>&1', container["Name"]).splitlines()
        assert lines, f"{container['Name']} logged nothing"
        for line in lines:
            assert line.startswith(b"{"), f"{container['Name']} logged {line[:200]!r}"
            assert json.loads(line)["message"]


async def test_compose__caddy_serves_https_and_the_metrics_behind_their_token(
    stack: Stack,
) -> None:
    # When the instance is asked over HTTPS (the certificate checked against Caddy's CA)
    async with stack.https_client() as client:
        ready = await client.get("/readyz")
        group = await client.get(f"/g/{GROUP}", headers={"Accept": "application/activity+json"})
        metrics = await client.get(
            "/metrics", headers={"Authorization": f"Bearer {stack.env['LYCEUM_METRICS_TOKEN']}"}
        )
        anonymous_metrics = await client.get("/metrics")
    # Then it is ready, its group's actor names the public https address
    assert (ready.status_code, ready.json()) == (200, {"ready": True})
    assert group.json()["id"] == f"https://{DOMAIN}/g/{GROUP}"
    # And the web metrics need the token
    assert metrics.status_code == 200
    assert "lyceum_deliveries{" in metrics.text
    assert anonymous_metrics.status_code == 401
    # And plain http is sent to https
    async with httpx.AsyncClient(headers={"Host": DOMAIN}) as client:
        plain = await client.get(f"http://127.0.0.1:{stack.port('caddy', 80)}/groups")
    assert (plain.status_code, plain.headers["location"]) == (308, f"https://{DOMAIN}/groups")


def test_compose__each_worker_serves_its_metrics(stack: Stack) -> None:
    token = stack.env["LYCEUM_METRICS_TOKEN"]
    fetch = (
        "import sys, urllib.request; print(urllib.request.urlopen(urllib.request.Request("
        "'http://127.0.0.1:9100/metrics', headers={'Authorization': 'Bearer ' + sys.argv[1]}),"
        " timeout=5).read().decode())"
    )
    workers = [c["Name"] for c in stack.containers() if c["Service"] == "worker"]
    assert len(workers) == 2
    for name in workers:
        page = stack.run("docker", "exec", name, "python", "-c", fetch, token).decode()
        assert "lyceum_delivery_attempts_total" in page


async def test_compose__a_member_on_another_server_joins_and_posts_go_both_ways(
    stack: Stack, people: tuple[Person, Person]
) -> None:
    admin, alice = people
    # Given Alice on the peer, who finds the group by its handle and joins it
    path = await flows.find_group(alice, stack.handle(GROUP))
    await flows.join(alice, path)
    # Then the instance's worker accepts her follow: the peer shows her as a member
    await poll(
        lambda: _standing_is(alice, path, "member"), what="Alice's join accepted by the stack"
    )

    # When she starts a thread from the peer
    hers = unique("From the peer ")
    await flows.write_post(alice, path, hers, unique("Question "))
    # Then the instance lists it on the group's page, served through Caddy
    await poll(
        lambda: flows.thread_link(admin, f"/g/{GROUP}", hers), what="Alice's thread on the stack"
    )

    # When the admin starts one on the instance, through Caddy
    ours = unique("From the stack ")
    await flows.write_post(admin, f"/g/{GROUP}", ours, unique("Notes "))
    # Then a worker delivers it to the peer, which lists it in the group
    await poll(lambda: flows.thread_link(alice, path, ours), what="the stack's thread on the peer")


async def _standing_is(person: Person, path: str, wanted: str) -> bool:
    return await flows.standing(person, path) == wanted


async def test_compose__an_upgrade_migrates_once_then_rolls_every_container_while_serving(
    stack: Stack,
) -> None:
    # Given a client that keeps asking for a page through Caddy
    before = {c["ID"] for c in stack.containers() if c["Service"] in ("web", "worker")}
    answers: list[int] = []
    rolled = asyncio.Event()

    async def keep_asking() -> None:
        async with stack.https_client() as client:
            while not rolled.is_set():
                try:
                    answers.append((await client.get("/groups")).status_code)
                except httpx.TransportError:
                    answers.append(0)

    asking = asyncio.create_task(keep_asking())
    try:
        # When the README's upgrade runs: the image built, `lyceum migrate` once, then
        # deploy/roll replacing the web containers, then the workers
        await asyncio.to_thread(stack.compose, "build", timeout=COMPOSE_SECONDS)
        migrated = await asyncio.to_thread(
            stack.compose, "run", "--rm", "migrate", timeout=COMPOSE_SECONDS
        )
        assert b"The database is up to date." in migrated
        for service in ("web", "worker"):
            await asyncio.to_thread(
                stack.run, "bash", "deploy/roll", service, timeout=COMPOSE_SECONDS
            )
    finally:
        rolled.set()
        await asking
    # Then every request was answered, and two new containers of each run, healthy
    assert answers
    assert set(answers) == {200}, f"{len(answers)} requests, answered {sorted(set(answers))}"
    after = [c for c in stack.containers() if c["Service"] in ("web", "worker")]
    assert sorted(c["Service"] for c in after) == ["web", "web", "worker", "worker"]
    assert before.isdisjoint(c["ID"] for c in after)
    assert {c["Health"] for c in after} == {"healthy"}


async def test_compose__a_backup_restores_into_a_fresh_stack_with_the_same_keys(
    stack: Stack, tmp_path: Path
) -> None:
    # Given a backup taken from a running web container, as the README says
    backup = stack.compose("exec", "-T", "web", "lyceum", "backup", "-")
    # When it is restored into a new project (new database and data volumes, same secrets)
    fresh = new_stack(tmp_path, "b")
    fresh.env.update({k: stack.env[k] for k in ("POSTGRES_PASSWORD", "LYCEUM_SECRET_KEY")})
    try:
        start(fresh, "db", "redis")
        fresh.compose(
            "run",
            "--rm",
            "-T",
            "--no-deps",
            "migrate",
            "lyceum",
            "restore",
            "-",
            stdin=backup,
            timeout=COMPOSE_SECONDS,
        )
        start(fresh)
        # Then it serves the same group and admin, with the same keys
        for path in (f"/g/{GROUP}", f"/u/{ADMIN}"):
            documents = []
            for site in (stack, fresh):
                async with site.https_client() as client:
                    response = await client.get(
                        path, headers={"Accept": "application/activity+json"}
                    )
                    assert response.status_code == 200, f"{path} on {site.name}"
                    documents.append(response.json())
            original, restored = documents
            assert restored["publicKey"] == original["publicKey"]
            assert restored["id"] == original["id"]
            assert restored["followers"] == original["followers"]
        # And the admin's password still opens it
        async with fresh.https_client() as client:
            await log_in(fresh, client, ADMIN)
    except BaseException:
        print(fresh.logs())
        raise
    finally:
        fresh.down()
