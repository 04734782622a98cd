"""Outgoing delivery: the queue rows, the retry policy, the worker that sends them, the leases
it renews (`leases`) and the wake-up when rows are queued (`wake`, also used for inbox rows)."""

from federation.delivery import wake
from federation.delivery.policy import Outcome, decide
from federation.delivery.queue import enqueue
from federation.delivery.worker import DeliveryWorker

__all__ = ["DeliveryWorker", "Outcome", "decide", "enqueue", "wake"]
