"""The venue emulator through ccxt itself (``ccxt.pro.binanceusdm``) on 127.0.0.1: markets, the book
over REST and the diff-depth websocket, orders and their fills, fees, positions, balances, signed-request
checks, HTTP 429 and a venue-side disconnect.

Expected values are worked out from the crowd's shape: a reference of 60,000 with a 2 bps half spread
puts the best bid at floor(60,000 x 0.9998 / 0.1) x 0.1 = 59,988.0 and the best ask at
ceil(60,000 x 1.0002 / 0.1) x 0.1 = 60,012.0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import ccxt
import ccxt.pro as ccxtpro
import pytest

from localnet.venue.server import VenueServer
from tests.integration.venue.conftest import FLAT_CROWD

BTC = "BTC/USDT:USDT"
@pytest.fixture
async def exchange(server: VenueServer) -> AsyncIterator[ccxtpro.Exchange]:
    ex = ccxtpro.binanceusdm(server.ccxt_config())
    try:
        await asyncio.wait_for(ex.load_markets(), 10)
        yield ex
    finally:
        await ex.close()


async def test_markets_and_book_are_binance_shaped(exchange: ccxtpro.Exchange) -> None:
    m = exchange.market(BTC)
    assert (m["swap"], m["linear"], m["settle"], m["precision"]["price"], m["precision"]["amount"]) == (True, True, "USDT", 0.1, 0.001)
    book = await exchange.fetch_order_book(BTC, 5)
    assert book["bids"][0] == [59988.0, 2.0] and book["asks"][0] == [60012.0, 2.0]
    # five levels 2 bps apart: the fifth ask at ceil(60,000 x 1.0010 / 0.1) x 0.1 = 60,060.0
    assert [p for p, _ in book["asks"]] == [60012.0, 60024.0, 60036.0, 60048.0, 60060.0]


async def test_a_market_buy_walks_the_book_pays_the_taker_fee_and_opens_a_position(exchange: ccxtpro.Exchange) -> None:
    order = await exchange.create_order(BTC, "market", "buy", 3.0)
    # 2.0 at 60,012.0 and 1.0 at 60,024.0: average 60,016.0
    assert (order["status"], order["filled"], order["average"]) == ("closed", 3.0, 60016.0)
    trades = await exchange.fetch_my_trades(BTC)
    assert [(t["price"], t["amount"], t["takerOrMaker"]) for t in trades] == [(60012.0, 2.0, "taker"), (60024.0, 1.0, "taker")]
    assert sum(t["fee"]["cost"] for t in trades) == pytest.approx(0.0005 * (60012.0 * 2 + 60024.0))
    (pos,) = await exchange.fetch_positions([BTC])
    assert (pos["side"], pos["contracts"], pos["entryPrice"]) == ("long", 3.0, 60016.0)
    balance = await exchange.fetch_balance()
    # ccxt's total is the margin balance: the wallet after fees plus the unrealised (60,000 - 60,016) x 3
    assert balance["USDT"]["total"] == pytest.approx(100_000 - 0.0005 * 180_048.0 - 48.0)


async def test_a_resting_bid_fills_as_maker_when_the_crowd_moves_through_it(server: VenueServer,
                                                                         exchange: ccxtpro.Exchange) -> None:
    order = await exchange.create_order(BTC, "limit", "buy", 0.5, 59_000.0)
    assert order["status"] == "open" and len(await exchange.fetch_open_orders(BTC)) == 1
    server.venue.set_reference("BTCUSDT", 58_000.0)  # the crowd now asks 58,011.6 and up
    filled = await exchange.fetch_order(order["id"], BTC)
    assert (filled["status"], filled["filled"], filled["average"]) == ("closed", 0.5, 59000.0)
    (trade,) = await exchange.fetch_my_trades(BTC)
    assert trade["takerOrMaker"] == "maker" and trade["fee"]["cost"] == pytest.approx(0.0002 * 59_000 * 0.5)
    assert await exchange.fetch_open_orders(BTC) == []


async def test_time_in_force_post_only_and_cancel(exchange: ccxtpro.Exchange) -> None:
    with pytest.raises(ccxt.InvalidOrder, match="-5022"):  # post-only that would take
        await exchange.create_order(BTC, "limit", "buy", 0.1, 60_100.0, {"timeInForce": "GTX"})
    fok = await exchange.create_order(BTC, "limit", "buy", 50.0, 60_100.0, {"timeInForce": "FOK"})
    assert (fok["status"], fok["filled"]) == ("expired", 0.0)  # 10 BTC of asks up to 60,060: not all 50
    ioc = await exchange.create_order(BTC, "limit", "buy", 3.0, 60_020.0, {"timeInForce": "IOC"})
    assert (ioc["status"], ioc["filled"]) == ("expired", 2.0)  # only the 60,012.0 level is at or under 60,020
    resting = await exchange.create_order(BTC, "limit", "sell", 0.2, 61_000.0, {"clientOrderId": "quote-1"})
    assert resting["clientOrderId"] == "quote-1"
    assert (await exchange.cancel_order(resting["id"], BTC))["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order(resting["id"], BTC)


async def test_bad_orders_get_binance_errors(exchange: ccxtpro.Exchange) -> None:
    with pytest.raises(ccxt.BadRequest, match="-4014"):  # off the 0.1 tick grid
        await exchange.fapiPrivatePostOrder({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                           "quantity": "0.1", "price": "59000.05"})
    with pytest.raises(ccxt.BadRequest, match="-1102"):  # no quantity
        await exchange.fapiPrivatePostOrder({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"})
    with pytest.raises(ccxt.BadSymbol):
        await exchange.fapiPublicGetDepth({"symbol": "NOPEUSDT"})


async def test_what_the_emulator_does_not_serve_stays_local(server: VenueServer, exchange: ccxtpro.Exchange) -> None:
    with pytest.raises(ccxt.ExchangeNotAvailable, match=f"{server.url}/unsupported/public"):  # spot: 404 here
        await exchange.publicGetTime()


async def test_signed_requests_are_checked(server: VenueServer) -> None:
    wrong_secret = ccxtpro.binanceusdm({**server.ccxt_config(), "secret": "0" * 64})
    wrong_key = ccxtpro.binanceusdm({**server.ccxt_config(), "apiKey": "someone-else"})
    try:
        with pytest.raises(ccxt.AuthenticationError, match="-1022"):
            await wrong_secret.fetch_balance()
        with pytest.raises(ccxt.AuthenticationError, match="-2015"):
            await wrong_key.fetch_balance()
        with pytest.raises(ccxt.InvalidNonce):  # -1021: the client's clock a minute behind
            await ccxt_call_with_old_timestamp(server)
    finally:
        await wrong_secret.close()
        await wrong_key.close()


async def ccxt_call_with_old_timestamp(server: VenueServer) -> None:
    ex = ccxtpro.binanceusdm(server.ccxt_config())
    ex.milliseconds = lambda: server.venue.now_ms() - 60_000  # the client's clock a minute behind
    try:
        await ex.fapiPrivateGetOpenOrders()
    finally:
        await ex.close()


async def test_request_rate_beyond_the_budget_gets_429(server: VenueServer, exchange: ccxtpro.Exchange) -> None:
    server.faults.weight_per_s = 3
    results = await asyncio.gather(*(exchange.fetch_order_book(BTC, 5) for _ in range(6)), return_exceptions=True)
    limited = [r for r in results if isinstance(r, ccxt.DDoSProtection)]  # ccxt's RateLimitExceeded is one
    assert len(limited) == 3 and server.faults.rate_limited == 3, results


async def test_the_depth_stream_follows_the_book_and_survives_a_disconnect(server: VenueServer,
                                                                          exchange: ccxtpro.Exchange) -> None:
    book = await asyncio.wait_for(exchange.watch_order_book(BTC), 10)
    assert book["bids"][0] == [59988.0, 2.0]
    server.venue.set_reference("BTCUSDT", 61_000.0)  # best bid floor(61,000 x 0.9998 / 0.1) x 0.1 = 60,987.8
    book = await asyncio.wait_for(exchange.watch_order_book(BTC), 10)
    assert book["bids"][0] == [60987.8, 2.0] and len(book["bids"]) == 5  # the old levels were removed
    assert await server.api.disconnect_websockets() == 1
    for _ in range(3):  # the pending watch fails with the disconnect; ccxt resubscribes on the next call
        try:
            book = await asyncio.wait_for(exchange.watch_order_book(BTC), 10)
            break
        except ccxt.NetworkError:
            continue
    server.venue.set_reference("BTCUSDT", 60_000.0)
    book = await asyncio.wait_for(exchange.watch_order_book(BTC), 10)
    assert book["bids"][0] == [59988.0, 2.0] and book["asks"][0] == [60012.0, 2.0]


async def test_follow_moves_the_reference_after_a_source_with_lag() -> None:
    async with VenueServer.default(seed=1, crowd=FLAT_CROWD, prices={"SOLUSDT": 99.0}) as server:
        book = server.venue.books["SOLUSDT"]
        seen: list[float] = []  # the reference when the source is asked for its n-th price (100 + n)

        def source() -> float:
            seen.append(float(book.reference))
            return 100.0 + len(seen) - 1

        server.follow("SOLUSDT", source, every_s=0.01, lag_s=0.02)
        for _ in range(200):
            if len(seen) >= 7:
                break
            await asyncio.sleep(0.01)
    # with a two-tick lag the reference holds the first price (100) for three ticks, then trails by two
    assert seen[:7] == [99.0, 100.0, 100.0, 100.0, 101.0, 102.0, 103.0]


async def test_the_venue_command_serves_ccxt_until_sigterm(tmp_path) -> None:  # noqa: ANN001
    import json
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "perpkeep_cli", "localnet", "venue", "--port", str(port),
                             "--price", "SOLUSDT=140"], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for _ in range(200):  # the config is printed as JSON between "config =" and "Ctrl-C stops"
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
            if line.startswith("Ctrl-C"):
                break
            lines.append(line)
        config = json.loads("".join(lines[lines.index(next(x for x in lines if x.startswith("ccxt:"))) + 1:]))
        ex = ccxtpro.binanceusdm(config)
        try:
            book = await ex.fetch_order_book("SOL/USDT:USDT", 5)
            assert book["bids"][0][0] < 140.0 < book["asks"][0][0]
            assert (await ex.fetch_balance())["USDT"]["free"] == 100_000.0
        finally:
            await ex.close()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "stopped after" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("args", "message"), [(["--price", "FOO=1"], "lists BTCUSDT and SOLUSDT"),
                                               (["--latency-ms", "-1"], "must be 0 or more"),
                                               (["--port", "70000"], "not a port number")])
def test_the_venue_command_refuses_bad_arguments(args: list[str], message: str) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "perpkeep_cli", "localnet", "venue", *args], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and message in r.stderr, r.stderr
