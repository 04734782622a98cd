"""How log records are written: `text` lines for a terminal, or one JSON object per line.

JSON (LYCEUM_LOG_FORMAT=json) is for a log collector: each record is an object with `time`
(ISO 8601, UTC), `level`, `logger` and `message`, `exception` (the traceback text) when there
is one, and any `extra=` fields. The same setup serves the `lyceum` process and, through
`uvicorn_log_config`, uvicorn's own loggers and its web process children, which configure
logging afresh.
"""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from typing import Any

import uvicorn.config
from pythonjsonlogger.json import JsonFormatter

__all__ = ["TEXT_FORMAT", "JsonLines", "formatter", "uvicorn_log_config"]

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"

# Libraries whose chatter (tortoise's queries, httpx's line per request) would drown the
# refusals an operator looks for: logged only at debug.
CHATTY_LIBRARIES = ("tortoise", "httpx")


class JsonLines(JsonFormatter):
    """One JSON object per record, on one line."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
            },
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def formatter(log_format: str) -> logging.Formatter:
    return JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def uvicorn_log_config(level: str, log_format: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for `uvicorn.run(log_config=...)`. uvicorn applies it in
    the `lyceum serve` process and again in each web process it starts (which inherit no
    logging setup), so Lyceum's own records reach stderr there too, in LYCEUM_LOG_FORMAT: with
    `json` every line is a JSON record, uvicorn's start-up and access lines included; with
    `text` uvicorn keeps its own format for its lines."""
    name = level.upper()
    quiet = "DEBUG" if name == "DEBUG" else "WARNING"
    chatty = {library: {"level": quiet} for library in CHATTY_LIBRARIES}
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    if log_format != "json":
        config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
        config["formatters"]["lyceum"] = {"format": TEXT_FORMAT}
        config["handlers"]["lyceum"] = {**stderr, "formatter": "lyceum"}
        config["root"] = {"handlers": ["lyceum"], "level": name}
        config["loggers"].update(chatty)
        return config
    through_root = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {"stderr": {**stderr, "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": name},
        "loggers": {
            "uvicorn": through_root,
            "uvicorn.error": through_root,
            "uvicorn.access": through_root,
            **chatty,
        },
    }
