"""Logging for the ``perpkeep`` logger hierarchy: JSON lines (or text), with secrets redacted.

``setup_logging`` installs one handler on the ``perpkeep`` logger (other libraries' loggers are left
alone). Every record passes ``RedactSecrets`` first, which masks keypair-shaped data in the message,
the ``extra=`` fields and the exception text:

- a list of 32 or more numbers 0..255 (``[12, 250, ...]``, as in a solana CLI keypair file);
- a base58 string of 87-88 characters that decodes to a consistent 64-byte keypair (transaction
  signatures have the same shape but are not keypairs, so they stay readable);
- ``api-key=``/``token=`` URL parameters;
- any extra field whose name says secret, private key, keypair (not ``keypair_path``), seed, mnemonic
  or password.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from solders.keypair import Keypair

from keepers.clock import Clock

ROOT_LOGGER = "perpkeep"
REDACTED = "[redacted]"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

_BYTE_LIST = re.compile(r"\[\s*(?:\d{1,3}\s*,\s*){31,}\d{1,3}\s*\]")
_BASE58_64 = re.compile(r"(?<![1-9A-HJ-NP-Za-km-z])[1-9A-HJ-NP-Za-km-z]{87,88}(?![1-9A-HJ-NP-Za-km-z])")
_URL_SECRET = re.compile(r"(?i)\b(api[-_]?key|token|access[-_]?token)=[^&\s\"']+")
_SECRET_NAME = re.compile(r"(?i)secret|private_?key|privkey|mnemonic|password|seed|keypair(?!_path)")
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_HANDLER_MARK = "_perpkeep_handler"


def _is_keypair(text: str) -> bool:
    try:
        Keypair.from_base58_string(text)
    except ValueError:
        return False
    return True


def redact(text: str) -> str:
    """``text`` with keypair-shaped data and URL credentials masked."""
    text = _BYTE_LIST.sub(REDACTED, text)
    text = _BASE58_64.sub(lambda m: REDACTED if _is_keypair(m.group()) else m.group(), text)
    return _URL_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def _redact_value(name: str, value: Any) -> Any:
    """``value`` of the extra field ``name`` with secrets masked (containers keep their shape)."""
    if _SECRET_NAME.search(name):
        return REDACTED
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple, bytes, bytearray)) and len(value) >= 32 and all(
            isinstance(v, int) and 0 <= v <= 255 for v in value):
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(name, v) for v in value]
    return redact(value if isinstance(value, str) else str(value))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS and not k.startswith("_")}


class RedactSecrets(logging.Filter):
    """Mask secrets in a record's message and extra fields (it rewrites the record; never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for name, value in _extras(record).items():
            setattr(record, name, _redact_value(name, value))
        return True


class StampFromClock(logging.Filter):
    """Stamp a record with ``clock``'s Unix time (a simulation's logs then read in simulated time)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        record.created = self.clock.time()
        record.msecs = (record.created - int(record.created)) * 1000
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (ISO-8601 UTC), level, logger, msg, the extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds")
        out: dict[str, Any] = {"ts": ts.replace("+00:00", "Z"), "level": record.levelname.lower(),
                               "logger": record.name, "msg": record.getMessage()}
        out.update((k, v) for k, v in _extras(record).items() if k not in out)
        if record.exc_info or record.exc_text:
            out["exc"] = self.formatException(record.exc_info) if record.exc_info else record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, default=str)

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


class TextFormatter(logging.Formatter):
    """``ts level logger msg key=value ...`` for reading at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        head, sep, tail = line.partition("\n")
        return f"{head} {extras}{sep}{tail}" if extras else line

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


def setup_logging(level: str = "info", fmt: str = "json", stream: TextIO | None = None,
                  clock: Clock | None = None) -> None:
    """Send the ``perpkeep`` loggers' records at ``level`` and above to ``stream`` (default stderr) as
    JSON lines or text, stamped with ``clock``'s time (None: the wall clock, as ``logging`` stamps them).
    Calling it again replaces the handler it installed."""
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    if fmt not in ("json", "text"):
        raise ValueError(f"log format must be json or text, got {fmt!r}")
    logger = logging.getLogger(ROOT_LOGGER)
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RedactSecrets())
    if clock is not None:
        handler.addFilter(StampFromClock(clock))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(LEVELS[level])
    logger.propagate = False


__all__ = ["JsonFormatter", "RedactSecrets", "StampFromClock", "TextFormatter", "redact", "setup_logging"]
