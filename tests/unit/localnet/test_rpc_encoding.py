"""Wire encodings and JSON-RPC envelopes of the RPC node (pure functions)."""

from __future__ import annotations

import json

import pytest
from solders.account import Account
from solders.pubkey import Pubkey
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from localnet.rpc.dispatch import dumps, parse_payload, run_payload
from localnet.rpc.encoding import (
    TOKEN_PROGRAM_ID,
    b58decode,
    b58encode,
    encode_account,
    parse_token_data,
    tx_error_json,
    tx_error_text,
    ui_token_amount,
)
from localnet.rpc.errors import RpcError


@pytest.mark.parametrize("data", [b"", b"\0", b"\0\0\x01", bytes(range(256)), b"hello world"])
def test_base58_round_trip_matches_solders(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data
    key = bytes(Pubkey.new_unique())
    assert b58encode(key) == str(Pubkey.from_bytes(key))
    with pytest.raises(ValueError):
        b58decode("0OIl")


def test_ui_token_amount() -> None:
    assert ui_token_amount(1_500_000, 6) == {"amount": "1500000", "decimals": 6, "uiAmount": 1.5, "uiAmountString": "1.5"}
    assert ui_token_amount(10_000_000_000, 6)["uiAmountString"] == "10000"
    assert ui_token_amount(7, 0)["uiAmountString"] == "7"


def test_encode_account_shapes() -> None:
    acc = Account(1000, bytes(200), Pubkey.default(), False, 0)
    assert encode_account(acc, "base64") == {"data": ["A" * 267 + "=", "base64"], "executable": False, "lamports": 1000,
                                             "owner": "11111111111111111111111111111111", "rentEpoch": 0, "space": 200}
    with pytest.raises(RpcError) as info:
        encode_account(acc, "base58")
    assert info.value.code == -32600
    assert encode_account(acc, "base58", limit_base58=False)["data"][1] == "base58"
    assert encode_account(acc, "base58", (0, 4))["data"] == ["1111", "base58"]
    assert encode_account(acc, "jsonParsed")["data"][1] == "base64"  # no parser: falls back as Agave does


def test_token_account_parsing() -> None:
    mint, owner = Pubkey.new_unique(), Pubkey.new_unique()
    data = bytearray(165)
    data[0:32], data[32:64] = bytes(mint), bytes(owner)
    data[64:72] = (2_500_000).to_bytes(8, "little")
    data[108] = 1
    parsed = parse_token_data(TOKEN_PROGRAM_ID, bytes(data), 6)
    assert parsed is not None and parsed["type"] == "account"
    assert parsed["info"]["mint"] == str(mint) and parsed["info"]["tokenAmount"]["uiAmountString"] == "2.5"
    assert parse_token_data(Pubkey.default(), bytes(data)) is None


def test_transaction_error_json_and_text() -> None:
    err = TransactionErrorInstructionError(0, InstructionErrorCustom(6003))
    as_json = tx_error_json(err)
    assert as_json == {"InstructionError": [0, {"Custom": 6003}]}
    assert tx_error_text(as_json) == "Error processing Instruction 0: custom program error: 0x1773"
    assert tx_error_text("BlockhashNotFound") == "Blockhash not found"
    assert tx_error_text({"InstructionError": [1, "MissingRequiredSignature"]}).endswith("missing required signature for instruction")
    assert tx_error_json(None) is None


def test_envelopes() -> None:
    table = {"echo": lambda ctx, params: params, "boom": lambda ctx, params: 1 / 0}
    assert run_payload(None, parse_payload(b'{"jsonrpc":"2.0","id":3,"method":"echo","params":[1]}'), table) == {
        "jsonrpc": "2.0", "result": [1], "id": 3}
    assert run_payload(None, parse_payload(b"{"), table)["error"]["code"] == -32700
    assert run_payload(None, parse_payload(b'{"jsonrpc":"2.0","id":3,"method":"boom"}'), table)["error"] == {
        "code": -32603, "message": "Internal error"}
    assert run_payload(None, parse_payload(b'{"jsonrpc":"2.0","method":"echo"}'), table) is None
    batch = parse_payload(b'[{"jsonrpc":"2.0","id":1,"method":"echo"},{"jsonrpc":"2.0","id":2,"method":"nope"}]')
    assert batch.methods == ["echo", "nope"]
    assert [r.get("error", {}).get("code") for r in run_payload(None, batch, table)] == [None, -32601]


def test_envelopes_beyond_orjson() -> None:
    """What orjson refuses and json takes still parses and encodes: integers beyond 64 bits, non-ASCII text."""
    table = {"echo": lambda ctx, params: params}
    big = 2**70
    reply = run_payload(None, parse_payload(b'{"jsonrpc":"2.0","id":%d,"method":"echo","params":[%d]}' % (big, big)),
                        table)
    assert reply == {"jsonrpc": "2.0", "result": [big], "id": big}
    assert json.loads(dumps(reply)) == reply
    text = {"logs": ["Program log: caf\u00e9 \u2713"], "n": 2**64 - 1, "key": {1: "one"}}
    assert json.loads(dumps(text)) == {"logs": text["logs"], "n": 2**64 - 1, "key": {"1": "one"}}


@pytest.mark.parametrize("text", [
    '{"jsonrpc":"2.0","id":1,"method":"m","params":[18446744073709551615, 18446744073709551616, -9223372036854775809]}',
    '{"a":[1.5, 2, {"b": [1e3, -0.0, 12345678901234567890123]}]}',  # a float anywhere: json parses all of it
    '[1e400, -1e400]',  # orjson refuses infinity, json takes it
    '{"s":"\\ud800 lone surrogate","t":"caf\\u00e9"}',  # orjson refuses a lone surrogate, json takes it
    '{"nan": NaN, "inf": Infinity}',
    '{"k": 1, "k": 2}',  # the last of repeated keys, as json
    '"plain"',
])
def test_requests_parse_as_json_parses_them(text: str) -> None:
    """Requests are parsed through orjson where that is faster, with the values ``json`` gives: an integer
    beyond 64 bits stays exact (orjson alone reads it as a float), and what orjson refuses still parses."""
    from localnet.rpc.dispatch import loads

    expected = json.loads(text)
    for body in (text, text.encode()):
        got = loads(body)
        assert repr(got) == repr(expected)  # repr: NaN != NaN, and 1 == 1.0 would hide an int read as a float
    big = loads(text)
    if isinstance(big, dict) and "params" in big:
        assert big["params"] == [2**64 - 1, 2**64, -(2**63) - 1] and all(type(v) is int for v in big["params"])


def test_malformed_requests_are_parse_errors() -> None:
    for body in (b"{", b'{"a": 1,}', b"\xff\xfe", b"[" * 100_000, b""):
        assert parse_payload(body).error is not None and parse_payload(body).error.code == -32700
