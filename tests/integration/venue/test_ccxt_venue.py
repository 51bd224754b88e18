"""``keepers.venues.CcxtVenue`` against the venue emulator through ccxt: books over REST and the stream,
orders with client ids and time in force, positions and balances, latency samples, and each ccxt
failure mapped to the error kind a strategy acts on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from keepers.venues.base import ErrorKind, OrderRequest, Side, TimeInForce, VenueError
from keepers.venues.ccxt_venue import CcxtVenue
from localnet.venue.server import VenueServer

@pytest.fixture
async def venue(server: VenueServer) -> AsyncIterator[CcxtVenue]:
    v = CcxtVenue.create("binanceusdm", server.ccxt_config())
    try:
        await asyncio.wait_for(v.start(), 10)
        yield v
    finally:
        await v.close()


async def test_books_fees_and_depth_cost(venue: CcxtVenue) -> None:
    assert venue.unified("BTCUSDT") == "BTC/USDT:USDT" and "SOL/USDT:USDT" in venue.symbols()
    book = await venue.book("BTCUSDT", 5)
    assert (book.best_bid, book.best_ask, book.mid) == (D("59988"), D("60012"), D("60000"))
    # 3 BTC from the asks: 2 at 60,012 and 1 at 60,024
    assert book.cost_to(Side.BUY, D("3")) == (D("3"), D("180048"))
    assert book.cost_to(Side.SELL, D("20")) == (D("10"), D("2") * (D("59988") + D("59976") + D("59964") + D("59952") + D("59940")))
    fees = venue.fees("BTCUSDT")
    assert fees.taker > fees.maker >= 0  # ccxt's schedule for binanceusdm
    streamed = await asyncio.wait_for(venue.watch_book("BTCUSDT"), 10)
    assert streamed.best_bid == D("59988") and streamed.sequence is not None
    assert len(venue.latency) >= 2 and venue.latency.percentile(0.99) >= venue.latency.percentile(0.5) > 0


async def test_orders_positions_and_balances(venue: CcxtVenue) -> None:
    taken = await venue.place(OrderRequest("BTCUSDT", Side.SELL, D("1"), D("59980"), TimeInForce.IOC, client_id="leg-1"))
    assert (taken.status, taken.filled, taken.average, taken.client_id) == ("closed", D("1"), D("59988"), "leg-1")
    assert await venue.positions() == {"BTC/USDT:USDT": D("-1")}  # ccxt leaves out flat instruments
    resting = await venue.place(OrderRequest("BTCUSDT", Side.BUY, D("0.5"), D("59000"), TimeInForce.POST_ONLY))
    assert [o.order_id for o in await venue.open_orders("BTCUSDT")] == [resting.order_id]
    assert (await venue.cancel("BTCUSDT", resting.order_id)).status == "canceled"
    # the margin balance: 100,000 less the taker fee on 59,988 plus (59,988 - 60,000) unrealised on the short
    fee = D("0.0005") * D("59988")
    assert (await venue.balances())["USDT"] == pytest.approx(D("100000") - fee + (D("59988") - D("60000")))


async def test_failures_come_as_error_kinds(server: VenueServer, venue: CcxtVenue) -> None:
    with pytest.raises(VenueError) as e:
        await venue.place(OrderRequest("BTCUSDT", Side.BUY, D("0.1"), D("60100"), TimeInForce.POST_ONLY))
    assert e.value.kind is ErrorKind.REJECTED  # would take
    with pytest.raises(VenueError) as e:
        await venue.cancel("BTCUSDT", "424242")
    assert e.value.kind is ErrorKind.REJECTED
    with pytest.raises(VenueError) as e:
        venue.unified("DOGEUSDT")
    assert e.value.kind is ErrorKind.REJECTED
    server.faults.fail_orders = 1
    with pytest.raises(VenueError) as e:
        await venue.place(OrderRequest("BTCUSDT", Side.BUY, D("0.1")))
    assert e.value.kind is ErrorKind.RETRYABLE  # HTTP 503
    server.faults.weight_per_s = 1
    results = await asyncio.gather(*(venue.book("BTCUSDT", 5) for _ in range(3)), return_exceptions=True)
    limited = [r for r in results if isinstance(r, VenueError) and r.kind is ErrorKind.RATE_LIMITED]
    assert len(limited) == 2 and all(r.retry_after_s > 0 for r in limited)
    server.faults.weight_per_s = 0
    wrong = CcxtVenue.create("binanceusdm", {**server.ccxt_config(), "secret": "f" * 64})
    try:
        await wrong.start()
        with pytest.raises(VenueError) as e:
            await wrong.balances()
        assert e.value.kind is ErrorKind.AUTH
    finally:
        await wrong.close()
    with pytest.raises(ValueError, match="no websocket-capable exchange"):
        CcxtVenue.create("not-an-exchange")
