"""An external centralised exchange as a ``Venue``, through ccxt's async API and its websockets (ccxt.pro).

Any exchange ccxt supports works: ``CcxtVenue.create("binanceusdm", {...})`` builds the client from
ccxt's own classes; the tests point one at the local venue emulator (``localnet.venue``). Every REST
round trip is timed into ``latency``. ccxt's exceptions become ``VenueError`` kinds:

- ``RateLimitExceeded``/``DDoSProtection`` -> RATE_LIMITED (``retry_after_s`` from the venue's
  ``Retry-After`` header when ccxt kept it, else ``rate_limit_wait_s``);
- ``AuthenticationError``/``PermissionDenied``/``AccountSuspended`` -> AUTH;
- ``InvalidOrder``/``InsufficientFunds``/``OrderNotFound``/``BadRequest``/``BadSymbol`` -> REJECTED;
- ``NetworkError`` (timeouts, 5xx, ``ExchangeNotAvailable``) -> RETRYABLE, DISCONNECTED for a stream.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import ccxt
import ccxt.pro as ccxtpro

from keepers.venues.base import (
    Book, ErrorKind, Fees, Latency, OrderReport, OrderRequest, Side, TimeInForce, VenueError,
)

T = TypeVar("T")

_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}


def _d(x: Any) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def venue_error(e: Exception, stream: bool = False, rate_limit_wait_s: float = 1.0) -> VenueError:
    """The ``VenueError`` for a ccxt exception (see the module docstring)."""
    if isinstance(e, (ccxt.RateLimitExceeded, ccxt.DDoSProtection)):
        return VenueError(ErrorKind.RATE_LIMITED, str(e), retry_after_s=rate_limit_wait_s)
    if isinstance(e, (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.AccountSuspended)):
        return VenueError(ErrorKind.AUTH, str(e))
    if isinstance(e, (ccxt.InvalidOrder, ccxt.InsufficientFunds, ccxt.OrderNotFound, ccxt.BadRequest,
                      ccxt.BadSymbol)):
        return VenueError(ErrorKind.REJECTED, str(e))
    if isinstance(e, ccxt.NetworkError):
        return VenueError(ErrorKind.DISCONNECTED if stream else ErrorKind.RETRYABLE, str(e))
    return VenueError(ErrorKind.RETRYABLE, f"{type(e).__name__}: {e}")


class CcxtVenue:
    """A ccxt exchange behind the ``Venue`` interface (see the module docstring)."""

    def __init__(self, exchange: ccxtpro.Exchange, *, name: str | None = None, rate_limit_wait_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.exchange = exchange
        self.name = name or exchange.id
        self.latency = Latency()
        self.rate_limit_wait_s = rate_limit_wait_s
        self._clock = clock
        self._symbol_of: dict[str, str] = {}  # venue id (BTCUSDT) or unified symbol -> unified symbol

    @classmethod
    def create(cls, exchange_id: str, config: dict[str, Any] | None = None, **kwargs: Any) -> CcxtVenue:
        """A venue on ccxt's exchange ``exchange_id`` (e.g. "binanceusdm"), websockets included."""
        try:
            klass = getattr(ccxtpro, exchange_id)
        except AttributeError:
            raise ValueError(f"ccxt has no websocket-capable exchange {exchange_id!r}") from None
        return cls(klass(config or {}), **kwargs)

    async def _call(self, fn: Callable[[], Awaitable[T]], stream: bool = False) -> T:
        started = self._clock()
        try:
            result = await fn()
        except ccxt.BaseError as e:
            raise venue_error(e, stream, self.rate_limit_wait_s) from e
        if not stream:
            self.latency.add(self._clock() - started)
        return result

    # -- the venue --------------------------------------------------------------------------------------
    async def start(self) -> None:
        markets = await self._call(self.exchange.load_markets)
        for symbol, m in markets.items():
            self._symbol_of[symbol] = symbol
            self._symbol_of[m["id"]] = symbol

    async def close(self) -> None:
        await self.exchange.close()

    def symbols(self) -> list[str]:
        return sorted(self.exchange.markets or {})

    def unified(self, symbol: str) -> str:
        """ccxt's unified symbol for ``symbol`` (which may be the venue's id); REJECTED when unknown."""
        try:
            return self._symbol_of[symbol]
        except KeyError:
            raise VenueError(ErrorKind.REJECTED, f"{self.name} lists no {symbol!r}") from None

    def fees(self, symbol: str) -> Fees:
        m = self.exchange.market(self.unified(symbol))
        return Fees(_d(m.get("maker")) or Decimal(0), _d(m.get("taker")) or Decimal(0))

    @staticmethod
    def _book(symbol: str, ob: dict[str, Any]) -> Book:
        return Book(symbol, tuple((_d(p), _d(q)) for p, q, *_ in ob["bids"]), tuple((_d(p), _d(q)) for p, q, *_ in ob["asks"]),
                    ob.get("timestamp"), ob.get("nonce"))

    async def book(self, symbol: str, depth: int = 20) -> Book:
        s = self.unified(symbol)
        return self._book(s, await self._call(lambda: self.exchange.fetch_order_book(s, depth)))

    async def watch_book(self, symbol: str) -> Book:
        s = self.unified(symbol)
        return self._book(s, await self._call(lambda: self.exchange.watch_order_book(s), stream=True))

    def _report(self, o: dict[str, Any]) -> OrderReport:
        return OrderReport(str(o["id"]), o.get("clientOrderId"), o["symbol"], Side(o["side"]), o["status"],
                           _d(o.get("amount")) or Decimal(0), _d(o.get("filled")) or Decimal(0), _d(o.get("average")),
                           _d(o.get("price")))

    async def place(self, order: OrderRequest) -> OrderReport:
        s = self.unified(order.symbol)
        params: dict[str, Any] = {}
        if order.client_id:
            params["clientOrderId"] = order.client_id
        if order.reduce_only:
            params["reduceOnly"] = True
        if order.price is None:
            kind, price = "market", None
        else:
            kind, price = "limit", float(order.price)
            if order.tif is TimeInForce.POST_ONLY:
                params["postOnly"] = True
            else:
                params["timeInForce"] = _TIF[order.tif]
        raw = await self._call(lambda: self.exchange.create_order(s, kind, order.side.value, float(order.qty), price, params))
        return self._report(raw)

    async def cancel(self, symbol: str, order_id: str) -> OrderReport:
        s = self.unified(symbol)
        return self._report(await self._call(lambda: self.exchange.cancel_order(order_id, s)))

    def qty_step(self, symbol: str) -> Decimal:
        """The smallest quantity step of ``symbol`` (ccxt's amount precision, in base units)."""
        m = self.exchange.market(self.unified(symbol))
        step = (m.get("precision") or {}).get("amount")
        if step is None:
            return Decimal(0)
        if self.exchange.precisionMode == ccxt.TICK_SIZE:
            return _d(step) or Decimal(0)
        return Decimal(1).scaleb(-int(step))  # a number of decimals

    async def order_by_client_id(self, symbol: str, client_id: str) -> OrderReport | None:
        """The order placed with ``client_id``, None when the venue has none (a send that never arrived)."""
        s = self.unified(symbol)
        try:
            raw = await self._call(lambda: self.exchange.fetch_order(None, s, {"origClientOrderId": client_id}))
        except VenueError as e:
            if e.kind is ErrorKind.REJECTED and isinstance(e.__cause__, ccxt.OrderNotFound):
                return None
            raise
        return self._report(raw)

    async def open_orders(self, symbol: str) -> list[OrderReport]:
        s = self.unified(symbol)
        return [self._report(o) for o in await self._call(lambda: self.exchange.fetch_open_orders(s))]

    async def balances(self) -> dict[str, Decimal]:
        raw = await self._call(self.exchange.fetch_balance)
        return {asset: _d(v) for asset, v in (raw.get("total") or {}).items() if v is not None}

    async def positions(self) -> dict[str, Decimal]:
        raw = await self._call(self.exchange.fetch_positions)
        out: dict[str, Decimal] = {}
        for p in raw:
            qty = _d(p.get("contracts")) or Decimal(0)
            size = qty * (_d(p.get("contractSize")) or Decimal(1))
            out[p["symbol"]] = -size if p.get("side") == "short" else size
        return out


__all__ = ["CcxtVenue", "venue_error"]
