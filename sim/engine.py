"""The simulation engine: one scenario (``sim.scenario_file``) run on the real program, with the real keepers.

``run_scenario(spec_or_mapping, seed=None, progress=False) -> SimRun`` is all most callers need (Monte
Carlo workers call it: a module-level function taking and returning plain data). ``Simulation`` is the
same run kept open for callers that look at the chain afterwards (``perpkeep demo``).

A run:

1. bootstraps the exchange in LiteSVM (``localnet.deployment``) with the scenario's markets and
   parameters, keypairs derived from the seed (a seed gives the same addresses, hence the same book
   priority and keeper order), funds the strategies' and traders' margin accounts, stakes the insurance
   fund, and wraps it all in a ``localnet.ledger.Ledger`` whose chain time runs ``seconds_per_slot``;
2. draws every market's price path up front from its own RNG (``market_rng``), so that informed
   traders can read ahead and the path does not depend on who else draws;
3. runs the keeper bots (``keepers.runtime.Keeper`` on ``InProcessChain``) on a ``VirtualClock``: the
   keepers' time moves ``keeper_seconds_per_slot`` per slot and nothing sleeps;
4. each slot: produces the slot, applies keeper outages, publishes the oracles (cadence, outages,
   fallback divergence), re-quotes the strategies, lets the traders act, screens every account for
   liquidation (``keepers.exchange.margin``) and, every ``record_every_slots``, records the series named
   in ``sim.run_record``. The program's events (fills, liquidations, bankruptcies) are read from the
   logs of the transactions the ledger records.

Slots in series and events count from 1 at the run's first slot (as outages and crashes do).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import logging
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from keepers.bots.funding import funding_rate
from keepers.chain.base import ChainError
from keepers.chain.inprocess import InProcessChain
from keepers.clock import VirtualClock
from keepers.config import Config
from keepers.exchange.fast_decode import decoder_for
from keepers.exchange.margin import MarketState, Position, compute_margin
from keepers.exchange.pdas import insurance_vault_pda, user_pda
from keepers.execution.journal import Journal
from keepers.runtime import Keeper
from localnet import mock_oracle as mo
from localnet.bootstrap import user_ixs
from localnet.deployment import USER_SOL, BootstrapPlan, Deployment, RecordingSvm, bootstrap_local
from localnet.ledger import Ledger
from localnet.price_paths import path_from_spec
from localnet.price_service import market_rng
from programs_client.perp.accounts import Market, User
from programs_client.perp.constants import BASE_PRECISION as BASE, FUNDING_PRECISION, PRICE_PRECISION as PRICE
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from sim.agents import HuntTarget, MarketView, TraderAgent, build_population
from sim.run_record import SimRun
from sim.scenario import seed_insurance_fund, slot_clock
from sim.scenario_file import BOT_STRATEGIES, MarketSpec, ScenarioSpec, StrategySpec, scenario_from_mapping, series_loader
from sim.traders import ScriptedMaker

KEEPER_DEPOSIT = 500_000 * QUOTE
DRAIN_SLOTS = 100  # at most, after the last slot, for the keepers to finish what they started
LAMPORTS_PER_SOL = 1_000_000_000
log = logging.getLogger("perpkeep.sim")
_decode_user = decoder_for(User)  # a struct unpack instead of construct: traders read their accounts every order


@functools.cache
def _programs() -> tuple[bytes, bytes]:
    """The perp and mock-oracle programs (built from source once per process)."""
    from localnet.build import build_program

    return Path(build_program("perp")).read_bytes(), Path(build_program("mock_oracle")).read_bytes()


WATCHED_EVENTS = ("FillEvent", "MakerFillApplied", "LiquidationEvent", "BankruptcyResolved")
PROGRAM_DATA = "Program data: "


@functools.cache
def _watched_prefixes() -> tuple[str, ...]:
    """The base64 openings of the watched events' data lines (an event starts with sha256("event:NAME")[:8],
    and 6 bytes are 8 base64 characters): other events are never decoded."""
    return tuple(PROGRAM_DATA + base64.b64encode(hashlib.sha256(f"event:{n}".encode()).digest()[:6]).decode()
                 for n in WATCHED_EVENTS)


def _events(logs: list[str]) -> list[tuple[str, Any]]:
    """The watched events (``WATCHED_EVENTS``) in a transaction's logs."""
    from localnet.fuzz.checks import decode_events

    prefixes = _watched_prefixes()
    return decode_events([line for line in logs if line.startswith(prefixes)])


