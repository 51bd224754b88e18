"""sim.paper's price feeds without a node: message shapes, a file replayed in wall-clock time, a real
websocket server on 127.0.0.1, and the errors for bad sources and deployment folders."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import numpy as np
import pytest
import websockets

from sim.data import PriceSeries, sample_path
from sim.paper import (FileFeed, PaperError, StreamPath, WebSocketFeed, load_deployment, make_feed,
                       parse_price_message)

T0 = 1_735_689_600.0


@pytest.mark.parametrize("message, price", [
    ('{"e":"aggTrade","E":1,"s":"SOLUSDT","a":5,"p":"190.01","q":"1.5","T":1735689600123,"m":true}', 190.01),
    ('{"e":"trade","p":"189.5","q":"2","T":1735689600123}', 189.5),
    ('{"stream":"solusdt@aggTrade","data":{"e":"aggTrade","p":"191.25","T":1}}', 191.25),
    ('{"e":"kline","k":{"o":"190","c":"192.5","x":false}}', 192.5),
    ('{"price": 150}', 150.0),
])
def test_price_message_shapes(message: str, price: float) -> None:
    assert parse_price_message(message) == price


@pytest.mark.parametrize("message, why", [
    ("hello", "not JSON"), ("[1, 2]", "not a JSON object"), ('{"e":"depthUpdate","b":[]}', "no price field"),
    ('{"p":"abc"}', "not a number"), ('{"price": -1}', "not positive"), ('{"price": true}', "not a number"),
])
def test_bad_price_messages_say_why(message: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_price_message(message)


async def test_file_feed_follows_recorded_time_at_speed() -> None:
    s = PriceSeries(T0 + np.arange(11.0), 100.0 + np.arange(11.0))  # 10 recorded seconds
    feed = FileFeed(s, speed=20.0)                                    # ~0.5 wall seconds
    seen: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(stop))
    t = time.monotonic()
    while time.monotonic() - t < 5:
        if feed.latest is not None and (not seen or seen[-1] != feed.latest):
            seen.append(feed.latest)
        if task.done():
            break
        await asyncio.sleep(0.01)
    assert task.done() and feed.ended and feed.end_reason == "end of file"
    assert 0.4 < time.monotonic() - t < 3.0
    assert seen == sorted(seen) and seen[0] == 100 and seen[-1] == 110   # in file order, to the end
    assert len(seen) >= 6 and feed.received == 11 and feed.progress == 1.0
    path = StreamPath(feed, initial=1.0)
    assert path.next_price(random.Random(0)) == 110


async def test_websocket_feed_takes_prices_and_counts_bad_messages() -> None:
    sent = ['{"e":"aggTrade","p":"190.5","T":1}', "not json", '{"price": 191}']

    async def serve(ws: websockets.ServerConnection) -> None:
        for m in sent:
            await ws.send(m)
        await ws.close()

    async with websockets.serve(serve, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        feed = WebSocketFeed(f"ws://127.0.0.1:{port}")
        await asyncio.wait_for(feed.run(asyncio.Event()), 10)
    assert (feed.latest, feed.received, feed.ignored) == (191.0, 2, 1)
    assert feed.ended and feed.error is None and "closed the connection" in feed.end_reason


async def test_websocket_feed_that_cannot_connect_reports_the_url() -> None:
    with socket_closed_port() as port:
        feed = WebSocketFeed(f"ws://127.0.0.1:{port}/feed", open_timeout_s=3)
        await asyncio.wait_for(feed.run(asyncio.Event()), 10)
    assert feed.ended and feed.error is not None and f"cannot connect to ws://127.0.0.1:{port}/feed" in feed.error


def socket_closed_port():  # noqa: ANN201 - a context manager yielding a port nobody listens on
    import contextlib
    import socket

    @contextlib.contextmanager
    def cm():  # noqa: ANN202
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            yield s.getsockname()[1]  # bound, not listening: connections are refused

    return cm()


def test_bad_sources_and_folders_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(PaperError, match="starts with ws:// or wss://"):
        make_feed("http://127.0.0.1:1/prices")
    with pytest.raises(PaperError, match=r"absent\.csv: no such file"):
        make_feed(str(tmp_path / "absent.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,price\n1735689600,1\n1735689601,x\n")
    with pytest.raises(PaperError, match=r"bad\.csv: line 3: column 'price'"):
        make_feed(str(bad))
    with pytest.raises(PaperError, match="speed must be positive"):
        make_feed(str(sample_path("SOLUSDT-1m-2025-01-01-plain.csv")), speed=0)
    with pytest.raises(PaperError, match="start .* is outside"):
        make_feed(str(sample_path("SOLUSDT-1m-2025-01-01-plain.csv")), start=T0 - 86_400)
    with pytest.raises(PaperError, match=r"deployment\.json: .*--out folder of `perpkeep localnet up`"):
        load_deployment(tmp_path)
    (tmp_path / "deployment.json").write_text(json.dumps({"markets": []}))
    with pytest.raises(PaperError, match="not a deployment written by"):
        load_deployment(tmp_path)


def test_the_command_reports_a_missing_deployment_and_refuses_bad_options(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from perpkeep_cli import main

    assert main(["paper", str(sample_path("SOLUSDT-1m-2025-01-01.csv")), "--deployment", str(tmp_path)]) == 1
    assert f"perpkeep: {tmp_path / 'deployment.json'}: No such file or directory" in capsys.readouterr().err
    for bad in (["--speed", "0"], ["--bots", "sniper"], ["--start", "yesterday"]):
        with pytest.raises(SystemExit) as e:
            main(["paper", "x.csv", "--deployment", str(tmp_path), *bad])
        assert e.value.code == 2
