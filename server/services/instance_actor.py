"""The instance's own actor: the Application that signs our fetches and outgoing reports.

It is an `Actor` row of kind APPLICATION with its own RSA key, created on first use. Its username
is `actor`, a name in `handles.RESERVED`, so no person or group can ever take it; to the outside
it is known by the instance's domain (`acct:<domain>@<domain>`, as Mastodon names its own).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from server.models import Actor, ActorKind
from server.services.handles import RESERVED
from server.services.keys import generate_rsa_keypair

INSTANCE_ACTOR_USERNAME = "actor"
# A guard against someone editing one list and not the other.
assert INSTANCE_ACTOR_USERNAME in RESERVED


async def get_instance_actor() -> Actor | None:
    return await Actor.get_or_none(
        username=INSTANCE_ACTOR_USERNAME, domain="", kind=ActorKind.APPLICATION
    )


async def get_or_create_instance_actor() -> Actor:
    """The instance actor, made with a fresh key pair the first time it is asked for.

    Two processes may race to create it; the unique (username, domain) pair lets one win and the
    other read the winner's row.
    """
    actor = await get_instance_actor()
    if actor is not None:
        return actor
    private_pem, public_pem = generate_rsa_keypair()
    try:
        return await Actor.create(
            kind=ActorKind.APPLICATION,
            username=INSTANCE_ACTOR_USERNAME,
            display_name="",
            private_key_pem=private_pem,
            public_key_pem=public_pem,
        )
    except IntegrityError:
        return await Actor.get(username=INSTANCE_ACTOR_USERNAME, domain="")
