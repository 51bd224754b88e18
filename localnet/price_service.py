"""The price publisher of `perpkeep localnet up`: one ``PricePublisher`` per market, driven by slots.

``PriceOptions`` (the ``--price-*`` options) say which path prices follow (``gbm``, ``jumps``,
``crash`` or ``replay:FILE.csv``), every how many slots they are published, and the seed;
``market_publishers`` builds one publisher per market of a deployment, writing that market's
mock-oracle accounts (``localnet.market_oracles``), its path starting at the price the bootstrap
published. Each market draws from its own stream, ``random.Random(f"{seed}/{market}")``.

``NodePriceFeed`` runs the publishers on the LiteSVM node's event loop, one tick per new slot,
writing through ``Ledger.send`` (so RPC clients and subscribers see every update like any
transaction) and asking the node's ``FaultInjector.withhold_oracle_update(address, market)``
before each write. ``RpcPriceFeed`` runs them on a thread against any JSON-RPC endpoint (the
solana-test-validator mode), without fault injection.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from keepers.execution.results import Failed, Landed, Outcome
from localnet import mock_oracle as mo
from localnet.market_oracles import CONFIDENCE_BPS, default_price
from localnet.price_paths import CrashPath, GbmPath, JumpPath, PricePath, ReplayPath
from localnet.price_publisher import PricePublisher, Tick

if TYPE_CHECKING:
    from localnet.deployment import Deployment
    from localnet.ledger import Ledger, TxRecord
    from localnet.rpc.server import RpcNode

log = logging.getLogger("localnet.rpc.prices")

PATH_KINDS = ("gbm", "jumps", "crash")
EXTERNAL = "external"  # no publisher: another process writes the prices (`perpkeep paper`)
REPLAY_PREFIX = "replay:"
GBM_VOLATILITY = 0.001      # per step: ~1.6% over a minute of 400 ms slots
JUMP_PROBABILITY = 0.01     # per step
JUMP_STD = 0.05             # log-size of a jump
CRASH_AT_STEP = 150         # one minute in at 400 ms slots and a cadence of 1
CRASH_DROP = 0.3


class PriceOptionsError(ValueError):
    """A price option or replay file is unusable."""


@dataclass(frozen=True)
class PriceOptions:
    """How the localnet publishes prices: path, cadence in slots, seed."""

    path: str = "gbm"
    cadence_slots: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if (self.path not in (*PATH_KINDS, EXTERNAL)
                and not (self.path.startswith(REPLAY_PREFIX) and len(self.path) > len(REPLAY_PREFIX))):
            raise PriceOptionsError(f"price path must be one of {', '.join(PATH_KINDS)}, {EXTERNAL} or replay:FILE.csv, "
                                    f"got {self.path!r}")
        if not isinstance(self.cadence_slots, int) or self.cadence_slots < 1:
            raise PriceOptionsError(f"price cadence must be at least 1 slot, got {self.cadence_slots!r}")

    @property
    def external(self) -> bool:
        """True when the node publishes no prices (another process, e.g. `perpkeep paper`, does)."""
        return self.path == EXTERNAL

    @property
    def replay_file(self) -> Path | None:
        """The CSV of a replay path, None otherwise."""
        return Path(self.path[len(REPLAY_PREFIX):]) if self.path.startswith(REPLAY_PREFIX) else None

    def describe(self) -> str:
        """One line for the start-up summary."""
        if self.external:
            return "external: not published by the node (perpkeep paper publishes them)"
        every = "every slot" if self.cadence_slots == 1 else f"every {self.cadence_slots} slots"
        return f"{self.path}, {every}, seed {self.seed}"


def load_replay(path: Path, markets: Sequence[str]) -> dict[str, list[float]]:
    """Read a replay CSV (header row): a column per market name, else one ``price`` column for all."""
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            rows = list(reader)
    except OSError as e:
        raise PriceOptionsError(f"cannot read price replay {path}: {e.strerror or e}") from None
    out = {}
    for market in markets:
        column = market if market in columns else "price" if "price" in columns else None
        if column is None:
            raise PriceOptionsError(f"{path}: no column {market!r} or 'price' (columns: {', '.join(columns)})")
        try:
            prices = [float(row[column]) for row in rows]
        except (TypeError, ValueError) as e:
            raise PriceOptionsError(f"{path}: column {column!r}: {e}") from None
        if not prices or any(not p > 0 for p in prices):
            raise PriceOptionsError(f"{path}: column {column!r} needs at least one price, all positive")
        out[market] = prices
    return out


def initial_prices(markets: Iterable[str], replay: dict[str, list[float]] | None = None) -> dict[str, float]:
    """The first price of each market: the replay's first row, or ``default_price``."""
    return {m: replay[m][0] if replay else default_price(m) for m in markets}


