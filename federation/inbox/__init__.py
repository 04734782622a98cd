"""The inbox: receiving, verifying and storing incoming activities, and handling them later.

- `inbox_routes(settings)`: POST `/inbox`, `/g/<name>/inbox`, `/u/<name>/inbox` (`receive`).
- `InboxProcessor(runtime)`: the worker; `run_once()` / `run_until_stopped(stop)` (`processor`).
- `parse_activity(data)`: typed activities (`parse`), dispatched by `dispatch` to one
  `handle_*` module per activity type.
"""

from federation.inbox.dispatch import dispatch
from federation.inbox.parse import ParseError, parse_activity
from federation.inbox.processor import InboxProcessor
from federation.inbox.receive import inbox_routes

__all__ = ["InboxProcessor", "ParseError", "dispatch", "inbox_routes", "parse_activity"]
