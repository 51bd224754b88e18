"""Positional JSON-RPC parameters, checked with messages that say what is wrong (-32602)."""

from __future__ import annotations

from typing import Any

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from localnet.ledger import COMMITMENTS, Commitment
from localnet.rpc.errors import invalid_params

_LEGACY_COMMITMENTS: dict[str, Commitment] = {"recent": "processed", "single": "confirmed", "singleGossip": "confirmed",
                                              "max": "finalized", "root": "finalized"}


class Params:
    """The ``params`` array of one request, with typed accessors that raise -32602."""

    def __init__(self, raw: Any, required: int = 0, maximum: int | None = None) -> None:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise invalid_params(f"Invalid params: expected an array of parameters, got {_kind(raw)}")
        if len(raw) < required:
            raise invalid_params(f"Invalid params: `params` should have at least {required} argument(s)")
        if maximum is not None and len(raw) > maximum:
            raise invalid_params(f"Invalid params: expected at most {maximum} argument(s), got {len(raw)}")
        self.raw = raw

    def get(self, i: int) -> Any:
        """Return parameter ``i`` or None when absent."""
        return self.raw[i] if i < len(self.raw) else None

    def pubkey(self, i: int, what: str = "pubkey") -> Pubkey:
        """Return parameter ``i`` as a Pubkey."""
        return parse_pubkey(self.get(i), what)

    def string(self, i: int, what: str) -> str:
        """Return parameter ``i`` as a string."""
        v = self.get(i)
        if not isinstance(v, str):
            raise invalid_params(f"Invalid params: {what} must be a string, got {_kind(v)}")
        return v

    def uint(self, i: int, what: str) -> int:
        """Return parameter ``i`` as an unsigned 64-bit integer."""
        return uint(self.get(i), what)

    def array(self, i: int, what: str) -> list[Any]:
        """Return parameter ``i`` as a list."""
        v = self.get(i)
        if not isinstance(v, list):
            raise invalid_params(f"Invalid params: {what} must be an array, got {_kind(v)}")
        return v

    def config(self, i: int) -> dict[str, Any]:
        """Return the configuration object at ``i`` ({} when absent or null)."""
        v = self.get(i)
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise invalid_params(f"Invalid params: configuration must be an object, got {_kind(v)}")
        return v


def _kind(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def uint(v: Any, what: str) -> int:
    """Return ``v`` as an unsigned 64-bit integer or raise -32602."""
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 2**64:
        raise invalid_params(f"Invalid params: {what} must be an unsigned 64-bit integer, got {v!r}")
    return v


def opt_uint(config: dict[str, Any], key: str) -> int | None:
    """Return ``config[key]`` as an unsigned integer, None when absent."""
    v = config.get(key)
    return None if v is None else uint(v, key)


def opt_bool(config: dict[str, Any], key: str, default: bool = False) -> bool:
    """Return ``config[key]`` as a boolean, ``default`` when absent."""
    v = config.get(key)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise invalid_params(f"Invalid params: {key} must be a boolean, got {v!r}")
    return v


def normalize_commitment(value: Any, default: Commitment = "finalized") -> Commitment:
    """Return one of processed/confirmed/finalized for a commitment parameter (-32602 if unknown)."""
    if value is None:
        return default
    for c in COMMITMENTS:
        if value == c:
            return c
    if isinstance(value, str) and value in _LEGACY_COMMITMENTS:
        return _LEGACY_COMMITMENTS[value]
    raise invalid_params(f"Invalid params: unknown variant `{value}`, expected one of `processed`, `confirmed`, `finalized`")


def parse_pubkey(v: Any, what: str = "pubkey") -> Pubkey:
    """Parse a base58 public key or raise -32602 ("Invalid param: ...")."""
    if not isinstance(v, str):
        raise invalid_params(f"Invalid params: {what} must be a base58 string, got {_kind(v)}")
    try:
        return Pubkey.from_string(v)
    except Exception:  # noqa: BLE001 - solders raises ValueError variants
        raise invalid_params(f"Invalid param: Invalid {what} {v!r} (not a base58 32-byte public key)") from None


def parse_signature(v: Any) -> Signature:
    """Parse a base58 signature or raise -32602."""
    if not isinstance(v, str):
        raise invalid_params(f"Invalid params: signature must be a base58 string, got {_kind(v)}")
    try:
        return Signature.from_string(v)
    except Exception:  # noqa: BLE001
        raise invalid_params(f"Invalid param: Invalid signature {v!r} (not a base58 64-byte signature)") from None


def parse_hash(v: Any) -> Hash:
    """Parse a base58 blockhash or raise -32602."""
    if not isinstance(v, str):
        raise invalid_params(f"Invalid params: blockhash must be a base58 string, got {_kind(v)}")
    try:
        return Hash.from_string(v)
    except Exception:  # noqa: BLE001
        raise invalid_params(f"Invalid param: Invalid blockhash {v!r} (not a base58 32-byte hash)") from None


__all__ = ["Params", "normalize_commitment", "opt_bool", "opt_uint", "parse_hash", "parse_pubkey", "parse_signature", "uint"]