def price_path(opts: PriceOptions, market: str, start: float, replay: dict[str, list[float]] | None = None) -> PricePath:
    """The path ``market`` follows from ``start`` (for a replay: from its second row)."""
    if opts.replay_file is not None:
        if replay is None:
            replay = load_replay(opts.replay_file, [market])
        prices = replay[market]
        return ReplayPath(prices, index=min(1, len(prices) - 1))
    if opts.path == "jumps":
        return JumpPath(start, volatility=GBM_VOLATILITY, jump_probability=JUMP_PROBABILITY, jump_std=JUMP_STD)
    if opts.path == "crash":
        return CrashPath(start, volatility=GBM_VOLATILITY, crash_at=CRASH_AT_STEP, drop=CRASH_DROP)
    return GbmPath(start, volatility=GBM_VOLATILITY)


def market_rng(seed: int, market: str) -> random.Random:
    """The random stream of one market's path (independent of the other markets)."""
    return random.Random(f"{seed}/{market}")


Withhold = Callable[[str, str], bool]  # (feed address, market name) -> skip this write


def market_publishers(dep: Deployment, oracle: mo.MockOracle, opts: PriceOptions, withhold: Withhold | None = None,
                      replay: dict[str, list[float]] | None = None) -> list[PricePublisher]:
    """One publisher per market of ``dep``, writing its price accounts through ``oracle``."""
    if replay is None and opts.replay_file is not None:
        replay = load_replay(opts.replay_file, [m.name for m in dep.markets])
    pubs = []
    for m in dep.markets:
        hook = None if withhold is None else (lambda label, market=m.name: withhold(label, market))
        pubs.append(PricePublisher(oracle, m.oracles.feeds, price_path(opts, m.name, m.initial_price, replay),
                                   market_rng(opts.seed, m.name), cadence_slots=opts.cadence_slots,
                                   confidence_bps=CONFIDENCE_BPS, withhold=hook))
    return pubs


class _FailureLog:
    """Logs a publisher's failures once per distinct error, and when it recovers."""

    def __init__(self) -> None:
        self.last: dict[int, str | None] = {}

    def note(self, i: int, market: str, tick: Tick | None) -> None:
        if tick is None or tick.outcome is None:
            return
        err = str(tick.outcome.error) if isinstance(tick.outcome, Failed) else None
        if err != self.last.get(i):
            if err is None:
                log.info("price updates of %s land again", market)
            else:
                log.warning("price update of %s failed: %s", market, err)
            self.last[i] = err


