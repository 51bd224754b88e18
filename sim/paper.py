"""Paper trading: the keeper runtime's bots live against an RPC node, with oracle prices following an
external stream in wall-clock time (`perpkeep paper`).

The node is the one `perpkeep localnet up --price-path external` serves (that option stops the node's own
publisher; paper refuses to start when another publisher moves the prices). Its ``--out`` folder gives the
endpoints, the markets' mock-oracle accounts, the oracle authority and the keeper configuration.

Sources (``make_feed``):

- a price file (any format of ``sim.data``), replayed at real speed or ``speed`` times faster: after
  ``w`` wall seconds the price is the file's last price at or before ``start + w * speed``; the run ends
  when the file does (unless ``hold``);
- a websocket URL (``ws://`` or ``wss://``) sending JSON text messages, one price each, in any of these
  shapes (see ``parse_price_message``): Binance's ``@aggTrade`` / ``@trade`` events
  ``{"e": "aggTrade", "p": "190.01", "T": 1735689600123, ...}``, its kline events
  ``{"e": "kline", "k": {"c": "190.01", ...}}``, a combined-stream wrapper ``{"stream": ..., "data": {...}}``
  around either, or a plain ``{"price": 190.01}``.

The stream's market (``market``, default the first) gets the stream's latest price; the other markets keep
their current price, re-published so that they do not go stale. Prices are written through the mock
oracle every ``cadence_slots`` slots by ``localnet.price_service.RpcPriceFeed``'s publishers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from solders.pubkey import Pubkey

from keepers.exchange.oracles import OracleError, OracleKind, decode_oracle
from localnet.deployment import Deployment, MarketInfo, read_keypair
from localnet.market_oracles import MarketOracles
from localnet.price_publisher import OracleFeed, Tick
from programs_client.perp.constants import PRICE_PRECISION
from sim.data import DataError, PriceSeries, load_price_series

if TYPE_CHECKING:
    from localnet.price_service import RpcPriceFeed

log = logging.getLogger("perpkeep.paper")

FILE_TICK_S = 0.05          # how often a replayed file's clock is read
OTHER_PUBLISHER_WAIT_SLOTS = 3
MAX_BAD_MESSAGES_LOGGED = 5


class PaperError(Exception):
    """A problem to report as one clear message (bad file, URL, deployment folder, unreachable node)."""


# -- price feeds -------------------------------------------------------------------------------------------


class PriceFeed(Protocol):
    """A source of prices in wall-clock time: ``latest`` is None until the first price."""

    latest: float | None
    received: int           # prices taken in
    ended: bool
    end_reason: str

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the source until ``stop`` is set or the source ends."""
        ...

    def describe(self) -> str:
        """One line for progress output."""
        ...


@dataclass
class FileFeed:
    """A ``PriceSeries`` replayed in wall-clock time, ``speed`` recorded seconds per wall second."""

    series: PriceSeries
    speed: float = 1.0
    start: float | None = None
    hold: bool = False            # keep running (holding the last price) after the file's end
    latest: float | None = None
    received: int = 0
    ended: bool = False
    end_reason: str = ""
    recorded_time: float = field(default=math.nan)

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise PaperError(f"speed must be positive, got {self.speed}")
        if self.start is None:
            self.start = self.series.start
        elif not self.series.start <= self.start <= self.series.end:
            raise PaperError(f"start {_iso(self.start)} is outside {self.series.source} "
                             f"({_iso(self.series.start)} .. {_iso(self.series.end)})")
        self.recorded_time = self.start

    async def run(self, stop: asyncio.Event) -> None:
        """Move the price along the file at ``speed`` until its end (or ``stop``)."""
        import numpy as np

        loop = asyncio.get_running_loop()
        t0 = loop.time()
        ts = self.series.timestamps
        assert self.start is not None
        first = max(int(np.searchsorted(ts, self.start, side="right")) - 1, 0)
        while not stop.is_set():
            self.recorded_time = min(self.start + (loop.time() - t0) * self.speed, self.series.end)
            i = max(int(np.searchsorted(ts, self.recorded_time, side="right")) - 1, 0)
            self.latest = float(self.series.prices[i])
            self.received = i - first + 1  # the file's points passed so far
            if self.recorded_time >= self.series.end and not self.ended:
                self.ended, self.end_reason = True, "end of file"
                if not self.hold:
                    return
            try:
                await asyncio.wait_for(stop.wait(), FILE_TICK_S)
            except TimeoutError:
                pass

    @property
    def progress(self) -> float:
        """The share of the file's time span replayed (0..1)."""
        assert self.start is not None
        span = self.series.end - self.start
        return 1.0 if span <= 0 else (self.recorded_time - self.start) / span

    def describe(self) -> str:
        return f"file {_iso(self.recorded_time)} ({self.progress:.0%})"


