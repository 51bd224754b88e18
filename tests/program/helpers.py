"""Shared helpers of the program tests: IDL-derived sizes and discriminators, error and event checks.

Every expected value is derived from first principles (sha256, the IDL, ``Pubkey.create_program_address``),
never from the code under test.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from anchorpy.coder.event import EventCoder
from anchorpy_core.idl import Idl
from solders.account import Account
from solders.pubkey import Pubkey

from keepers.execution.results import Failed, Landed, Outcome
from localnet.svm import LocalSvm

IDL_PATH = Path(__file__).resolve().parents[2] / "idl" / "perp.json"
IDL_JSON: dict[str, Any] = json.loads(IDL_PATH.read_text())
EVENT_CODER = EventCoder(Idl.from_json(IDL_PATH.read_text()))
PROGRAM_DATA = "Program data: "

_PRIMITIVE_SIZES = {
    "u8": 1,
    "i8": 1,
    "bool": 1,
    "u16": 2,
    "i16": 2,
    "u32": 4,
    "i32": 4,
    "u64": 8,
    "i64": 8,
    "u128": 16,
    "i128": 16,
    "publicKey": 32,
}
_TYPES = {t["name"]: t for t in IDL_JSON["types"]}


def borsh_size(t: Any) -> int:
    """Borsh length of an IDL type (fixed-size types only), from the IDL JSON."""
    if isinstance(t, str):
        return _PRIMITIVE_SIZES[t]
    if "array" in t:
        inner, n = t["array"]
        return borsh_size(inner) * n
    if "defined" in t:
        d = _TYPES[t["defined"]]["type"]
        if d["kind"] == "enum":
            assert all(
                "fields" not in v for v in d["variants"]
            ), "only fieldless enums are fixed-size"
            return 1
        return sum(borsh_size(f["type"]) for f in d["fields"])
    raise AssertionError(f"unsupported IDL type {t!r}")


def account_len(name: str) -> int:
    """Data length of an account of the IDL: 8-byte discriminator + Borsh fields."""
    acc = next(a for a in IDL_JSON["accounts"] if a["name"] == name)
    return 8 + sum(borsh_size(f["type"]) for f in acc["type"]["fields"])


def field_offset(account: str, field: str) -> int:
    """Byte offset of ``field`` in the data of IDL account ``account`` (discriminator included)."""
    acc = next(a for a in IDL_JSON["accounts"] if a["name"] == account)
    offset = 8
    for f in acc["type"]["fields"]:
        if f["name"] == field:
            return offset
        offset += borsh_size(f["type"])
    raise KeyError(f"{account} has no field {field}")


def event_discriminator(name: str) -> bytes:
    return hashlib.sha256(f"event:{name}".encode()).digest()[:8]


def account_discriminator(name: str) -> bytes:
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


def instruction_discriminator(idl_name: str) -> bytes:
    """Anchor instruction discriminator: sha256("global:<snake_case name>")[:8]."""
    snake = "".join("_" + c.lower() if c.isupper() else c for c in idl_name)
    return hashlib.sha256(f"global:{snake}".encode()).digest()[:8]


EVENT_NAMES = {event_discriminator(e["name"]): e["name"] for e in IDL_JSON["events"]}
EVENT_BODY_LEN = {
    e["name"]: sum(borsh_size(f["type"]) for f in e["fields"]) for e in IDL_JSON["events"]
}


def expect_error(out: Outcome, err: type) -> Failed:
    """Assert that ``out`` failed with the program's custom error ``err`` (a programs_client class)."""
    assert isinstance(
        out, Failed
    ), f"expected {err.name} ({err.code}) but the transaction landed:\n" + "\n".join(out.logs)
    assert out.custom_code == err.code, (
        f"expected {err.name} ({err.code}), got {out.error_name} ({out.custom_code}):\n"
        + "\n".join(out.logs)
    )
    return out


def events(out: Landed | Failed) -> list[tuple[str, Any]]:
    """All events the transaction logged, as (name, decoded data), in order."""
    found = []
    for line in out.logs:
        if not line.startswith(PROGRAM_DATA):
            continue
        chunks = line[len(PROGRAM_DATA) :].split(" ")
        assert len(chunks) == 1, f"an event must be logged as one slice: {line}"
        raw = base64.b64decode(chunks[0])
        name = EVENT_NAMES.get(raw[:8])
        assert name is not None, f"unknown event discriminator {raw[:8].hex()} in {line}"
        assert (
            len(raw) - 8 == EVENT_BODY_LEN[name]
        ), f"{name}: body {len(raw) - 8} bytes, IDL says {EVENT_BODY_LEN[name]}"
        decoded = EVENT_CODER.parse(raw)
        assert decoded is not None and decoded.name == name
        found.append((name, decoded.data))
    return found


def single_event(out: Landed, name: str) -> Any:
    """The one event of the transaction; it must be named ``name``."""
    evs = events(out)
    assert [n for n, _ in evs] == [name], f"expected exactly one {name}, got {[n for n, _ in evs]}"
    return evs[0][1]


def enum_name(value: Any) -> str:
    """Variant name of an enum value decoded by anchorpy's coder or by the generated client."""
    return getattr(value, "kind", None) or type(value).__name__


def noncanonical_pda(seeds: list[bytes], program_id: Pubkey) -> tuple[Pubkey, int]:
    """A valid program address for ``seeds`` with a bump below the canonical one."""
    canonical, bump = Pubkey.find_program_address(seeds, program_id)
    for b in range(bump - 1, -1, -1):
        try:
            addr = Pubkey.create_program_address(seeds + [bytes([b])], program_id)
        except Exception:  # noqa: BLE001 - solders raises PubkeyError for on-curve results
            continue
        assert addr != canonical
        return addr, b
    raise AssertionError("no non-canonical bump exists for these seeds")


def params_as_dict(p: Any) -> dict[str, Any]:
    """MarketParams (generated dataclass or anchorpy-decoded) as a plain dict."""
    names = [f["name"] for f in _TYPES["MarketParams"]["type"]["fields"]]
    snake = ["".join("_" + c.lower() if c.isupper() else c for c in n) for n in names]
    return {s: (list(getattr(p, s)) if s == "padding" else getattr(p, s)) for s in snake}


# ------------------------------------------------------------------------------------------------
# Tests of the event encoding itself



def set_market_prices(svm: LocalSvm, market: Pubkey, index_price: int, mark_price: int | None = None) -> None:
    """Write a market's index and mark price directly (fixture for order-book tests).

    Prices normally arrive through update_prices from the oracles; tests of trading logic that do not
    exercise oracles set them here so each test controls the mark exactly. The prices count as cranked
    at the current slot (``lastPriceUpdateSlot``): risk-increasing actions refuse a stale mark.
    """
    acc = svm.account(market)
    assert acc is not None
    data = bytearray(bytes(acc.data))
    data[field_offset("Market", "indexPrice") : field_offset("Market", "indexPrice") + 8] = index_price.to_bytes(8, "little")
    mark = index_price if mark_price is None else mark_price
    data[field_offset("Market", "markPrice") : field_offset("Market", "markPrice") + 8] = mark.to_bytes(8, "little")
    slot_at = field_offset("Market", "lastPriceUpdateSlot")
    data[slot_at : slot_at + 8] = svm.clock().slot.to_bytes(8, "little")
    svm.set_account(market, Account(acc.lamports, bytes(data), acc.owner, acc.executable, acc.rent_epoch))