class FaultyChain(InProcessChain):
    """``InProcessChain`` that drops a share of the keepers' transactions and refuses another share with an
    endpoint error (``[faults]``), drawing from its own RNG."""

    def __init__(self, ledger: Ledger, drop_rate: float, error_rate: float, rng: random.Random) -> None:
        super().__init__(ledger, name="inprocess-faulty")
        self.drop_rate, self.error_rate, self.rng = drop_rate, error_rate, rng

    async def send(self, tx: VersionedTransaction) -> Signature:
        draw = self.rng.random()
        if draw < self.drop_rate:
            return tx.signatures[0]
        if draw < self.drop_rate + self.error_rate:
            raise ChainError("simulated endpoint error")
        return await super().send(tx)


@dataclass
class OracleDriver:
    """Publishes one market's path to its oracles: the primary every ``cadence_slots`` unless in an outage;
    the fallback (when the market has one) offset by ``divergence_bps``, with outages of its own."""

    market: MarketSpec
    feeds: tuple[Any, ...]  # OracleFeed: primary first
    path: list[float]
    authority: Keypair
    send: Callable[..., Any]
    last_primary: float = math.nan
    silent: bool = False

    def publish(self, step: int) -> list[dict[str, Any]]:
        """Write the slot's prices; return the oracle events (outage start and end)."""
        o = self.market.oracle
        price = self.path[step]
        conf = price * o.confidence_bps / 10_000
        events = []
        down = any(w.covers(step) for w in o.outages)
        if down != self.silent:
            self.silent = down
            events.append({"slot": step, "kind": "oracle_outage" if down else "oracle_restored",
                           "market": self.market.name, "feed": "primary"})
        if (step - 1) % o.cadence_slots:
            return events
        key = self.authority.pubkey()
        ixs = []
        if not down:
            ixs.append(self.feeds[0].write_ix(key, price, conf))
            self.last_primary = price
        if len(self.feeds) > 1 and not any(w.covers(step) for w in o.fallback_outages):
            shifted = price * (1 + o.divergence_bps / 10_000)
            ixs.append(self.feeds[1].write_ix(key, shifted, shifted * o.confidence_bps / 10_000))
        if ixs:
            self.send(ixs, [self.authority], self.authority)
        return events


@dataclass
class Strategy:
    """A strategy of the scenario and what the engine tracks of it: a scripted ladder the engine sends
    (``maker``), or the market-making bot in a keeper of its own (``maker`` None; ``keeper`` while it runs)."""

    name: str
    spec: StrategySpec
    keypair: Keypair
    address: Pubkey  # its margin account (sub-account 0)
    maker: ScriptedMaker | None
    markets: tuple[int, ...]
    keeper: Keeper | None = None
    fees: float = 0.0
    funding: float = 0.0
    funding_marks: dict[int, int] = field(default_factory=dict)  # market -> cumulative funding last seen


