"""The venue emulator as a server on 127.0.0.1, and the ccxt configuration that points at it.

    async with VenueServer.default(seed=7) as venue:
        exchange = ccxt.pro.binanceusdm(venue.ccxt_config())
        await exchange.load_markets()
        ...

``follow`` moves an instrument's reference price after an external source (e.g. a scenario's oracle
price) with a lag and seeded noise, so the venue and the program's markets move together.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import secrets
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from types import TracebackType
from typing import Any

from aiohttp import web

from localnet.venue.binance_usdm import BinanceUsdmApi, VenueFaults
from localnet.venue.matching import Crowd, Instrument, Venue

HOST = "127.0.0.1"


def default_instruments() -> list[Instrument]:
    """BTCUSDT and SOLUSDT perpetuals with Binance's grids."""
    return [
        Instrument("BTCUSDT", "BTC", "USDT", Decimal("0.10"), Decimal("0.001"), Decimal("0.001"), Decimal("1000"), Decimal("100")),
        Instrument("SOLUSDT", "SOL", "USDT", Decimal("0.0100"), Decimal("1"), Decimal("1"), Decimal("1000000"), Decimal("5")),
    ]


@functools.cache
def _ccxt_api_keys() -> tuple[str, ...]:
    """The REST API names of ccxt's binanceusdm (their base URLs are replaced by ``ccxt_config``)."""
    import ccxt

    return tuple(k for k, v in ccxt.binanceusdm().urls["api"].items() if isinstance(v, str))


class VenueServer:
    """A ``Venue`` served by ``BinanceUsdmApi`` on a free port of 127.0.0.1 (``start``/``stop`` or ``async with``)."""

    def __init__(self, venue: Venue, *, api_key: str | None = None, secret: str | None = None,
                 faults: VenueFaults | None = None, seed: int = 0, port: int = 0) -> None:
        self.venue = venue
        self.api_key = api_key or secrets.token_hex(16)
        self.secret = secret or secrets.token_hex(32)
        self.api = BinanceUsdmApi(venue, self.api_key, self.secret, faults, seed)
        self.port = port
        self._runner: web.AppRunner | None = None
        self._followers: list[asyncio.Task[None]] = []
        self.seed = seed

    @classmethod
    def default(cls, *, seed: int = 0, prices: dict[str, float] | None = None, crowd: Crowd | None = None,
                faults: VenueFaults | None = None, balance: Decimal = Decimal("100000")) -> VenueServer:
        """The default instruments, their crowds around ``prices`` (BTC 60,000 and SOL 150 unless given)."""
        venue = Venue(default_instruments(), seed=seed, crowd=crowd, balance=balance)
        for symbol, price in {"BTCUSDT": 60_000.0, "SOLUSDT": 150.0, **(prices or {})}.items():
            venue.set_reference(symbol, price)
        return cls(venue, faults=faults, seed=seed)

    @property
    def faults(self) -> VenueFaults:
        return self.api.faults

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws"

    async def start(self) -> VenueServer:
        runner = web.AppRunner(self.api.app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner
        return self

    async def stop(self) -> None:
        for task in self._followers:
            task.cancel()
        for task in self._followers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._followers.clear()
        await self.api.disconnect_websockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> VenueServer:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    def ccxt_config(self, **extra: Any) -> dict[str, Any]:
        """Keyword configuration for ``ccxt.binanceusdm`` / ``ccxt.pro.binanceusdm`` aimed at this server:
        its keys, every USD-M REST base and the market websocket, linear markets only."""
        # Every other API of Binance (spot, margin, options...) points here too, at paths the emulator does
        # not serve: a call it does not emulate gets a local 404, never a request to the internet.
        api = {key: f"{self.url}/unsupported/{key}" for key in _ccxt_api_keys()}
        api.update({f"fapi{kind}{suffix}": f"{self.url}/fapi/v{version}"
                    for kind in ("Public", "Private") for suffix, version in (("", 1), ("V2", 2), ("V3", 3))})
        api["ws"] = {key: self.ws_url for key in ("spot", "margin", "linear", "inverse", "option", "optionMarket",
                                                 "optionPrivate", "papi", "stock")}
        api["ws"]["ws-api"] = {key: f"{self.ws_url}-api/{key}" for key in ("spot", "linear", "inverse")}
        config: dict[str, Any] = {
            "apiKey": self.api_key, "secret": self.secret, "enableRateLimit": False, "urls": {"api": api},
            "options": {"fetchMarkets": {"types": ["linear"]}, "adjustForTimeDifference": False,
                        "warnOnFetchOpenOrdersWithoutSymbol": False, "fetchCurrencies": False},
        }
        config.update(extra)
        return config

    def follow(self, symbol: str, source: Callable[[], float | None], *, every_s: float = 0.2, lag_s: float = 0.0,
               noise_bps: float = 0.0) -> asyncio.Task[None]:
        """Move ``symbol``'s reference every ``every_s`` to ``source()`` as it was ``lag_s`` ago, times
        (1 + noise) with noise ~ N(0, noise_bps) from a seeded RNG; None from the source holds the price."""
        rng = random.Random(f"venue-follow:{self.seed}:{symbol}")
        history: deque[float] = deque(maxlen=max(1, round(lag_s / every_s)) + 1)

        async def run() -> None:
            while True:
                price = source()
                if price is not None:
                    history.append(price)
                    lagged = history[0]
                    self.venue.set_reference(symbol, round(lagged * (1 + rng.gauss(0.0, noise_bps / 10_000)), 8))
                await asyncio.sleep(every_s)

        task = asyncio.ensure_future(run())
        self._followers.append(task)
        return task


__all__ = ["HOST", "VenueServer", "default_instruments"]
