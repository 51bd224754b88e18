"""keepers/observability/http_server.py: the protocol server's request framing, over real sockets on 127.0.0.1.

Requests arrive split, pipelined, half-closed, with ``Expect: 100-continue``; handlers answer at once,
through an awaitable, or fail. The localnet node's own tests cover the limits it configures (413 as a
JSON-RPC error, 431, malformed heads, a flooding client).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable

import pytest

from keepers.observability.http_server import HttpResponse, HttpServer

MAX_BODY = 1024


def _handler(method: str, path: str, headers: dict[str, str], body: bytes) -> HttpResponse | Awaitable[HttpResponse]:
    """Echo the path and body; ``/slow`` answers through a coroutine, ``/boom`` raises."""
    if path == "/boom":
        raise RuntimeError("handler bug")
    if path == "/slow":
        async def later() -> HttpResponse:
            await asyncio.sleep(0.05)
            return HttpResponse(200, b"slow:" + body, "text/plain")
        return later()
    return HttpResponse(200, path.encode() + b":" + body, "text/plain")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    server = HttpServer(_handler, MAX_BODY)
    bound = await server.start("127.0.0.1", 0)
    try:
        yield bound
    finally:
        await server.stop()


def _post(path: str, body: bytes, extra: bytes = b"") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n".encode() + extra + b"\r\n" + body)


async def _exchange(port: int, parts: list[bytes], half_close: bool = True, pause_s: float = 0.02) -> bytes:
    """Send ``parts`` with a pause between them, optionally shut the write side, read until EOF (5 s at most)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(pause_s)
        if half_close:
            sock = writer.get_extra_info("socket")
            sock.shutdown(socket.SHUT_WR)
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()


def _bodies(reply: bytes) -> list[tuple[int, bytes]]:
    """Split a stream of Content-Length responses into (status, body)."""
    out = []
    while reply:
        head, _, rest = reply.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(int(v) for k, _, v in (line.partition(b": ") for line in lines[1:]) if k.lower() == b"content-length")
        out.append((int(lines[0].split(b" ")[1]), rest[:length]))
        reply = rest[length:]
    return out


async def test_pipelined_requests_are_answered_in_order_whatever_the_handler_returns(port: int) -> None:
    stream = _post("/a", b"1") + _post("/slow", b"2") + _post("/boom", b"3") + _post("/b", b"4")
    reply = await _exchange(port, [stream])
    assert _bodies(reply) == [(200, b"/a:1"), (200, b"slow:2"), (500, b"internal error"), (200, b"/b:4")]


async def test_a_request_split_across_packets_is_reassembled(port: int) -> None:
    request = _post("/split", b'{"x": 1}')
    parts = [request[:5], request[5:30], request[30:-3], request[-3:]]
    assert _bodies(await _exchange(port, parts)) == [(200, b'/split:{"x": 1}')]


async def test_a_chunked_body_split_inside_chunks_and_with_trailers(port: int) -> None:
    head = b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n"
    assert _bodies(await _exchange(port, [head + chunks[:7], chunks[7:15], chunks[15:]])) == [(200, b"/c:abcdefg")]


async def test_expect_100_continue_is_answered_before_the_body_is_sent(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        await writer.drain()
        async with asyncio.timeout(5):
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
            writer.write(b"ok")
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 OK") and b"Connection: keep-alive" in head
            assert await reader.readexactly(5) == b"/e:ok"
    finally:
        writer.close()


async def test_a_body_over_the_limit_is_refused_before_it_is_sent_and_the_connection_closed(port: int) -> None:
    head = f"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode()
    assert _bodies(await _exchange(port, [head], half_close=False)) == [(413, f"request body exceeds {MAX_BODY} bytes".encode())]
    chunked = b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + f"{MAX_BODY + 1:x}\r\n".encode()
    assert _bodies(await _exchange(port, [chunked], half_close=False))[0][0] == 413


async def test_connection_close_and_http_1_0_end_the_connection_after_the_reply(port: int) -> None:
    close = _post("/one", b"", b"Connection: close\r\n") + _post("/never", b"")
    assert _bodies(await _exchange(port, [close], half_close=False)) == [(200, b"/one:")]
    old = b"GET /old HTTP/1.0\r\n\r\n" + _post("/never", b"")
    assert _bodies(await _exchange(port, [old], half_close=False)) == [(200, b"/old:")]


async def test_a_truncated_request_at_end_of_stream_is_dropped_without_a_reply(port: int) -> None:
    assert await _exchange(port, [_post("/t", b"12345")[:-2]]) == b""
