"""The venue emulator's API: the subset of Binance USD-M futures that ccxt's ``binanceusdm`` uses.

REST under ``/fapi/v1``, ``/fapi/v2`` and ``/fapi/v3`` (exchange info, time, depth, book ticker; signed
new/cancel/query order, open orders, cancel all, account, balance, position risk, leverage brackets,
user trades), and the
market websocket (``/ws``, ``/public/ws/N``, ``/market/ws/N``: ``SUBSCRIBE`` to ``SYMBOL@depth@100ms``
diff-depth and ``SYMBOL@bookTicker`` streams) in Binance's message shapes, so that ccxt itself, pointed
at it (``VenueServer.ccxt_config``), is the client.

Signed requests are checked as Binance checks them: the API key header, an HMAC-SHA256 ``signature`` of
the query (or form body) keyed by the secret, and ``timestamp`` within ``recvWindow`` of the server's
clock. Errors are Binance's ``{"code": -N, "msg": ...}`` with its HTTP statuses, which ccxt maps to its
own exceptions. Faults (``VenueFaults``): added latency, a request-weight budget per second answered
with HTTP 429 (code -1003, ``Retry-After``), and disconnecting every websocket on demand.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import WSMsgType, web

from localnet.venue.matching import DepthDiff, Instrument, Order, Side, TimeInForce, Venue, VenueError

log = logging.getLogger("perpkeep.venue")

PERPETUAL_DELIVERY_MS = 4133404800000  # Binance's delivery date of a perpetual contract
DEFAULT_RECV_WINDOW_MS = 5_000
MAX_RECV_WINDOW_MS = 60_000
MAX_WS_MESSAGE_BYTES = 64 * 1024


@dataclass
class VenueFaults:
    """What goes wrong at the venue. ``weight_per_s``: requests accepted per second (0: no limit), beyond
    which requests get HTTP 429; ``latency_s`` (+ up to ``jitter_s``, seeded) before each answer;
    ``fail_orders``: the next this many new-order requests fail with HTTP 503 (code -1001)."""

    latency_s: float = 0.0
    jitter_s: float = 0.0
    weight_per_s: int = 0
    fail_orders: int = 0
    rate_limited: int = 0  # requests answered 429 so far
    _window: list[float] = field(default_factory=list)

    def over_limit(self, now: float) -> bool:
        if not self.weight_per_s:
            return False
        self._window = [t for t in self._window if now - t < 1.0]
        if len(self._window) >= self.weight_per_s:
            self.rate_limited += 1
            return True
        self._window.append(now)
        return False


def _s(x: Decimal) -> str:
    """A decimal as Binance writes it (no exponent, trailing zeros kept to the grid)."""
    return format(x, "f")


def _decimal(params: dict[str, str], name: str, required: bool = True) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise VenueError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise VenueError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.") from None
    if not value.is_finite():
        raise VenueError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
    return value


class BinanceUsdmApi:
    """The HTTP and websocket handlers over one ``Venue``."""

    def __init__(self, venue: Venue, api_key: str, secret: str, faults: VenueFaults | None = None,
                 seed: int = 0) -> None:
        self.venue, self.api_key, self.secret = venue, api_key, secret.encode()
        self.faults = faults or VenueFaults()
        self.rng = random.Random(f"venue-latency:{seed}")
        self.sockets: dict[web.WebSocketResponse, set[str]] = {}  # open market websockets -> their streams
        self.requests = 0
        venue.listeners.append(self._on_depth)

    # -- the application ----------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024)
        r = app.router
        for path, handler in [
            ("/fapi/v1/ping", self.ping), ("/fapi/v1/time", self.time), ("/fapi/v1/exchangeInfo", self.exchange_info),
            ("/fapi/v1/depth", self.depth), ("/fapi/v1/ticker/bookTicker", self.book_ticker),
            ("/fapi/v1/openOrders", self.open_orders), ("/fapi/v1/userTrades", self.user_trades),
            ("/fapi/v2/account", self.account), ("/fapi/v3/account", self.account),
            ("/fapi/v2/balance", self.balance), ("/fapi/v3/balance", self.balance),
            ("/fapi/v2/positionRisk", self.position_risk), ("/fapi/v3/positionRisk", self.position_risk),
            ("/fapi/v1/leverageBracket", self.leverage_bracket),
        ]:
            r.add_get(path, handler)
        r.add_post("/fapi/v1/order", self.new_order)
        r.add_get("/fapi/v1/order", self.query_order)
        r.add_delete("/fapi/v1/order", self.cancel_order)
        r.add_delete("/fapi/v1/allOpenOrders", self.cancel_all)
        for path in ("/ws", "/ws/{stream}", "/public/ws", "/public/ws/{stream}", "/market/ws", "/market/ws/{stream}"):
            r.add_get(path, self.websocket)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
        self.requests += 1
        f = self.faults
        if f.latency_s or f.jitter_s:
            await asyncio.sleep(f.latency_s + self.rng.uniform(0, f.jitter_s))
        if request.path.startswith("/fapi") and f.over_limit(time.monotonic()):
            return self._error(VenueError(-1003, "Too many requests; current limit is "
                                          f"{f.weight_per_s} requests per second.", 429), retry_after=1)
        try:
            return await handler(request)
        except VenueError as e:
            return self._error(e)

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")

    def _error(self, e: VenueError, retry_after: int | None = None) -> web.Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return web.Response(body=orjson.dumps({"code": e.code, "msg": e.msg}), status=e.http_status,
                            content_type="application/json", headers=headers)

    async def _signed(self, request: web.Request) -> dict[str, str]:
        """The request's parameters after Binance's key, signature and timestamp checks."""
        if request.headers.get("X-MBX-APIKEY") != self.api_key:
            raise VenueError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        raw = request.query_string
        if request.method == "POST":
            body = (await request.read()).decode("utf-8", "replace")
            raw = "&".join(x for x in (raw, body) if x)
        payload, sep, signature = raw.rpartition("&signature=")
        if not sep:
            raise VenueError(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
        expected = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise VenueError(-1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(payload, keep_blank_values=True))
        try:
            ts = int(params["timestamp"])
            window = int(params.get("recvWindow", DEFAULT_RECV_WINDOW_MS))
        except (KeyError, ValueError):
            raise VenueError(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.") from None
        if not 0 < window <= MAX_RECV_WINDOW_MS:
            raise VenueError(-1131, "recvWindow must be less than 60000")
        now = self.venue.now_ms()
        if ts > now + 1_000 or now - ts > window:
            raise VenueError(-1021, "Timestamp for this request is outside of the recvWindow.")
        return params

    # -- public -------------------------------------------------------------------------------------------
    async def ping(self, request: web.Request) -> web.Response:
        return self._json({})

    async def time(self, request: web.Request) -> web.Response:
        return self._json({"serverTime": self.venue.now_ms()})

    async def exchange_info(self, request: web.Request) -> web.Response:
        now = self.venue.now_ms()
        symbols = [self._symbol_info(i) for i in self.venue.instruments.values()]
        return self._json({
            "timezone": "UTC", "serverTime": now, "futuresType": "U_MARGINED",
            "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400}],
            "exchangeFilters": [],
            "assets": [{"asset": self.venue.quote, "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": symbols,
        })

    @staticmethod
    def _symbol_info(i: Instrument) -> dict[str, Any]:
        price_precision = max(-i.tick.normalize().as_tuple().exponent, 0)
        qty_precision = max(-i.step.normalize().as_tuple().exponent, 0)
        return {
            "symbol": i.symbol, "pair": i.symbol, "contractType": "PERPETUAL", "deliveryDate": PERPETUAL_DELIVERY_MS,
            "onboardDate": 1569398400000, "status": "TRADING", "baseAsset": i.base, "quoteAsset": i.quote,
            "marginAsset": i.quote, "pricePrecision": price_precision, "quantityPrecision": qty_precision,
            "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": [],
            "settlePlan": 0, "triggerProtect": "0.0500", "liquidationFee": "0.012500", "marketTakeBound": "0.05",
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": _s(i.tick), "maxPrice": "4529764", "tickSize": _s(i.tick)},
                {"filterType": "LOT_SIZE", "minQty": _s(i.min_qty), "maxQty": _s(i.max_qty), "stepSize": _s(i.step)},
                {"filterType": "MARKET_LOT_SIZE", "minQty": _s(i.min_qty), "maxQty": _s(i.max_qty), "stepSize": _s(i.step)},
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MIN_NOTIONAL", "notional": _s(i.min_notional)},
                {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"},
            ],
            "orderTypes": ["LIMIT", "MARKET"], "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        }

    async def depth(self, request: web.Request) -> web.Response:
        book = self.venue.book(request.query.get("symbol", ""))
        try:
            limit = int(request.query.get("limit", "500"))
        except ValueError:
            raise VenueError(-1100, "Illegal characters found in parameter 'limit'.") from None
        if limit not in (5, 10, 20, 50, 100, 500, 1000):
            raise VenueError(-1100, "Illegal characters found in parameter 'limit'; legal range is '5, 10, 20, 50, 100, 500, 1000'.")
        bids, asks = book.depth(limit)
        inst, now = book.instrument, self.venue.now_ms()
        return self._json({"lastUpdateId": book.update_id, "E": now, "T": now,
                           "bids": [[_s(inst.price(p)), _s(inst.qty(q))] for p, q in bids],
                           "asks": [[_s(inst.price(p)), _s(inst.qty(q))] for p, q in asks]})

    def _ticker(self, symbol: str) -> dict[str, Any]:
        book = self.venue.book(symbol)
        (bids, asks), inst = book.depth(1), book.instrument
        bid, ask = (bids or [(0, 0)])[0], (asks or [(0, 0)])[0]
        return {"symbol": symbol, "bidPrice": _s(inst.price(bid[0])), "bidQty": _s(inst.qty(bid[1])),
                "askPrice": _s(inst.price(ask[0])), "askQty": _s(inst.qty(ask[1])), "time": self.venue.now_ms(),
                "lastUpdateId": book.update_id}

    async def book_ticker(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol")
        if symbol is not None:
            return self._json(self._ticker(symbol))
        return self._json([self._ticker(s) for s in self.venue.instruments])

    # -- signed -------------------------------------------------------------------------------------------
    def _order_json(self, o: Order) -> dict[str, Any]:
        inst = self.venue.instruments[o.symbol]
        executed = inst.qty(o.filled)
        avg = (o.quote_filled / executed).quantize(inst.tick / 100) if executed else Decimal(0)
        return {"orderId": o.order_id, "symbol": o.symbol, "status": o.status, "clientOrderId": o.client_id,
                "price": _s(inst.price(o.price)), "avgPrice": _s(avg), "origQty": _s(inst.qty(o.qty)),
                "executedQty": _s(executed), "cumQty": _s(executed), "cumQuote": _s(o.quote_filled),
                "timeInForce": o.tif.value, "type": o.kind, "origType": o.kind, "reduceOnly": o.reduce_only,
                "closePosition": False, "side": o.side.value, "positionSide": "BOTH", "stopPrice": "0",
                "workingType": "CONTRACT_PRICE", "priceProtect": False, "priceMatch": "NONE",
                "selfTradePreventionMode": "NONE", "goodTillDate": 0, "time": o.time_ms, "updateTime": o.update_ms}

    async def new_order(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        if self.faults.fail_orders > 0:
            self.faults.fail_orders -= 1
            raise VenueError(-1001, "Internal error; unable to process your request. Please try again.", 503)
        try:
            side = Side(p.get("side", ""))
        except ValueError:
            raise VenueError(-1117, "Invalid side.") from None
        kind = p.get("type", "")
        try:
            tif = TimeInForce(p.get("timeInForce", "GTC"))
        except ValueError:
            raise VenueError(-1115, "Invalid timeInForce.") from None
        price = _decimal(p, "price", required=kind == "LIMIT")
        order = self.venue.place(p.get("symbol", ""), side, kind, _decimal(p, "quantity"), price, tif,
                                 p.get("newClientOrderId"), p.get("reduceOnly", "false").lower() == "true")
        if order.status == "EXPIRED" and order.tif is TimeInForce.GTX:
            raise VenueError(-5022, "Due to the order could not be executed as maker, the Post Only order will be rejected.")
        return self._json(self._order_json(order))

    def _which(self, p: dict[str, str]) -> tuple[str, int | None, str | None]:
        try:
            order_id = int(p["orderId"]) if p.get("orderId") else None
        except ValueError:
            raise VenueError(-1100, "Illegal characters found in parameter 'orderId'.") from None
        return p.get("symbol", ""), order_id, p.get("origClientOrderId")

    async def query_order(self, request: web.Request) -> web.Response:
        return self._json(self._order_json(self.venue.find(*self._which(await self._signed(request)))))

    async def cancel_order(self, request: web.Request) -> web.Response:
        return self._json(self._order_json(self.venue.cancel(*self._which(await self._signed(request)))))

    async def cancel_all(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        for o in self.venue.open_orders(p.get("symbol") or None):
            self.venue.cancel(o.symbol, o.order_id)
        return self._json({"code": 200, "msg": "The operation of cancel all open order is done."})

    async def open_orders(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        return self._json([self._order_json(o) for o in self.venue.open_orders(p.get("symbol") or None)])

    async def user_trades(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        symbol = p.get("symbol", "")
        self.venue.book(symbol)
        out = []
        for n, f in enumerate(self.venue.fills):
            if f.symbol != symbol:
                continue
            out.append({"symbol": f.symbol, "id": n + 1, "orderId": f.order_id, "side": f.side.value,
                        "price": _s(f.price), "qty": _s(f.qty), "realizedPnl": _s(f.realized_pnl),
                        "quoteQty": _s(f.price * f.qty), "commission": _s(f.fee), "commissionAsset": self.venue.quote,
                        "time": f.time_ms, "positionSide": "BOTH", "maker": f.maker, "buyer": f.side is Side.BUY})
        return self._json(out[-int(p.get("limit", "500")):])

    def _positions(self) -> list[dict[str, Any]]:
        v, out = self.venue, []
        for symbol, pos in v.positions.items():
            mark = v.books[symbol].reference
            out.append({"symbol": symbol, "positionSide": "BOTH", "positionAmt": _s(pos.qty), "entryPrice": _s(pos.entry),
                        "breakEvenPrice": _s(pos.entry), "markPrice": _s(mark), "unRealizedProfit": _s(v.unrealized(symbol)),
                        "unrealizedProfit": _s(v.unrealized(symbol)), "liquidationPrice": "0", "leverage": "10",
                        "maxNotionalValue": "1000000", "marginType": "cross", "isolatedMargin": "0", "isolatedWallet": "0",
                        "isAutoAddMargin": "false", "notional": _s(pos.qty * mark), "initialMargin": _s(abs(pos.qty * mark) / 10),
                        "maintMargin": _s(abs(pos.qty * mark) / 200), "marginAsset": v.quote, "adl": 0, "bidNotional": "0",
                        "askNotional": "0", "updateTime": v.now_ms()})
        return out

    def _asset(self) -> dict[str, Any]:
        v = self.venue
        unrealized = sum((v.unrealized(s) for s in v.positions), Decimal(0))
        used = sum((abs(p.qty) * v.books[s].reference / 10 for s, p in v.positions.items()), Decimal(0))
        free = v.wallet + unrealized - used
        return {"asset": v.quote, "walletBalance": _s(v.wallet), "unrealizedProfit": _s(unrealized),
                "marginBalance": _s(v.wallet + unrealized), "maintMargin": _s(used / 20), "initialMargin": _s(used),
                "positionInitialMargin": _s(used), "openOrderInitialMargin": "0", "crossWalletBalance": _s(v.wallet),
                "crossUnPnl": _s(unrealized), "availableBalance": _s(free), "maxWithdrawAmount": _s(free),
                "marginAvailable": True, "updateTime": v.now_ms()}

    async def account(self, request: web.Request) -> web.Response:
        await self._signed(request)
        a = self._asset()
        return self._json({"feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True, "updateTime": 0,
                           "multiAssetsMargin": False, "totalInitialMargin": a["initialMargin"],
                           "totalMaintMargin": a["maintMargin"], "totalWalletBalance": a["walletBalance"],
                           "totalUnrealizedProfit": a["unrealizedProfit"], "totalMarginBalance": a["marginBalance"],
                           "totalCrossWalletBalance": a["crossWalletBalance"], "totalCrossUnPnl": a["crossUnPnl"],
                           "availableBalance": a["availableBalance"], "maxWithdrawAmount": a["maxWithdrawAmount"],
                           "assets": [a], "positions": self._positions()})

    async def balance(self, request: web.Request) -> web.Response:
        await self._signed(request)
        a = self._asset()
        return self._json([{"accountAlias": "perpkeep", "asset": a["asset"], "balance": a["walletBalance"],
                            "crossWalletBalance": a["crossWalletBalance"], "crossUnPnl": a["crossUnPnl"],
                            "availableBalance": a["availableBalance"], "maxWithdrawAmount": a["maxWithdrawAmount"],
                            "marginAvailable": True, "updateTime": a["updateTime"]}])

    async def position_risk(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        symbol = p.get("symbol")
        return self._json([x for x in self._positions() if symbol in (None, x["symbol"])])

    async def leverage_bracket(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        symbol = p.get("symbol")
        return self._json([{"symbol": s, "brackets": [{"bracket": 1, "initialLeverage": 10, "notionalCap": 1_000_000,
                                                      "notionalFloor": 0, "maintMarginRatio": 0.005, "cum": 0.0}]}
                           for s in self.venue.instruments if symbol in (None, s)])

    # -- the market websocket -----------------------------------------------------------------------------
    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=MAX_WS_MESSAGE_BYTES)
        await ws.prepare(request)
        self.sockets[ws] = set()
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._ws_request(ws, msg.data)
        finally:
            self.sockets.pop(ws, None)
        return ws

    async def _ws_request(self, ws: web.WebSocketResponse, text: str) -> None:
        try:
            req = orjson.loads(text)
            method, params, rid = req["method"], req.get("params", []), req.get("id")
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                raise ValueError
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            await ws.send_str(orjson.dumps({"error": {"code": 2, "msg": "Invalid request"}, "id": None}).decode())
            return
        streams = self.sockets.setdefault(ws, set())
        if method == "SUBSCRIBE":
            for stream in params:
                symbol = stream.split("@", 1)[0].upper()
                if symbol not in self.venue.instruments or "@" not in stream:
                    await ws.send_str(orjson.dumps({"error": {"code": 2, "msg": f"Invalid stream: {stream}"}, "id": rid}).decode())
                    return
            streams.update(params)
            await ws.send_str(orjson.dumps({"result": None, "id": rid}).decode())
        elif method == "UNSUBSCRIBE":
            streams.difference_update(params)
            await ws.send_str(orjson.dumps({"result": None, "id": rid}).decode())
        elif method == "LIST_SUBSCRIPTIONS":
            await ws.send_str(orjson.dumps({"result": sorted(streams), "id": rid}).decode())
        else:
            await ws.send_str(orjson.dumps({"error": {"code": 1, "msg": f"Unknown method: {method}"}, "id": rid}).decode())

    def _on_depth(self, diff: DepthDiff) -> None:
        """Push one book change to its subscribers (called synchronously by the venue)."""
        if not self.sockets:
            return
        inst = self.venue.instruments[diff.symbol]
        low = diff.symbol.lower()
        depth = orjson.dumps({
            "e": "depthUpdate", "E": diff.time_ms, "T": diff.time_ms, "s": diff.symbol,
            "U": diff.update_id, "u": diff.update_id, "pu": diff.update_id - 1,
            "b": [[_s(inst.price(p)), _s(inst.qty(q))] for p, q in diff.bids],
            "a": [[_s(inst.price(p)), _s(inst.qty(q))] for p, q in diff.asks]}).decode()
        t = self._ticker(diff.symbol)
        ticker = orjson.dumps({"e": "bookTicker", "u": diff.update_id, "s": diff.symbol, "b": t["bidPrice"],
                               "B": t["bidQty"], "a": t["askPrice"], "A": t["askQty"], "T": diff.time_ms, "E": diff.time_ms}).decode()
        for ws, streams in list(self.sockets.items()):
            for stream in streams:
                if not stream.startswith(low + "@") or ws.closed:
                    continue
                payload = depth if "@depth" in stream else ticker if stream.endswith("@bookTicker") else None
                if payload is not None:
                    asyncio.ensure_future(ws.send_str(payload))

    async def disconnect_websockets(self) -> int:
        """Close every market websocket (a venue-side disconnect); returns how many were open."""
        sockets = list(self.sockets)
        for ws in sockets:
            await ws.close(code=1001, message=b"venue restart")
        return len(sockets)


__all__ = ["BinanceUsdmApi", "VenueFaults"]