def parse_price_message(text: str | bytes) -> float:
    """The price in one JSON feed message (shapes in the module docstring); ``ValueError`` says why not."""
    try:
        msg = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("not JSON") from None
    if isinstance(msg, dict) and isinstance(msg.get("data"), dict):
        msg = msg["data"]  # Binance's combined streams
    if not isinstance(msg, dict):
        raise ValueError("not a JSON object")
    if isinstance(msg.get("k"), dict):
        raw: Any = msg["k"].get("c")
    else:
        raw = next((msg[k] for k in ("p", "price") if k in msg), None)
    if raw is None:
        raise ValueError(f"no price field (p, price or k.c) among {', '.join(sorted(msg)) or 'no keys'}")
    if isinstance(raw, bool):
        raise ValueError(f"price {raw!r} is not a number")
    try:
        price = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"price {raw!r} is not a number") from None
    if not (math.isfinite(price) and price > 0):
        raise ValueError(f"price {raw!r} is not positive")
    return price


@dataclass
class WebSocketFeed:
    """Prices from a websocket feed (JSON text messages, see ``parse_price_message``)."""

    url: str
    open_timeout_s: float = 10.0
    latest: float | None = None
    received: int = 0
    ignored: int = 0
    connected: bool = False
    ended: bool = False
    end_reason: str = ""
    error: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("ws://", "wss://")):
            raise PaperError(f"{self.url}: a websocket feed URL starts with ws:// or wss://")

    async def run(self, stop: asyncio.Event) -> None:
        """Read messages until ``stop``, the server closes, or the connection fails (``error`` says why)."""
        import websockets

        try:
            async with websockets.connect(self.url, open_timeout=self.open_timeout_s, max_size=1 << 20) as ws:
                self.connected = True
                stopping = asyncio.ensure_future(stop.wait())
                try:
                    while not stop.is_set():
                        recv = asyncio.ensure_future(ws.recv())
                        done, _ = await asyncio.wait({recv, stopping}, return_when=asyncio.FIRST_COMPLETED)
                        if recv not in done:
                            recv.cancel()
                            break
                        self._take(recv.result())
                finally:
                    stopping.cancel()
        except websockets.ConnectionClosed as e:
            self.end_reason = f"the feed closed the connection ({e.rcvd.code if e.rcvd else 'no close frame'})"
        except (OSError, TimeoutError, websockets.InvalidURI, websockets.InvalidHandshake) as e:
            self.error = f"cannot connect to {self.url}: {type(e).__name__}: {e}"
            self.end_reason = "connection failed"
        self.ended = True
        if not self.end_reason:
            self.end_reason = "stopped"

    def _take(self, message: str | bytes) -> None:
        try:
            price = parse_price_message(message)
        except ValueError as e:
            self.ignored += 1
            if self.ignored <= MAX_BAD_MESSAGES_LOGGED:
                log.warning("feed %s: ignored a message: %s: %.120r", self.url, e, message)
            return
        self.latest = price
        self.received += 1

    def describe(self) -> str:
        state = "connected" if self.connected and not self.ended else self.end_reason or "connecting"
        return f"feed {state}, {self.received} prices" + (f", {self.ignored} ignored" if self.ignored else "")


@dataclass
class HeldFeed:
    """A constant price (the markets without a stream keep theirs)."""

    latest: float | None
    received: int = 0
    ended: bool = False
    end_reason: str = ""

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()

    def describe(self) -> str:
        return "held"


@dataclass
class StreamPath:
    """A ``PricePath`` that returns a feed's latest price (``initial`` until the feed has one)."""

    feed: PriceFeed
    initial: float

    def next_price(self, rng: random.Random) -> float:
        """The feed's latest price (``rng`` is unused)."""
        return self.initial if self.feed.latest is None else self.feed.latest


