"""keepers/observability/logs.py: JSON lines with extras, and secrets masked wherever they appear."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from solders.keypair import Keypair
from solders.signature import Signature

from keepers.clock import VirtualClock
from keepers.observability.logs import REDACTED, JsonFormatter, TextFormatter, redact, setup_logging


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Logging set up into a buffer; the perpkeep logger is restored afterwards."""
    logger = logging.getLogger("perpkeep")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    out = io.StringIO()
    setup_logging("debug", "json", out)
    yield out
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_lines_with_extras(stream: io.StringIO) -> None:
    log = logging.getLogger("perpkeep.bots.liquidator")
    log.info("liquidated %s", "user1", extra={"bot": "liquidator", "kind": "liquidate_perp", "target": "user1",
                                               "signature": "5xSig", "slot": 42, "detail": {"market": 0}})
    log.debug("quiet")
    (first, second) = lines(stream)
    assert first["level"] == "info" and first["logger"] == "perpkeep.bots.liquidator" and first["msg"] == "liquidated user1"
    assert first["ts"].endswith("Z") and "T" in first["ts"]
    assert (first["bot"], first["kind"], first["target"], first["signature"], first["slot"]) == (
        "liquidator", "liquidate_perp", "user1", "5xSig", 42)
    assert first["detail"] == {"market": 0}
    assert second["msg"] == "quiet"


def test_exceptions_are_included(stream: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("perpkeep.x").exception("failed")
    (entry,) = lines(stream)
    assert entry["level"] == "error" and "RuntimeError: boom" in entry["exc"] and "Traceback" in entry["exc"]


def test_level_filters(stream: io.StringIO) -> None:
    setup_logging("warning", "json", stream)
    logging.getLogger("perpkeep.y").info("hidden")
    logging.getLogger("perpkeep.y").warning("shown")
    assert [e["msg"] for e in lines(stream)] == ["shown"]


def test_setup_is_idempotent(stream: io.StringIO) -> None:
    """Setting up again replaces the handler it installed and leaves every other handler alone (test
    runners and embedding applications attach their own to the ``perpkeep`` logger)."""
    logger = logging.getLogger("perpkeep")
    foreign = logging.NullHandler()
    logger.addHandler(foreign)
    try:
        setup_logging("info", "json", stream)
        setup_logging("info", "json", stream)
        logger.info("once")
        assert len(lines(stream)) == 1
        ours = [h for h in logger.handlers if isinstance(h.formatter, (JsonFormatter, TextFormatter))]
        assert len(ours) == 1 and foreign in logger.handlers
    finally:
        logger.removeHandler(foreign)


def test_secrets_are_redacted(stream: io.StringIO) -> None:
    kp = Keypair()
    as_list, as_base58 = list(bytes(kp)), str(kp)
    sig = str(Signature.new_unique())
    log = logging.getLogger("perpkeep.z")
    log.info("loaded %s from file", as_list)
    log.info("key %s sig %s", as_base58, sig)
    log.info("extras", extra={"blob": json.dumps(as_list), "raw": bytes(kp), "secret": "hunter2", "keypair": "x",
                              "private_key": "y", "keypair_path": "/etc/k.json", "nested": {"seed": "s", "ok": 1},
                              "url": "https://rpc.example/?api-key=abc123"})
    try:
        raise ValueError(f"bad key {as_base58}")
    except ValueError:
        log.exception("oops")
    text = stream.getvalue()
    assert as_base58 not in text and json.dumps(as_list)[1:-1] not in text and str(as_list)[1:-1] not in text
    assert "hunter2" not in text and "abc123" not in text
    first, second, third, fourth = lines(stream)
    assert first["msg"] == f"loaded {REDACTED} from file"
    assert second["msg"] == f"key {REDACTED} sig {sig}"  # signatures have the shape of a secret but stay readable
    assert third["blob"] == third["raw"] == third["secret"] == third["keypair"] == third["private_key"] == REDACTED
    assert third["keypair_path"] == "/etc/k.json" and third["nested"] == {"seed": REDACTED, "ok": 1}
    assert third["url"] == f"https://rpc.example/?api-key={REDACTED}"
    assert REDACTED in fourth["exc"]


def test_text_format(stream: io.StringIO) -> None:
    setup_logging("info", "text", stream)
    logging.getLogger("perpkeep.t").info("hello %s", str(Keypair()), extra={"bot": "funding"})
    line = stream.getvalue().strip()
    assert line.endswith(f"INFO perpkeep.t hello {REDACTED} bot=funding")


def test_records_are_stamped_with_the_clock_given(stream: io.StringIO) -> None:
    clock = VirtualClock(start_unix_s=1_700_000_000.0)  # 2023-11-14T22:13:20Z
    clock.advance(1.25)
    setup_logging("info", "json", stream, clock=clock)
    logging.getLogger("perpkeep.sim").info("in simulated time")
    setup_logging("info", "text", stream, clock=clock)
    logging.getLogger("perpkeep.sim").info("and as text")
    first, second = stream.getvalue().splitlines()
    assert json.loads(first)["ts"] == "2023-11-14T22:13:21.250Z"
    assert ",250 INFO perpkeep.sim and as text" in second


def test_redact_leaves_ordinary_text() -> None:
    text = "market 0 price [1, 2, 3] pubkey 6B38kK9zKW1H4N7W1UKHh1HFrDsHAJjL98tyRJJTG3LS"
    assert redact(text) == text


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="log level"):
        setup_logging("loud")
    with pytest.raises(ValueError, match="log format"):
        setup_logging("info", "xml")