class _Watcher:
    """A ledger listener that reads the program's events from every successful transaction."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def on_slot(self, slot: int) -> None:
        pass

    def on_accounts_written(self, slot: int, accounts: Any) -> None:
        pass

    def on_transaction(self, record: Any) -> None:
        if record.err is None and any(line.startswith(PROGRAM_DATA) for line in record.logs):
            for name, e in _events(record.logs):
                self.sim.on_event(name, e)


class Simulation:
    """One scenario run (see the module docstring): ``Simulation(spec, seed).run()`` returns the ``SimRun``;
    afterwards ``ledger``, ``dep`` and ``keeper`` stay readable."""

    def __init__(self, spec: ScenarioSpec, seed: int | None = None) -> None:
        self.spec = spec
        self.seed = spec.seed if seed is None else seed
        self.key_seed = f"perpkeep-sim/{self.seed}".encode()
        self.steps = 0
        self.series: dict[str, list[float]] = {}
        self.events: list[dict[str, Any]] = []
        self.first_liquidatable: dict[Pubkey, int] = {}
        self.liquidatable_now = 0
        self.liquidations = 0
        self.bad_debt = 0.0
        self.volume: dict[int, float] = {}
        self.failed: dict[str, int] = {}
        self._users: dict[Pubkey, tuple[bytes, int, list[Position]]] = {}
        self._build()

    # -- setup --------------------------------------------------------------------------------------
    def _keypair(self, name: str) -> Keypair:
        return self.plan.keypair(name)

    def _build(self) -> None:
        spec, run = self.spec, self.spec.run
        perp, oracle = _programs()
        names = tuple(spec.market_names())
        self.plan = BootstrapPlan(
            markets=names, users=0, prices={m.name: m.initial_price for m in spec.markets}, fallback_oracles=False,
            fallback_by_market={m.name: m.oracle.fallback for m in spec.markets},
            params_by_market={m.name: m.params for m in spec.markets}, keeper_tokens=KEEPER_DEPOSIT,
            keeper_deposit=KEEPER_DEPOSIT, key_seed=self.key_seed,
            confidence_bps=spec.markets[0].oracle.confidence_bps)
        self.svm = svm = RecordingSvm(perp, mock_oracle=oracle)
        self.dep = dep = bootstrap_local(svm, self.plan)
        self.program_id = dep.program_id
        self.params = {m.index: svm.decode(Market, m.address).params for m in dep.markets}
        self.strategies = [self._strategy(name, s, names) for name, s in spec.strategies.items()]
        self.agents = build_population(spec.traders, self.seed, names, dep.program_id, self._keypair)
        for a in self.agents:
            self._fund(a.keypair, a.capital)
        made: list[Ledger] = []
        clock = slot_clock(lambda: made[0] if made else None, svm.clock().slot, run.seconds_per_slot)
        self.ledger = Ledger(svm, wall_clock=clock)
        made.append(self.ledger)
        self.slot0 = self.ledger.slot
        self.ledger.note_addresses(svm.touched | set(dep.addresses()))
        if spec.insurance.stake > 0:
            seed_insurance_fund(self.ledger, dep, round(spec.insurance.stake * QUOTE))
        horizon = max([g.horizon_slots for g in spec.traders] + [0]) + DRAIN_SLOTS + 1
        self.paths = [self._path(m, run.slots + horizon) for m in spec.markets]
        self.views = {i: MarketView(i, path) for i, path in enumerate(self.paths)}
        send = self.ledger.send
        self.oracles = [OracleDriver(m, info.oracles.feeds, path, dep.oracle_authority, send)
                        for m, info, path in zip(spec.markets, dep.markets, self.paths, strict=True)]
        self.ledger.listeners.append(_Watcher(self))
        self.addresses = {a.address: a for a in self.agents}
        self.strategy_of = {s.address: s for s in self.strategies}
        self.tracked = [s.address for s in self.strategies] + [a.address for a in self.agents]

    def _fund(self, owner: Keypair, capital: float) -> None:
        amount = round(capital * QUOTE)
        self.svm.airdrop(owner.pubkey(), USER_SOL * LAMPORTS_PER_SOL)
        ixs = user_ixs(owner.pubkey(), self.dep.mint, self.dep.wallets["mint-authority"].pubkey(), amount, amount, 0,
                       self.program_id)
        out = self.svm.send(ixs, [owner, self.dep.wallets["mint-authority"]], owner)
        if not out.ok:
            raise RuntimeError(f"funding a margin account failed: {out.error}")

    def _strategy(self, name: str, s: StrategySpec, names: tuple[str, ...]) -> Strategy:
        kp = self._keypair(f"strategy/{name}")
        self._fund(kp, s.deposit)
        markets = tuple(names.index(m) for m in s.markets) or tuple(range(len(names)))
        address = user_pda(kp.pubkey(), 0, self.program_id)
        if s.kind in BOT_STRATEGIES:  # a keeper bot in a keeper of its own
            return Strategy(name, s, kp, address, None, markets)
        maker = ScriptedMaker(kp, {i: self.params[i] for i in markets}, self.program_id, levels=s.levels,
                              half_spread_bps=s.half_spread_bps, step_bps=s.step_bps,
                              notional_per_level=s.notional_per_level)
        return Strategy(name, s, kp, address, maker, markets)

    def strategy_config(self, s: Strategy) -> Config:
        """The configuration of a market-making strategy's own keeper: the bot alone, on its markets."""
        bot = dict(s.spec.bot or {})
        bot.setdefault("basis_markets" if s.spec.kind == "arbitrage" else "markets", list(s.markets))
        return Config.from_mapping({
            "cluster": {"rpc_url": "http://127.0.0.1:8899", "commitment": "processed"},
            "keeper": {"keypair_path": "strategy.json", "bots": [s.spec.kind]},
            "metrics": {"enabled": False},
            "bots": {s.spec.kind: bot},
        }, Path("."))

    def _path(self, m: MarketSpec, steps: int) -> list[float]:
        path = path_from_spec(m.price, f"markets.{m.name}.price", m.initial_price, base_dir=self.spec.base_dir,
                              seconds_per_step=self.spec.run.seconds_per_slot, series_loader=series_loader())
        rng = market_rng(self.seed, m.name)
        return [m.initial_price] + [path.next_price(rng) for _ in range(steps)]

    def keeper_config(self) -> Config:
        """The keepers' configuration: the scenario's bots and their settings (the RPC URL is never used)."""
        return Config.from_mapping({
            "cluster": {"rpc_url": "http://127.0.0.1:8899", "commitment": "processed"},
            "keeper": {"keypair_path": "keeper.json", "bots": list(self.spec.keepers.bots)},
            "metrics": {"enabled": False},
            "bots": self.spec.keepers.settings,
        }, Path("."))

    # -- events -------------------------------------------------------------------------------------
    def on_event(self, name: str, e: Any) -> None:
        """One event of the program (from a landed transaction's logs)."""
        step = self.steps
        if name == "FillEvent":
            quote = e.price * e.base_amount / BASE / PRICE
            self.volume[e.market_index] = self.volume.get(e.market_index, 0.0) + quote
            s = self.strategy_of.get(e.taker)
            if s is not None:
                s.fees += e.taker_fee / QUOTE
        elif name == "MakerFillApplied":
            s = self.strategy_of.get(e.maker)
            if s is not None:
                s.fees -= e.maker_rebate / QUOTE
        elif name == "LiquidationEvent":
            self.liquidations += 1
            first = self.first_liquidatable.get(e.user, step)
            self.events.append({"slot": step, "kind": "liquidation", "user": str(e.user),
                                "market": self.dep.markets[e.market_index].name, "delay_slots": step - first,
                                "base": e.base_amount / BASE, "mark": e.mark_price / PRICE})
        elif name == "BankruptcyResolved":
            self.bad_debt += e.loss / QUOTE
            self.events.append({"slot": step, "kind": "bankruptcy", "user": str(e.user),
                                "market": self.dep.markets[e.market_index].name, "loss": e.loss / QUOTE,
                                "insurance_paid": e.insurance_paid / QUOTE, "socialised": e.socialised / QUOTE})

    # -- the run ------------------------------------------------------------------------------------
    def _markets(self) -> dict[int, Market]:
        return {m.index: Market.decode(bytes(self.ledger.get_account(m.address).data)) for m in self.dep.markets}

    def _user(self, address: Pubkey) -> tuple[int, list[Position]]:
        acc = self.ledger.get_account(address)
        data = bytes(acc.data) if acc is not None else b""
        cached = self._users.get(address)
        if cached is None or cached[0] != data:
            if not data:
                return 0, []
            u = _decode_user(data)
            positions = [Position.from_account(p) for p in u.positions
                         if p.base_amount or p.open_bids or p.open_asks or p.quote_entry_amount or p.unsettled_pnl]
            cached = (data, u.collateral, positions)
            self._users[address] = cached
        return cached[1], cached[2]

    def _held_base(self, address: Pubkey) -> Callable[[int], int]:
        _, positions = self._user(address)
        return lambda i: next((p.base_amount for p in positions if p.market_index == i), 0)

    def _screen(self, states: dict[int, MarketState], step: int) -> None:
        """Who is liquidatable now (first-liquidatable slots kept for the delay), and the hunters' targets."""
        targets: list[HuntTarget] = []
        now = 0
        for address in self.tracked:
            collateral, positions = self._user(address)
            if not positions:
                self.first_liquidatable.pop(address, None)
                continue
            margin = compute_margin(collateral, positions, states)
            if margin.liquidatable:
                now += 1
                self.first_liquidatable.setdefault(address, step)
            else:
                self.first_liquidatable.pop(address, None)
            open_ = [p for p in positions if p.base_amount]
            if len(open_) == 1:
                p, m = open_[0], states[open_[0].market_index]
                b = p.base_amount / BASE
                mark = m.mark_price / PRICE
                denom = b - abs(b) * m.maintenance_margin_bps / 10_000
                if denom:
                    liq = (b * mark - margin.equity / QUOTE) / denom
                    if liq > 0:
                        targets.append(HuntTarget(p.market_index, b > 0, liq, abs(b) * mark))
        self.liquidatable_now = now
        for v in self.views.values():
            v.targets = targets

    def _send(self, ixs: list[Any], signer: Keypair) -> None:
        out = self.ledger.send(ixs, [signer], signer)
        if not out.ok:
            why = str(getattr(out, "error", out))[:60]
            self.failed[why] = self.failed.get(why, 0) + 1

    def _step(self, step: int) -> None:
        for v in self.views.values():
            v.step = step
        for o in self.oracles:
            self.events += o.publish(step)
        for s in self.strategies:
            if s.maker is not None and (step % s.spec.requote_slots == 1 or s.spec.requote_slots == 1):
                for i in s.markets:
                    self._send(s.maker.quote_instructions(i, self.views[i].price), s.maker.keypair)
        for a in self.agents:
            if a.wants_to_act(step) and (a.group.max_orders == 0 or a.orders < a.group.max_orders):
                ixs = a.order(self.views, self._held_base(a.address), self.params)
                if ixs:
                    self._send(ixs, a.keypair)

    def _record(self, step: int, markets: dict[int, Market], states: dict[int, MarketState]) -> None:
        row: dict[str, float] = {"slot": float(step), "time_s": float(self.ledger.wall_clock())}
        for info, o in zip(self.dep.markets, self.oracles, strict=True):
            m, n = markets[info.index], info.name
            rate = funding_rate(m)
            row[f"oracle.{n}"] = o.last_primary
            row[f"index.{n}"] = m.index_price / PRICE
            row[f"mark.{n}"] = m.mark_price / PRICE
            row[f"funding_rate.{n}"] = math.nan if rate is None else rate
            row[f"open_interest.{n}"] = max(m.open_interest_long, m.open_interest_short) / BASE * m.mark_price / PRICE
            row[f"volume.{n}"] = self.volume.get(info.index, 0.0)
        row["insurance_fund"] = self.ledger.local.token_balance(insurance_vault_pda(self.program_id)) / QUOTE
        row["bad_debt"] = self.bad_debt
        row["socialized_loss"] = sum(m.socialised_loss for m in markets.values()) / QUOTE
        row["liquidations"] = float(self.liquidations)
        row["liquidatable_users"] = float(self.liquidatable_now)
        for s in self.strategies:
            collateral, positions = self._user(s.address)
            for p in positions:
                st = states[p.market_index]
                cum = st.cumulative_funding(p.base_amount)
                last = s.funding_marks.get(p.market_index, p.last_cumulative_funding)
                s.funding += -p.base_amount * (cum - last) / FUNDING_PRECISION / QUOTE
                s.funding_marks[p.market_index] = cum
            row[f"strategy.{s.name}.equity"] = compute_margin(collateral, positions, states).equity / QUOTE
            for i in s.markets:
                base = next((p.base_amount for p in positions if p.market_index == i), 0)
                row[f"strategy.{s.name}.inventory.{self.dep.markets[i].name}"] = base / BASE
            row[f"strategy.{s.name}.fees"] = s.fees
            row[f"strategy.{s.name}.funding"] = s.funding
        for k, v in row.items():
            self.series.setdefault(k, []).append(v)

    async def _drive(self, keeper: Keeper, clock: VirtualClock, on_slot: Callable[[int], None] | None) -> None:
        run, outages = self.spec.run, self.spec.keepers.outages
        down: set[str] = set()
        for step in range(1, run.slots + 1):
            self.steps = step
            self.ledger.advance_slot()
            for bot in sorted({o.bot for o in outages}):
                out = any(o.bot == bot and o.covers(step) for o in outages)
                if out and bot not in down:
                    down.add(bot)
                    await keeper.pause_bot(bot)
                    self.events.append({"slot": step, "kind": "keeper_outage", "bot": bot})
                elif not out and bot in down:
                    down.discard(bot)
                    keeper.resume_bot(bot)
                    self.events.append({"slot": step, "kind": "keeper_restored", "bot": bot})
            self._step(step)
            markets = self._markets()
            states = {i: MarketState.from_account(m) for i, m in markets.items()}
            self._screen(states, step)
            if step % run.record_every_slots == 0 or step == 1:
                self._record(step, markets, states)
            if on_slot is not None:
                on_slot(step)
            await clock.sleep(run.keeper_seconds_per_slot)
        for bot in sorted(down):
            keeper.resume_bot(bot)
        for _ in range(DRAIN_SLOTS):  # let the keepers finish what the last slots started (bounded)
            if not keeper.pipeline.in_flight:
                break
            self.ledger.advance_slot()
            await clock.sleep(run.keeper_seconds_per_slot)

    def run(self, progress: bool = False, on_slot: Callable[[int], None] | None = None) -> SimRun:
        """Run every slot with the keepers; return the record (``summary`` from ``sim.metrics`` when present)."""
        clock = VirtualClock(start_unix_s=float(self.ledger.wall_clock()))
        self.keeper_journal: dict[str, int] = {}
        self.strategy_analytics: dict[str, dict[int, dict[str, Any]]] = {}  # market maker -> market -> figures
        self.arbitrage_analytics: dict[str, dict[str, dict[str, Any]]] = {}  # arbitrage bot -> its strategy -> figures
        quiet = logging.getLogger("perpkeep")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            clock.run(self._main(clock, progress, on_slot))
        finally:
            quiet.setLevel(level)
        sim_run = SimRun(self.spec.mapping, self.seed, self.series, self.events)
        try:
            from sim.metrics import summarize  # type: ignore[import-not-found]
        except ImportError:
            summarize = None
        if summarize is not None:
            sim_run.summary = summarize(sim_run)
        sim_run.summary.update(self.market_maker_summary())
        sim_run.summary.update(self.arbitrage_summary())
        return sim_run

    def arbitrage_summary(self) -> dict[str, float]:
        """The arbitrage bots' own figures per strategy (``keepers.strategies.arbitrage.analytics``):
        ``strategy.NAME.STRATEGY.theoretical_edge``, ``captured_edge``, ``leg_slippage``, ``failed_leg_rate``,
        ``sent`` and ``orphans``."""
        return {f"strategy.{name}.{strategy}.{k}": float(a[k])
                for name, strategies in self.arbitrage_analytics.items() for strategy, a in strategies.items()
                for k in ("theoretical_edge", "captured_edge", "leg_slippage", "failed_leg_rate", "sent", "orphans")}

    def market_maker_summary(self) -> dict[str, float]:
        """The market makers' own attribution per market (``keepers.strategies.market_maker.analytics``):
        ``strategy.NAME.MARKET.spread_capture``, ``inventory_pnl``, ``fees``, ``fill_ratio``, ``quote_uptime``,
        ``time_at_limit`` and ``markout_N`` (quote per fill, N slots after it)."""
        out: dict[str, float] = {}
        for name, markets in self.strategy_analytics.items():
            for index, a in markets.items():
                at = f"strategy.{name}.{self.dep.markets[index].name}"
                for k in ("spread_capture", "inventory_pnl", "fees", "fill_ratio", "quote_uptime", "time_at_limit"):
                    out[f"{at}.{k}"] = float(a[k])
                out[f"{at}.fills"] = float(a["fills"])
                for horizon, v in a["markout_per_fill"].items():
                    out[f"{at}.markout_{horizon}"] = float(v)
        return out

    async def _main(self, clock: VirtualClock, progress: bool, on_slot: Callable[[int], None] | None) -> None:
        faults = self.spec.faults
        if faults.drop_rate or faults.error_rate:
            chain: InProcessChain = FaultyChain(self.ledger, faults.drop_rate, faults.error_rate,
                                                random.Random(f"{self.seed}/faults"))
        else:
            chain = InProcessChain(self.ledger)
        config = self.keeper_config()
        self.keeper = keeper = Keeper(config, chain, self.dep.wallets["keeper"], journal=Journal(":memory:", clock=clock),
                                      serve_http=False, clock=clock)
        await keeper.start()
        for s in self.strategies:
            if s.maker is None:
                s.keeper = Keeper(self.strategy_config(s), InProcessChain(self.ledger), s.keypair,
                                  journal=Journal(":memory:", clock=clock), serve_http=False, clock=clock)
                await s.keeper.start()
        try:
            if progress:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

                with Progress(TextColumn(f"{self.spec.run.name} seed {self.seed}"), BarColumn(), MofNCompleteColumn(),
                              TimeRemainingColumn()) as bar:
                    task = bar.add_task("slots", total=self.spec.run.slots)

                    def tick(step: int) -> None:
                        bar.update(task, completed=step)
                        if on_slot is not None:
                            on_slot(step)

                    await self._drive(keeper, clock, tick)
            else:
                await self._drive(keeper, clock, on_slot)
            self.keeper_journal = keeper.journal.counts()
            for s in self.strategies:
                if s.keeper is not None and s.spec.kind == "arbitrage":
                    self.arbitrage_analytics[s.name] = s.keeper.bots["arbitrage"].analytics_report()
                elif s.keeper is not None:
                    self.strategy_analytics[s.name] = s.keeper.bots["market_maker"].analytics_report()
        finally:
            for s in self.strategies:
                if s.keeper is not None:
                    await s.keeper.stop()
                    await s.keeper.chain.close()
            await keeper.stop()
            await chain.close()


def run_scenario(spec_or_mapping: ScenarioSpec | Mapping[str, Any], *, seed: int | None = None,
                 progress: bool = False) -> SimRun:
    """Run a scenario (a ``ScenarioSpec`` or a plain mapping, validated against the working directory)
    with ``seed`` (None: the scenario's own) and return its ``SimRun``."""
    spec = spec_or_mapping if isinstance(spec_or_mapping, ScenarioSpec) else scenario_from_mapping(spec_or_mapping, Path.cwd())
    return Simulation(spec, seed).run(progress=progress)


__all__ = ["FaultyChain", "OracleDriver", "Simulation", "run_scenario"]
