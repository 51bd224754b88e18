"""Every error path of the HTTP endpoint: JSON-RPC errors, bad params, bad transactions, bad HTTP.

After each abuse the node must still answer (it never crashes).
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from localnet.rpc.encoding import b58encode, b64encode
from tests.integration.localnet.conftest import LocalNode


def post(node: LocalNode, body: bytes, content_type: str = "application/json") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(node.rpc_url, body, {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def call(node: LocalNode, method: str, params: Any = None) -> dict[str, Any]:
    return node.rpc(method, params)


@pytest.fixture(autouse=True)
def still_healthy(local_node: LocalNode):
    yield
    assert local_node.rpc("getHealth")["result"] == "ok"


def test_malformed_json_is_32700(local_node: LocalNode) -> None:
    for body in (b"{", b"not json", b"\xff\xfe", b'{"jsonrpc": "2.0", "method": '):
        status, _, raw = post(local_node, body)
        assert status == 200
        assert json.loads(raw) == {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}


def test_unknown_method_is_32601(local_node: LocalNode) -> None:
    reply = call(local_node, "getEverything")
    assert reply == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1}
    assert call(local_node, "accountSubscribe", [str(Keypair().pubkey())])["error"]["code"] == -32601  # websocket only


def test_invalid_requests_are_32600(local_node: LocalNode) -> None:
    for obj in ({"method": "getSlot", "id": 1}, {"jsonrpc": "1.0", "method": "getSlot", "id": 1}, {"jsonrpc": "2.0", "id": 1},
                {"jsonrpc": "2.0", "method": 7, "id": 1}, 42, "x", {"jsonrpc": "2.0", "method": "getSlot", "id": [1]}):
        _, _, raw = post(local_node, json.dumps(obj).encode())
        assert json.loads(raw)["error"]["code"] == -32600, obj
    _, _, raw = post(local_node, b"[]")
    assert json.loads(raw)["error"] == {"code": -32600, "message": "Invalid request"}


def test_batches_and_notifications(local_node: LocalNode) -> None:
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "getSlot"}, {"jsonrpc": "2.0", "id": "b", "method": "nope"},
             {"jsonrpc": "2.0", "method": "getSlot"}, 5]
    _, _, raw = post(local_node, json.dumps(batch).encode())
    replies = json.loads(raw)
    assert [r["id"] for r in replies] == [1, "b", None]
    assert "result" in replies[0] and replies[1]["error"]["code"] == -32601 and replies[2]["error"]["code"] == -32600
    status, _, raw = post(local_node, json.dumps({"jsonrpc": "2.0", "method": "getSlot"}).encode())
    assert status == 200 and raw == b""


BAD_PARAMS = [
    ("getAccountInfo", None, "at least 1"),
    ("getAccountInfo", ["not-a-key"], "Invalid param"),
    ("getAccountInfo", [42], "base58 string"),
    ("getAccountInfo", {"pubkey": "x"}, "array"),
    ("getAccountInfo", ["11111111111111111111111111111111", {"encoding": "hex"}], "unknown variant"),
    ("getAccountInfo", ["11111111111111111111111111111111", {"dataSlice": {"offset": -1, "length": 1}}], "dataSlice"),
    ("getAccountInfo", ["11111111111111111111111111111111", {"commitment": "soon"}], "unknown variant"),
    ("getSlot", [{"commitment": {"level": "max"}}], "unknown variant"),  # not a string: -32602, not a crash
    ("getAccountInfo", ["11111111111111111111111111111111", "base64"], "configuration must be an object"),
    ("getMultipleAccounts", [["11111111111111111111111111111111"] * 101], "Too many inputs provided; max 100"),
    ("getProgramAccounts", ["11111111111111111111111111111111", {"filters": [{"dataSize": 1}] * 5}], "Too many filters"),
    ("getProgramAccounts", ["11111111111111111111111111111111", {"filters": [{"memcmp": {"offset": 0, "bytes": "0OIl"}}]}], "Base58"),
    ("getProgramAccounts", ["11111111111111111111111111111111", {"filters": [{"memcmp": {"offset": 0, "bytes": "1" * 200}}]}], "DataTooLarge"),
    ("getProgramAccounts", ["11111111111111111111111111111111", {"filters": [{"weird": 1}]}], "unknown filter"),
    ("getProgramAccounts", ["11111111111111111111111111111111", {"filters": [{"dataSize": -3}]}], "dataSize"),
    ("getBalance", ["11111111111111111111111111111111", {"minContextSlot": "x"}], "minContextSlot"),
    ("getSignatureStatuses", [["x"]], "Invalid signature"),
    ("getSignatureStatuses", [[str(Signature.default())] * 257], "max 256"),
    ("getTransaction", ["bad"], "Invalid signature"),
    ("getMinimumBalanceForRentExemption", [-1], "unsigned"),
    ("getMinimumBalanceForRentExemption", [1 << 40], "10 MiB"),
    ("requestAirdrop", ["11111111111111111111111111111111"], "at least 2"),
    ("isBlockhashValid", ["zz"], "Invalid param"),
    ("getTokenAccountBalance", ["11111111111111111111111111111111"], "not a Token account"),
    ("getTokenAccountBalance", [str(Keypair().pubkey())], "could not find account"),
    ("getFeeForMessage", ["%%%"], "invalid message"),
    ("getVersion", [1], "at most 0"),
    ("getRecentPrioritizationFees", [["11111111111111111111111111111111"] * 129], "max 128"),
    ("sendTransaction", [], "at least 1"),
    ("sendTransaction", [123], "must be a string"),
    ("sendTransaction", ["abc", {"encoding": "json"}], "unsupported encoding"),
    ("perpkeep_setFaults", [{"http_429_rate": 2}], "probability"),
    ("perpkeep_setFaults", [{"bogus": 1}], "unknown fault setting"),
]


@pytest.mark.parametrize(("method", "params", "needle"), BAD_PARAMS, ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(BAD_PARAMS)])
def test_bad_params_are_32602_with_a_message(local_node: LocalNode, method: str, params: Any, needle: str) -> None:
    reply = call(local_node, method, params)
    assert reply["error"]["code"] == -32602, reply
    assert needle in reply["error"]["message"], reply["error"]["message"]


def _transfer(payer: Keypair, blockhash: Hash) -> VersionedTransaction:
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))
    return VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [ix], [], blockhash), [payer])


def test_bad_transactions(local_node: LocalNode) -> None:
    blockhash = Hash.from_string(call(local_node, "getLatestBlockhash", [{"commitment": "processed"}])["result"]["value"]["blockhash"])
    payer = local_node.deployment.wallets["keeper"]
    tx = _transfer(payer, blockhash)
    raw = bytes(tx)

    oversized = b64encode(raw + bytes(1300))
    err = call(local_node, "sendTransaction", [oversized, {"encoding": "base64"}])["error"]
    assert err["code"] == -32602 and "too large" in err["message"] and "1644/1232" in err["message"]
    err = call(local_node, "sendTransaction", [b58encode(bytes(1300))])["error"]
    assert err["code"] == -32602 and "too large" in err["message"]
    padded = b64encode(bytes(1233))
    assert "decoded" in call(local_node, "sendTransaction", [padded, {"encoding": "base64"}])["error"]["message"]

    garbage = call(local_node, "sendTransaction", [b64encode(b"\x01\x02\x03"), {"encoding": "base64"}])["error"]
    assert garbage["code"] == -32602 and garbage["message"].startswith("failed to deserialize")
    assert "invalid base64" in call(local_node, "sendTransaction", ["!!", {"encoding": "base64"}])["error"]["message"]
    assert "invalid base58" in call(local_node, "sendTransaction", ["0OIl"])["error"]["message"]
    trailing = call(local_node, "sendTransaction", [b64encode(raw + b"\0"), {"encoding": "base64"}])["error"]
    assert "trailing" in trailing["message"]

    unsigned = VersionedTransaction.populate(tx.message, [Signature.default()])
    err = call(local_node, "sendTransaction", [b64encode(bytes(unsigned)), {"encoding": "base64"}])["error"]
    assert err == {"code": -32003, "message": "Transaction signature verification failure"}
    wrong_signer = VersionedTransaction.populate(tx.message, [Keypair().sign_message(bytes(tx.message))])
    err = call(local_node, "sendTransaction", [b64encode(bytes(wrong_signer)), {"encoding": "base64"}])["error"]
    assert err["code"] == -32003
    sim = call(local_node, "simulateTransaction", [b64encode(bytes(unsigned)), {"encoding": "base64", "sigVerify": True}])
    assert sim["error"]["code"] == -32003
    assert call(local_node, "simulateTransaction", [b64encode(bytes(unsigned)), {"encoding": "base64"}])["result"]["value"]["err"] is None
    skipped = call(local_node, "sendTransaction", [b64encode(bytes(unsigned)), {"encoding": "base64", "skipPreflight": True}])
    assert call(local_node, "getSignatureStatuses", [[skipped["result"]]])["result"]["value"] == [None]


def test_http_level_errors(local_node: LocalNode) -> None:
    status, _, body = post(local_node, b'{"jsonrpc":"2.0","id":1,"method":"getSlot"}', "text/plain")
    assert status == 415 and b"application/json" in body
    with urllib.request.urlopen(local_node.rpc_url + "/health", timeout=5) as resp:
        assert resp.read() == b"ok"
    req = urllib.request.Request(local_node.rpc_url, method="PUT", data=b"{}", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 405


def _raw_exchange(node: LocalNode, data: bytes) -> bytes:
    url = urlparse(node.rpc_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_malformed_http_never_crashes_the_node(local_node: LocalNode) -> None:
    assert _raw_exchange(local_node, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _raw_exchange(local_node, b"POST / HTTP/1.1\r\nContent-Length: zz\r\n\r\n").startswith(b"HTTP/1.1 400")
    big = f"POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {1 << 40}\r\n\r\n".encode()
    assert _raw_exchange(local_node, big).startswith(b"HTTP/1.1 413")
    assert _raw_exchange(local_node, b"POST / HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431")
    _raw_exchange(local_node, b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")  # truncated body, then hang-up
    body = b'{"jsonrpc":"2.0","id":1,"method":"getSlot"}'
    chunked = (b"POST / HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    reply = _raw_exchange(local_node, chunked)
    assert reply.startswith(b"HTTP/1.1 200") and b'"result"' in reply


def test_keep_alive_serves_many_requests_on_one_connection(local_node: LocalNode) -> None:
    url = urlparse(local_node.rpc_url)
    body = b'{"jsonrpc":"2.0","id":1,"method":"getSlot"}'
    request = b"POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(request * 3)
        data = b""
        for _ in range(100):
            if data.count(b"HTTP/1.1 200") == 3 and data.endswith(b"}"):
                break
            data += s.recv(65536)
    assert data.count(b"HTTP/1.1 200 OK") == 3
