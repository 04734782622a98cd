"""Log lines that any handler can write: no lone surrogates, whatever remote input they quote.

Remote documents can hold lone surrogates (JSON's `"\\ud800"` decodes to one), and an error
about such a document quotes it. A UTF-8 log file, journald, or a test runner's pipe then fails
to encode the whole line. `install()` makes every record of Lyceum's own loggers (`lyceum.*`)
safe as it is created: the message is formatted once, and the traceback text too, with each
lone surrogate replaced by U+FFFD.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from server.text import without_surrogates

__all__ = ["install", "printable"]

_installed = False


def printable(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD."""
    return without_surrogates(text)


def install() -> None:
    """Wrap the log record factory once per process (later calls do nothing)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def safe_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.name == "lyceum" or record.name.startswith("lyceum."):
            record.msg, record.args = printable(record.getMessage()), ()
            if record.exc_info and record.exc_info[0] is not None:
                record.exc_text = printable("".join(traceback.format_exception(*record.exc_info)))
                record.exc_text = record.exc_text.rstrip("\n")
        return record

    logging.setLogRecordFactory(safe_record)
