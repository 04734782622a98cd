"""The app builds one federation runtime, subscribes the outbox, and runs the embedded worker."""

from __future__ import annotations

from federation.runtime import FederationRuntime
from server.app import create_app
from server.models import Delivery
from server.services import groups
from server.settings import Settings
from tests.helpers import make_account, make_group, make_remote_actor


async def test_create_app__subscribes_outbox_and_exposes_runtime(
    settings: Settings, database: None
) -> None:
    # Given an app (built as tests build it, without running its lifespan)
    app = create_app(settings, manage_database=False)
    assert isinstance(app.state.federation, FederationRuntime)
    owner = await make_account("ada")
    group = await make_group(owner, "physics")
    # When a remote Follow is accepted through the domain
    alice = await make_remote_actor("alice", "mastodon.example")
    await groups.request_membership(group, alice, follow_ap_id="https://mastodon.example/f/1")
    # Then the outbox queued the Accept
    assert await Delivery.all().count() == 1
    await app.state.federation.aclose()


async def test_lifespan__runs_embedded_worker_until_shutdown(
    settings: Settings, database: None
) -> None:
    # Given an app whose settings ask for the embedded worker
    app = create_app(settings.model_copy(update={"embedded_worker": True}), manage_database=False)
    runtime: FederationRuntime = app.state.federation
    # When its lifespan runs, then the worker runs; when it ends, the worker has stopped
    async with app.router.lifespan_context(app):
        assert runtime.worker_running
    assert not runtime.worker_running
    assert runtime.client.is_closed
