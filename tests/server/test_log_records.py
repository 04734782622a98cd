"""Lyceum's log lines never carry a lone surrogate, so any handler can encode them."""

from __future__ import annotations

import logging

import pytest

from server import log_records


def test_install__a_message_quoting_a_lone_surrogate_encodes_as_utf8(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the safe records installed (create_app and the CLI install them)
    log_records.install()
    # When a Lyceum logger quotes a remote id holding a lone surrogate, with its traceback
    with caplog.at_level(logging.INFO, logger="lyceum.test"):
        try:
            raise ValueError("bad id https://r.example/\ud800")
        except ValueError:
            logging.getLogger("lyceum.test").exception("activity %s failed", "x\udfffy")
    [record] = [r for r in caplog.records if r.name == "lyceum.test"]
    # Then the message and the traceback encode, the surrogates shown as U+FFFD
    assert record.getMessage() == "activity x\ufffdy failed"
    assert "https://r.example/\ufffd" in (record.exc_text or "")
    caplog.text.encode("utf-8")


def test_install__other_libraries_records_are_left_as_they_are(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log_records.install()
    with caplog.at_level(logging.INFO, logger="otherlib"):
        logging.getLogger("otherlib").info("%s", "kept")
    [record] = [r for r in caplog.records if r.name == "otherlib"]
    assert (record.msg, record.args) == ("%s", ("kept",))