def make_feed(source: str, *, fmt: str | None = None, speed: float = 1.0, start: float | None = None,
              hold: bool = False) -> PriceFeed:
    """A ``WebSocketFeed`` for a ws:// or wss:// URL, else a ``FileFeed`` over the file ``source``."""
    if "://" in source:
        return WebSocketFeed(source)
    try:
        series = load_price_series(source, fmt)
    except DataError as e:
        raise PaperError(str(e)) from None
    for note in series.notes:
        log.warning("%s: %s", source, note)
    return FileFeed(series, speed, start, hold)


# -- the deployment ----------------------------------------------------------------------------------------


def _feed_of(d: dict[str, Any]) -> OracleFeed:
    kind = OracleKind[str(d["kind"]).upper()]
    feed_id = bytes.fromhex(d["feed_id"]) if d.get("feed_id") else bytes(32)
    return OracleFeed(kind, Pubkey.from_string(d["address"]), exponent=int(d.get("exponent", -8)), feed_id=feed_id)


def load_deployment(folder: Path) -> Deployment:
    """The deployment `perpkeep localnet up --out FOLDER` wrote: endpoints, markets and their oracle accounts,
    and the oracle authority's keypair."""
    info_path = folder / "deployment.json"
    try:
        info = json.loads(info_path.read_text())
    except OSError as e:
        raise PaperError(f"{info_path}: {e.strerror or e} (pass the --out folder of `perpkeep localnet up`)") from None
    except ValueError as e:
        raise PaperError(f"{info_path}: not JSON: {e}") from None
    try:
        oracle = info["oracle_program"]
        if not oracle.get("authority_path"):
            raise PaperError(f"{info_path}: no oracle authority keypair: the node's mock oracle cannot be written")
        markets = []
        for m in info["markets"]:
            o = m["oracles"]
            fb = o.get("fallback")
            oracles = MarketOracles(_feed_of(o["primary"]), _feed_of(fb) if fb else None,
                                    Pubkey.from_string(o["program_id"]))
            markets.append(MarketInfo(int(m["index"]), m["name"], Pubkey.from_string(m["address"]), oracles,
                                      float(m["initial_price"])))
        authority = read_keypair(Path(oracle["authority_path"]))
        return Deployment(info["rpc_url"], info["ws_url"], Pubkey.from_string(info["program_id"]),
                          Pubkey.from_string(info["collateral_mint"]), markets, {"oracle-authority": authority},
                          oracle_program=Pubkey.from_string(oracle["program_id"]))
    except (KeyError, TypeError, ValueError) as e:
        raise PaperError(f"{info_path}: not a deployment written by `perpkeep localnet up` ({type(e).__name__}: {e})") \
            from None
    except OSError as e:
        raise PaperError(f"{info_path}: cannot read the oracle authority keypair: {e.strerror or e}") from None


# -- the run -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperOptions:
    """Options of `perpkeep paper`."""

    deployment: Path
    source: str
    market: str | None = None         # default: the deployment's first market
    fmt: str | None = None
    speed: float = 1.0
    start: float | None = None        # recorded time to start a file at (Unix seconds)
    hold: bool = False
    duration_s: float | None = None
    cadence_slots: int = 1
    keeper: bool = True
    keeper_config: Path | None = None  # default: DEPLOYMENT/keeper.toml
    bots: tuple[str, ...] | None = None
    progress_s: float = 5.0


@dataclass
class PaperSummary:
    """What a paper run did."""

    market: str
    source: str
    wall_s: float = 0.0
    end_reason: str = ""
    received: int = 0
    published: int = 0
    failed: int = 0
    prices: list[float] = field(default_factory=list)   # every published price of the streamed market, in order
    keeper_actions: dict[str, Counter[str]] = field(default_factory=dict)
    error: str | None = None

    def lines(self) -> list[str]:
        """The summary printed at the end."""
        out = [f"paper: stopped after {self.wall_s:.1f} s ({self.end_reason})",
               f"  source          {self.source} -> {self.market}",
               f"  prices          {self.received} taken in, {self.published} published, {self.failed} failed"]
        if self.prices:
            out.append(f"  {self.market:<15} first {self.prices[0]:,.4f}  last {self.prices[-1]:,.4f}  "
                       f"low {min(self.prices):,.4f}  high {max(self.prices):,.4f}")
        if self.keeper_actions:
            for kind, counts in sorted(self.keeper_actions.items()):
                out.append(f"  keeper {kind:<16} " + "  ".join(f"{s} {n}" for s, n in sorted(counts.items())))
        elif self.keeper_actions is not None:
            out.append("  keeper          no actions")
        if self.error:
            out.append(f"  error           {self.error}")
        return out


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if math.isfinite(t) else "-"


