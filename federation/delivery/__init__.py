"""Outgoing delivery: the queue rows, the retry policy and the worker that sends them."""

from federation.delivery.policy import Outcome, decide
from federation.delivery.queue import enqueue
from federation.delivery.worker import DeliveryWorker

__all__ = ["DeliveryWorker", "Outcome", "decide", "enqueue"]
