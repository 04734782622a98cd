"""Live federation tests: three Lyceum processes, A, B and C, talking over loopback.

The instances are started once per test module and shared by its scenarios (each scenario makes
its own people and groups, with fresh names), then stopped and their data removed. Every test
here is marked `live`: `./scripts/test -m live` runs only these, `-m "not live"` leaves them out.
When a test fails, the last lines of each instance's output, and its deliveries and inbox rows
that are not done, are added to its report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.live.harness import Instance, Person, start_instances, stop_instances

HERE = Path(__file__).parent


class Network(NamedTuple):
    a: Instance
    b: Instance
    c: Instance


_running: list[Instance] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """Three running instances, each with its own port, database and federation worker."""
    instances = start_instances(["A", "B", "C"], tmp_path_factory.mktemp("live"))
    _running.extend(instances)
    try:
        yield Network(*instances)
        for instance in instances:
            instance.assert_alive()
    finally:
        stop_instances(instances)
        for instance in instances:
            _running.remove(instance)


LogIn = Callable[[Instance, str], Awaitable[Person]]


@pytest.fixture
async def log_in() -> AsyncIterator[LogIn]:
    """`await log_in(instance, username)`: a person logged in there on the web; their clients
    are closed after the test."""
    people: list[Person] = []

    async def person(instance: Instance, username: str) -> Person:
        people.append(await instance.person(username))
        return people[-1]

    yield person
    for someone in people:
        await someone.aclose()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and HERE in item.path.parents:
        for instance in _running:
            report.sections.append((f"output of instance {instance.name}", instance.log_tail()))
            report.sections.append(
                (f"queues of instance {instance.name}", instance.federation_state())
            )
    return report