def _chain_price(client: Any, feed: OracleFeed) -> tuple[float, int]:
    """The price (quote per base) and publish slot now in ``feed``'s account."""
    value = client.get_account_info(feed.address, commitment="processed").value
    if value is None:
        raise PaperError(f"no oracle account {feed.address} on the node")
    try:
        p = decode_oracle(feed.kind, bytes(value.data), feed.feed_id)
    except OracleError as e:
        raise PaperError(f"oracle account {feed.address}: {e}") from None
    return p.price_1e6 / PRICE_PRECISION, p.publish_slot


def _check_no_other_publisher(client: Any, dep: Deployment, timeout_s: float = 10.0) -> dict[str, float]:
    """Each market's current price; ``PaperError`` if another publisher keeps writing them."""
    first = {m.name: _chain_price(client, m.oracles.primary) for m in dep.markets}
    slot0 = client.get_slot("processed").value
    deadline = time.monotonic() + timeout_s
    while client.get_slot("processed").value < slot0 + OTHER_PUBLISHER_WAIT_SLOTS:
        if time.monotonic() > deadline:
            raise PaperError(f"the node at {dep.rpc_url} does not advance its slots")
        time.sleep(0.05)
    for m in dep.markets:
        if _chain_price(client, m.oracles.primary)[1] != first[m.name][1]:
            raise PaperError(f"another publisher writes {m.name}'s oracle prices: start the node with "
                             f"`perpkeep localnet up --price-path external`")
    return {name: price for name, (price, _) in first.items()}


def _make_price_feed(dep: Deployment, opts: PaperOptions, market: str, feed: PriceFeed,
                     current: dict[str, float]) -> RpcPriceFeed:
    from localnet.price_service import PriceOptions, RpcPriceFeed

    rpc = RpcPriceFeed(dep.rpc_url, dep, PriceOptions(cadence_slots=opts.cadence_slots), poll_s=0.1)
    for m, pub in zip(dep.markets, rpc.publishers, strict=True):
        pub.path = StreamPath(feed if m.name == market else HeldFeed(current[m.name]), current[m.name])
    return rpc


