"""The perp program's instructions as the fuzzer sees them, read from ``idl/perp.json`` alone.

Every instruction with its discriminator, accounts (name, writable, signer) and argument types; a Borsh
encoder for any IDL value; and a generator of argument values that mixes boundary integers, random bits
and plausible values that a caller supplies by argument name (prices, amounts, order ids...). A change to
the IDL (a new instruction, account or argument) reaches the fuzzer without a change here.
"""

from __future__ import annotations

import json
import random
import struct
from dataclasses import dataclass
from typing import Any, Callable

from keepers.execution.compute_budget import discriminator
from localnet.codegen import REPO_ROOT

IDL_JSON: dict[str, Any] = json.loads((REPO_ROOT / "idl" / "perp.json").read_text())
TYPES: dict[str, dict[str, Any]] = {t["name"]: t["type"] for t in IDL_JSON["types"]}
ERROR_NAMES: dict[int, str] = {e["code"]: e["name"] for e in IDL_JSON["errors"]}

_INT_FORMATS = {"u8": "<B", "i8": "<b", "u16": "<H", "i16": "<h", "u32": "<I", "i32": "<i", "u64": "<Q", "i64": "<q"}
_INT_BITS = {"u8": 8, "i8": 8, "u16": 16, "i16": 16, "u32": 32, "i32": 32, "u64": 64, "i64": 64, "u128": 128,
             "i128": 128}

# A value the caller proposes for an argument, by name (None: no opinion, draw from the type).
Hint = Callable[[str, Any], Any]


def snake_case(name: str) -> str:
    """``placeOrder`` -> ``place_order``."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


@dataclass(frozen=True)
class IdlAccount:
    """One account of an instruction, as the IDL declares it."""

    name: str
    writable: bool
    signer: bool


@dataclass(frozen=True)
class IdlInstruction:
    """One instruction of the IDL: its Anchor discriminator, accounts and arguments."""

    name: str
    discriminator: bytes
    accounts: tuple[IdlAccount, ...]
    args: tuple[tuple[str, Any], ...]

    def encode(self, values: dict[str, Any]) -> bytes:
        """Discriminator + the Borsh encoding of ``values`` (argument name -> value)."""
        return self.discriminator + b"".join(encode(t, values[n]) for n, t in self.args)

    def random_args(self, rng: random.Random, hint: Hint, plausible: float) -> dict[str, Any]:
        """Argument values; each is taken from ``hint`` with probability ``plausible`` when it proposes one."""
        return {n: random_value(t, rng, n, hint, plausible) for n, t in self.args}


def _instruction(raw: dict[str, Any]) -> IdlInstruction:
    disc = discriminator(snake_case(raw["name"]))
    accounts = tuple(IdlAccount(a["name"], bool(a.get("isMut")), bool(a.get("isSigner"))) for a in raw["accounts"])
    return IdlInstruction(raw["name"], disc, accounts, tuple((a["name"], a["type"]) for a in raw["args"]))


INSTRUCTIONS: tuple[IdlInstruction, ...] = tuple(_instruction(i) for i in IDL_JSON["instructions"])
BY_NAME: dict[str, IdlInstruction] = {i.name: i for i in INSTRUCTIONS}
BY_DISCRIMINATOR: dict[bytes, IdlInstruction] = {i.discriminator: i for i in INSTRUCTIONS}


def encode(t: Any, v: Any) -> bytes:
    """Borsh encoding of value ``v`` of IDL type ``t`` (structs as dicts, fieldless enums as variant index)."""
    if isinstance(t, str):
        if t in _INT_FORMATS:
            return struct.pack(_INT_FORMATS[t], v)
        if t in ("u128", "i128"):
            return v.to_bytes(16, "little", signed=t == "i128")
        if t == "bool":
            return bytes([v])  # an int, so that non-canonical bools (2..255) can be sent
        if t == "publicKey":
            return bytes(v)
        raise ValueError(f"unsupported IDL type {t!r}")
    if "array" in t:
        inner, n = t["array"]
        if len(v) != n:
            raise ValueError(f"{len(v)} values for an array of {n}")
        return b"".join(encode(inner, x) for x in v)
    d = TYPES[t["defined"]]
    if d["kind"] == "enum":
        return bytes([v])
    return b"".join(encode(f["type"], v[f["name"]]) for f in d["fields"])


def boundary_int(t: str, rng: random.Random) -> int:
    """A boundary or random value of integer type ``t``: 0, 1, -1, the extremes, a power of two, random bits."""
    bits = _INT_BITS[t]
    signed = t.startswith("i")
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    pick = rng.randrange(8)
    if pick == 0:
        return rng.choice([0, 1, hi, hi - 1, lo, lo + 1] + ([-1] if signed else []))
    if pick == 1:
        v = 1 << rng.randrange(bits - (1 if signed else 0))
        return min(v, hi) if rng.random() < 0.5 else min(v - 1, hi)
    if pick == 2:
        return rng.randint(lo, hi)
    return rng.randint(0, min(hi, 10 ** rng.randint(1, 12)))


def _encodes(t: Any, v: Any) -> bool:
    """Whether ``v`` is a value of type ``t`` (a hint written for one IDL may meet a changed field)."""
    try:
        encode(t, v)
    except (struct.error, OverflowError, TypeError, KeyError, ValueError):
        return False
    return True


def random_value(t: Any, rng: random.Random, name: str, hint: Hint, plausible: float) -> Any:
    """A value of IDL type ``t`` for the field ``name``: the hint's proposal or a boundary/random value."""
    if rng.random() < plausible:
        proposed = hint(name, t)
        if proposed is not None and _encodes(t, proposed):
            return proposed
    if isinstance(t, str):
        if t in _INT_BITS:
            return boundary_int(t, rng)
        if t == "bool":
            return rng.choice([0, 1, 1, 0, rng.randint(2, 255)])
        if t == "publicKey":
            proposed = hint("publicKey", t)
            return proposed if proposed is not None else bytes(rng.getrandbits(8) for _ in range(32))
        raise ValueError(f"unsupported IDL type {t!r}")
    if "array" in t:
        inner, n = t["array"]
        if inner == "u8" and rng.random() < 0.7:  # names, padding, feed ids: mostly zero
            return [0] * n
        return [random_value(inner, rng, name + "[]", hint, plausible) for _ in range(n)]
    d = TYPES[t["defined"]]
    if d["kind"] == "enum":
        n = len(d["variants"])
        return rng.randrange(n) if rng.random() < 0.95 else rng.randint(n, 255)
    return {f["name"]: random_value(f["type"], rng, f["name"], hint, plausible) for f in d["fields"]}


def error_name(code: int) -> str | None:
    """The IDL name of the perp program's custom error ``code``; None for another program's code."""
    return ERROR_NAMES.get(code)


__all__ = ["BY_DISCRIMINATOR", "BY_NAME", "ERROR_NAMES", "IDL_JSON", "INSTRUCTIONS", "IdlAccount", "IdlInstruction",
           "TYPES", "boundary_int", "encode", "error_name", "random_value", "snake_case"]
