"""jsonParsed token account data built byte by byte, against Agave's ``account-decoder/src/parse_token.rs``:
close authorities, native accounts' rent-exempt reserve, multisigs and Token-2022 extension lists."""

from __future__ import annotations

import struct

from solders.pubkey import Pubkey

from localnet.rpc.encoding import parse_token_data
from localnet.rpc.parsed.account import token_2022_extensions
from localnet.spl_token import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID

MINT, OWNER, CLOSER = (Pubkey.new_unique() for _ in range(3))


def _account(amount: int, native_reserve: int | None = None, close_authority: Pubkey | None = None) -> bytes:
    """SPL Token Account::pack: mint, owner, amount, delegate COption, state, is_native COption<u64>, delegated, close COption."""
    native = struct.pack("<IQ", 1, native_reserve) if native_reserve is not None else bytes(12)
    close = struct.pack("<I", 1) + bytes(close_authority) if close_authority else bytes(36)
    data = bytes(MINT) + bytes(OWNER) + struct.pack("<Q", amount) + bytes(36) + b"\x01" + native + struct.pack("<Q", 0) + close
    assert len(data) == 165
    return data


def test_close_authority_and_native_reserve() -> None:
    parsed = parse_token_data(TOKEN_PROGRAM_ID, _account(2_039_280 + 5, native_reserve=2_039_280, close_authority=CLOSER), 9)
    assert parsed == {"type": "account", "info": {
        "mint": str(MINT), "owner": str(OWNER), "state": "initialized", "isNative": True,
        "tokenAmount": {"amount": "2039285", "decimals": 9, "uiAmount": 0.002039285, "uiAmountString": "0.002039285"},
        "rentExemptReserve": {"amount": "2039280", "decimals": 9, "uiAmount": 0.00203928, "uiAmountString": "0.00203928"},
        "closeAuthority": str(CLOSER)}}


def test_multisig() -> None:
    signers = [Pubkey.new_unique() for _ in range(3)]
    data = bytes([2, 3, 1]) + b"".join(bytes(s) for s in signers) + bytes(32 * 8)
    assert parse_token_data(TOKEN_PROGRAM_ID, data) == {"type": "multisig", "info": {
        "numRequiredSigners": 2, "numValidSigners": 3, "isInitialized": True, "signers": [str(s) for s in signers]}}
    assert parse_token_data(TOKEN_PROGRAM_ID, bytes([2, 3, 0]) + bytes(352)) is None  # not initialised


def test_token_2022_extension_lists() -> None:
    base = _account(7) + b"\x02"  # AccountType::Account
    assert token_2022_extensions(base + struct.pack("<HH", 7, 0)) == [{"extension": "immutableOwner"}]
    assert token_2022_extensions(base + struct.pack("<HH", 7, 0) + bytes(8)) == [{"extension": "immutableOwner"}]
    # MemoTransfer carries state this node does not render: no partial list
    assert token_2022_extensions(base + struct.pack("<HH", 8, 1) + b"\x01") is None
    assert parse_token_data(TOKEN_2022_PROGRAM_ID, base + struct.pack("<HH", 7, 0), 0)["type"] == "account"