async def run_paper(opts: PaperOptions, say: Callable[[str], None] = print,
                    stop: asyncio.Event | None = None) -> PaperSummary:
    """Run paper trading until the source ends, ``duration_s`` passes, SIGINT/SIGTERM, or ``stop`` is set."""
    dep = load_deployment(opts.deployment)
    market = opts.market or dep.markets[0].name
    if market not in {m.name for m in dep.markets}:
        raise PaperError(f"no market {market!r} in {opts.deployment} (markets: {', '.join(m.name for m in dep.markets)})")
    feed = make_feed(opts.source, fmt=opts.fmt, speed=opts.speed, start=opts.start, hold=opts.hold)
    config, keypair = _keeper_setup(opts) if opts.keeper else (None, None)

    from solana.rpc.api import Client

    client = Client(dep.rpc_url, timeout=10)
    try:
        try:
            current = await asyncio.to_thread(_check_no_other_publisher, client, dep)
        except PaperError:
            raise
        except Exception as e:  # noqa: BLE001 - any transport failure means the node is not there
            raise PaperError(f"cannot reach the node at {dep.rpc_url}: {type(e).__name__}: {e}") from None
    finally:
        client._provider.session.close()  # solana-py's sync Client has no close()

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (RuntimeError, ValueError):  # not the main thread
            pass
    summary = PaperSummary(market, opts.source, keeper_actions={} if opts.keeper else None)  # type: ignore[arg-type]
    publisher = _make_price_feed(dep, opts, market, feed, current)
    index = [m.name for m in dep.markets].index(market)
    keepers: list[Any] = []
    started = time.monotonic()
    say(f"paper: {opts.source} -> {market} on {dep.rpc_url}" + (f" at {opts.speed:g}x" if isinstance(feed, FileFeed)
                                                                   else ""))
    held = [f"{m.name} {current[m.name]:,.4f}" for m in dep.markets if m.name != market]
    if held:
        say(f"paper: held at their current price: {', '.join(held)}")
    feed_task = asyncio.create_task(feed.run(stop), name="paper-feed")
    keeper_task = None
    if config is not None:
        from keepers.runtime import run_from_config

        keeper_task = asyncio.create_task(run_from_config(config, keypair, opts.bots, stop, on_keeper=keepers.append),
                                          name="paper-keeper")
    publisher.start()
    try:
        summary.end_reason = await _watch(opts, feed, feed_task, keeper_task, publisher, index, stop, started, say)
    finally:
        stop.set()
        publisher.stop()
        for sig in handled:
            loop.remove_signal_handler(sig)
        for task in (feed_task, keeper_task):
            if task is not None:
                try:
                    await asyncio.wait_for(task, 15.0)
                except Exception as e:  # noqa: BLE001 - reported in the summary
                    summary.error = summary.error or f"{task.get_name()}: {type(e).__name__}: {e}"
    summary.wall_s = time.monotonic() - started
    summary.received = feed.received
    history: list[Tick] = publisher.publishers[index].history
    landed = [t for t in history if t.outcome is not None and t.published]
    summary.published = sum(1 for t in landed if not _failed(t))
    summary.failed = sum(1 for t in landed if _failed(t))
    summary.prices = [t.price for t in landed if not _failed(t)]
    if isinstance(feed, WebSocketFeed) and feed.error:
        summary.error = feed.error
    if keepers:
        for (kind, status), n in keepers[0].pipeline.outcomes.items():
            summary.keeper_actions.setdefault(str(kind), Counter())[str(status)] += n
    return summary


def _failed(t: Tick) -> bool:
    from keepers.execution.results import Failed

    return isinstance(t.outcome, Failed)


async def _watch(opts: PaperOptions, feed: PriceFeed, feed_task: asyncio.Task[None],
                 keeper_task: asyncio.Task[None] | None, publisher: RpcPriceFeed, index: int, stop: asyncio.Event,
                 started: float, say: Callable[[str], None]) -> str:
    """Print progress until something ends the run; return why it ended."""
    next_progress = started + opts.progress_s
    while True:
        if stop.is_set():
            return "stopped by signal"
        if feed_task.done() and (feed.ended or feed_task.exception() is not None):
            if isinstance(feed, FileFeed):
                await asyncio.sleep(0.5)  # let the publisher write the file's last price
            return feed.end_reason or "the source ended"
        if keeper_task is not None and keeper_task.done():
            return "the keeper stopped"
        now = time.monotonic()
        if opts.duration_s is not None and now - started >= opts.duration_s:
            return f"duration {opts.duration_s:g} s reached"
        if now >= next_progress:
            next_progress = now + opts.progress_s
            pub = publisher.publishers[index]
            last = pub.history[-1].price if pub.history else None
            say(f"paper: {now - started:6.1f} s  {feed.describe()}  published {len(pub.history)}"
                + (f"  last {last:,.4f}" if last is not None else ""))
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except TimeoutError:
            pass


def _keeper_setup(opts: PaperOptions) -> tuple[Any, Any]:
    """The keeper's configuration and keypair (DEPLOYMENT/keeper.toml by default)."""
    from keepers.config import ConfigError, KeypairError, load_config, load_keypair

    path = opts.keeper_config or opts.deployment / "keeper.toml"
    try:
        config = load_config(path)
        return config, load_keypair(config.keeper.keypair_path, config.keeper.allow_insecure_keypair)
    except ConfigError as e:
        message = str(e)
        raise PaperError(message if message.startswith(f"{path}: ") else f"keeper config {path}: {message}") from None
    except KeypairError as e:
        raise PaperError(str(e)) from None


__all__ = ["FileFeed", "HeldFeed", "PaperError", "PaperOptions", "PaperSummary", "PriceFeed", "StreamPath",
           "WebSocketFeed", "load_deployment", "make_feed", "parse_price_message", "run_paper"]