class NodePriceFeed:
    """Runs publishers on the node's event loop: one tick per new slot, writes through ``Ledger.send``."""

    def __init__(self, chain: Ledger, publishers: Sequence[PricePublisher], markets: Sequence[str]) -> None:
        self.chain = chain
        self.publishers = list(publishers)
        self.markets = list(markets)
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._failures = _FailureLog()

    @classmethod
    def for_node(cls, node: RpcNode, dep: Deployment, opts: PriceOptions,
                 replay: dict[str, list[float]] | None = None) -> NodePriceFeed:
        """Publishers for ``dep``'s markets on ``node``: the oracle authority pays, the node's faults may withhold."""
        authority = dep.oracle_authority
        chain = node.chain
        oracle = mo.MockOracle(lambda ixs, signers: chain.send(ixs, signers, payer=authority), authority, dep.oracle_program)
        pubs = market_publishers(dep, oracle, opts, node.faults.withhold_oracle_update, replay)
        return cls(chain, pubs, [m.name for m in dep.markets])

    # -- ChainListener ------------------------------------------------------------------------
    def on_slot(self, slot: int) -> None:
        if self._wake is not None:
            self._wake.set()

    def on_transaction(self, record: TxRecord) -> None:
        pass

    def on_accounts_written(self, slot: int, accounts: dict[Any, Any]) -> None:
        pass

    # -- running ------------------------------------------------------------------------------
    def tick(self) -> list[Tick]:
        """Tick every publisher at the current slot (those not due do nothing); return what they did."""
        out = []
        for i, pub in enumerate(self.publishers):
            t = pub.tick(self.chain.slot)
            self._failures.note(i, self.markets[i], t)
            if t is not None:
                out.append(t)
        return out

    def start(self) -> NodePriceFeed:
        """Start ticking (call on the node's event loop)."""
        self._wake = asyncio.Event()
        self.chain.listeners.append(self)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="price-publisher")
        return self

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                self.tick()
            except Exception:
                log.exception("price publisher failed at slot %d", self.chain.slot)
            await self._wake.wait()
            self._wake.clear()

    async def stop(self) -> None:
        """Stop ticking."""
        if self in self.chain.listeners:
            self.chain.listeners.remove(self)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


class RpcPriceFeed:
    """Runs publishers on a thread against a JSON-RPC endpoint, polling its slot (no fault injection)."""

    def __init__(self, rpc_url: str, dep: Deployment, opts: PriceOptions, poll_s: float = 0.2,
                 replay: dict[str, list[float]] | None = None) -> None:
        from solana.rpc.api import Client

        self.client = Client(rpc_url, timeout=10)
        self.authority: Keypair = dep.oracle_authority
        self.poll_s = poll_s
        self.publishers = market_publishers(dep, mo.MockOracle(self._send, self.authority, dep.oracle_program), opts,
                                            None, replay)
        self.markets = [m.name for m in dep.markets]
        self._blockhash: Hash | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="price-publisher", daemon=True)
        self._failures = _FailureLog()

    def _send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> Outcome:
        from solana.rpc.types import TxOpts

        assert self._blockhash is not None
        keys = {self.authority.pubkey(): self.authority} | {s.pubkey(): s for s in signers}
        tx = VersionedTransaction(MessageV0.try_compile(self.authority.pubkey(), list(ixs), [], self._blockhash),
                                  list(keys.values()))
        try:
            self.client.send_transaction(tx, opts=TxOpts(skip_preflight=True))
        except Exception as e:  # noqa: BLE001 - reported as the tick's outcome
            return Failed(tx.signatures[0], f"{type(e).__name__}: {e}")
        return Landed(tx.signatures[0], [], 0)

    def tick(self) -> list[Tick]:
        """Read the endpoint's slot and tick every publisher at it."""
        slot = self.client.get_slot("processed").value
        if not any(p.due(slot) for p in self.publishers):
            return []
        self._blockhash = self.client.get_latest_blockhash("confirmed").value.blockhash
        out = []
        for i, pub in enumerate(self.publishers):
            t = pub.tick(slot)
            self._failures.note(i, self.markets[i], t)
            if t is not None:
                out.append(t)
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.tick()
            except Exception as e:  # noqa: BLE001 - the endpoint may be briefly unavailable
                log.warning("price publisher: %s: %s", type(e).__name__, e)

    def start(self) -> RpcPriceFeed:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self.client._provider.session.close()  # solana-py's sync Client has no close()


__all__ = [
    "EXTERNAL",
    "NodePriceFeed",
    "PriceOptions",
    "PriceOptionsError",
    "RpcPriceFeed",
    "initial_prices",
    "load_replay",
    "market_publishers",
    "market_rng",
    "price_path",
]
