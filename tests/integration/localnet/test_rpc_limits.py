"""Limits of the node: oversized bodies and batches refused with a JSON-RPC error, and one flooding client
does not stop the node from serving the others."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import websockets

from tests.integration.localnet.conftest import LocalNode, start_node, stop_node

MAX_BODY = 4096
MAX_BATCH = 10
GET_SLOT = {"jsonrpc": "2.0", "id": 1, "method": "getSlot"}


@pytest.fixture(scope="module")
def small_node(perp_program: bytes, mock_oracle_program: bytes) -> Iterator[LocalNode]:
    n = start_node(perp_program, mock_oracle_program, max_request_bytes=MAX_BODY, max_batch_requests=MAX_BATCH)
    yield n
    stop_node(n)


def _http(node: LocalNode, body: bytes, extra_head: bytes = b"") -> tuple[int, bytes]:
    """One request on its own connection (Connection: close); return (status, body)."""
    url = urlparse(node.rpc_url)
    head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + extra_head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(head + body)
        data = b""
        for _ in range(1000):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.split(b"\r\n\r\n", 1)[1]


def test_oversized_body_is_413_with_a_json_rpc_error_and_the_node_serves_on(small_node: LocalNode) -> None:
    padding = " " * MAX_BODY
    status, body = _http(small_node, json.dumps({**GET_SLOT, "params": [], "pad": padding}).encode())
    assert status == 413
    reply = json.loads(body)
    assert reply["id"] is None and reply["error"]["code"] == -32600
    assert str(MAX_BODY) in reply["error"]["message"]
    status, body = _http(small_node, json.dumps(GET_SLOT).encode())
    assert status == 200 and isinstance(json.loads(body)["result"], int)


def test_batch_over_the_limit_is_refused_whole(small_node: LocalNode) -> None:
    batch = [{**GET_SLOT, "id": i} for i in range(MAX_BATCH)]
    status, body = _http(small_node, json.dumps(batch).encode())
    assert status == 200 and sorted(r["id"] for r in json.loads(body)) == list(range(MAX_BATCH))
    status, body = _http(small_node, json.dumps([*batch, {**GET_SLOT, "id": MAX_BATCH}]).encode())
    reply = json.loads(body)
    assert status == 200 and reply["id"] is None and reply["error"]["code"] == -32600
    assert f"{MAX_BATCH + 1} requests" in reply["error"]["message"] and str(MAX_BATCH) in reply["error"]["message"]


async def test_batch_over_the_limit_is_refused_on_the_websocket(small_node: LocalNode) -> None:
    batch = [{"jsonrpc": "2.0", "id": i, "method": "slotUnsubscribe", "params": [i]} for i in range(MAX_BATCH + 1)]
    async with websockets.connect(small_node.ws_url, open_timeout=5) as ws:
        await ws.send(json.dumps(batch))
        reply = json.loads(await ws.recv())
    assert reply["error"]["code"] == -32600 and f"{MAX_BATCH + 1} requests" in reply["error"]["message"]


def test_node_keeps_serving_while_one_client_floods_it(local_node: LocalNode) -> None:
    """A client pipelining thousands of getProgramAccounts on one connection: others are answered meanwhile."""
    url = urlparse(local_node.rpc_url)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getProgramAccounts",
                       "params": [str(local_node.deployment.program_id), {"encoding": "base64"}]}).encode()
    request = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
               + str(len(body)).encode() + b"\r\n\r\n" + body)
    flood_count = 4000
    replies = [0]
    started = threading.Event()
    done = threading.Event()

    def flood() -> None:
        with socket.create_connection((url.hostname, url.port), timeout=30) as s:
            threading.Thread(target=s.sendall, args=(request * flood_count,), daemon=True).start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and replies[0] < flood_count:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                replies[0] += chunk.count(b"HTTP/1.1 200")
                started.set()
        done.set()

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    assert started.wait(10)
    latencies = []
    for _ in range(10):
        t = time.perf_counter()
        assert isinstance(local_node.rpc("getSlot", timeout_s=5)["result"], int)
        latencies.append(time.perf_counter() - t)
    still_flooding = not done.is_set()
    done.wait(60)
    assert still_flooding, "the flood ended before the probes: the test measured nothing"
    assert replies[0] == flood_count  # the flooder is served too, in full
    assert max(latencies) < 0.5, latencies
