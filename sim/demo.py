"""`perpkeep demo`: the whole system on an embedded chain, with no network, in about a minute.

1. Build the perp and mock-oracle programs and bootstrap an exchange in LiteSVM: two markets with
   Pyth oracles, a market maker, leveraged takers, an insurance fund with a stake, and the keeper's
   own margin account.
2. Run the chain in process (``localnet.ledger.Ledger``: slots, blockhashes, history) with
   chain time running ``SECONDS_PER_SLOT`` per slot, so that funding periods and the hourly
   revenue sweep happen within the run.
3. Run every keeper bot on ``keepers.chain.inprocess.InProcessChain``: the same runtime that runs
   against a cluster over RPC.
4. Move prices along a random walk with a crash, let the maker quote and the takers open positions,
   show a live view, and end with a summary and the conservation check.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from keepers.chain.inprocess import InProcessChain
from keepers.config import Config
from keepers.execution.intents import ActionKind
from keepers.exchange.pdas import insurance_vault_pda
from keepers.runtime import Keeper
from keepers.status import markets_table, user_risks
from keepers.execution.pipeline import ActionStatus
from localnet.build import BuildError
from programs_client.perp.accounts import Market
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world, conservation, open_interest

SLOT_INTERVAL_S = 0.02  # wall time per slot


@dataclass
class DemoSettings:
    """How long the demo runs, and the scenario it runs."""

    slots: int = 1_800
    scenario: ScenarioSettings = field(default_factory=ScenarioSettings)
    live: bool | None = None  # None: a live view when stdout is a terminal


def _step(msg: str) -> None:
    print(f"  {msg}", flush=True)


def build_world(settings: DemoSettings, out: Path) -> LedgerWorld:
    """The scenario's exchange on an in-process ledger, and the keeper's keypair file in ``out``."""
    world = build_ledger_world(settings.scenario)
    fd = os.open(out / "keeper.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(list(bytes(world.dep.wallets["keeper"])), f)
    return world


def keeper_config(out: Path) -> Config:
    """The keeper's configuration for the embedded chain (the RPC URL is never used in process)."""
    return Config.from_mapping({
        "cluster": {"rpc_url": "http://127.0.0.1:8899", "commitment": "processed"},
        "keeper": {"keypair_path": "keeper.json", "journal_path": "journal.sqlite"},
        "metrics": {"enabled": False},
        "logging": {"level": "error", "format": "text"},
        "bots": {
            "mark_price": {"deviation_bps": 10, "heartbeat_s": 60.0},
            "settler": {"interval_s": 0.5, "funding_threshold_quote": 100 * QUOTE, "pnl_threshold_quote": 1 * QUOTE},
            "insurance": {"coverage_alert_ratio": 0.02},
        },
    }, out)


def live_view(world: LedgerWorld, keeper: Keeper, slot: int, settings: DemoSettings) -> Group:
    """The live terminal view: progress, markets, keeper actions."""
    markets = [(m.address, world.svm.decode(Market, m.address)) for m in world.dep.markets]
    head = Table.grid(padding=(0, 2))
    sc = world.scenario
    chain_s = slot * sc.settings.seconds_per_slot
    prices = "  ".join(f"{m.name} {sc.prices[m.index]:,.2f}" for m in world.dep.markets)
    crash = "CRASH" if sc.crashed else f"crash at slot {sc.settings.crash_at}"
    head.add_row(f"slot {slot}/{settings.slots}", f"chain time +{chain_s // 60} min", f"oracle {prices}", crash)
    acts = Table(title="keeper actions", title_justify="left")
    for col in ("action", ActionStatus.LANDED, ActionStatus.FAILED, "other"):
        acts.add_column(col, justify="left" if col == "action" else "right")
    for kind, counts in sorted(_by_kind(keeper).items()):
        other = sum(v for k, v in counts.items() if k not in (ActionStatus.LANDED, ActionStatus.FAILED))
        acts.add_row(kind, str(counts.get(ActionStatus.LANDED, 0)), str(counts.get(ActionStatus.FAILED, 0)), str(other))
    liq = keeper.bots["liquidator"].last_candidates if "liquidator" in keeper.bots else 0
    foot = f"liquidatable now: {liq}   in flight: {len(keeper.pipeline.in_flight)}"
    return Group(head, markets_table(markets, compact=True), acts, foot)


def _by_kind(keeper: Keeper) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for (kind, status), n in keeper.pipeline.outcomes.items():
        out.setdefault(kind, Counter())[status] += n
    return out


async def _drive(world: LedgerWorld, keeper: Keeper, settings: DemoSettings, console: Console) -> None:
    live = console.is_terminal if settings.live is None else settings.live
    view = Live(console=console, refresh_per_second=4, transient=False) if live else None
    if view is not None:
        view.start()
    try:
        for n in range(1, settings.slots + 1):
            world.scenario.step(world.ledger.advance_slot())
            await asyncio.sleep(SLOT_INTERVAL_S)
            if view is not None and n % 5 == 0:
                view.update(live_view(world, keeper, n, settings))
            elif view is None and n % (settings.slots // 10) == 0:
                landed = sum(c.get(ActionStatus.LANDED, 0) for c in _by_kind(keeper).values())
                _step(f"slot {n}/{settings.slots}: {landed} keeper actions landed"
                      + (" (after the crash)" if world.scenario.crashed else ""))
    finally:
        if view is not None:
            view.update(live_view(world, keeper, settings.slots, settings))
            view.stop()


def summary(world: LedgerWorld, keeper: Keeper, journal: dict[str, int], elapsed: float) -> bool:
    """Print the summary; return whether the conservation check holds and no user is left liquidatable."""
    by_kind = _by_kind(keeper)
    landed = {k: c.get(ActionStatus.LANDED, 0) for k, c in by_kind.items()}
    sc = world.scenario
    markets = [world.svm.decode(Market, m.address) for m in world.dep.markets]
    fund = world.svm.token_balance(insurance_vault_pda(world.dep.program_id))
    cache = keeper.cache
    risky = [r for r in user_risks(cache) if r.margin.liquidatable]
    vault, total, claims = conservation(world.ledger, world.dep)
    ok = vault == total == claims
    print("summary")
    _step(f"takers opened {sc.opened} positions; the maker quoted both markets every "
          f"{sc.settings.maker_requote_slots} slots")
    _step(f"liquidations {landed.get(ActionKind.LIQUIDATE_PERP, 0)}, derisk orders {landed.get(ActionKind.DERISK, 0)}, "
          f"bankruptcies resolved {landed.get(ActionKind.RESOLVE_BANKRUPTCY, 0)}")
    _step(f"price cranks {landed.get(ActionKind.UPDATE_PRICES, 0)}, funding updates {landed.get(ActionKind.UPDATE_FUNDING, 0)}")
    _step(f"settlements: fills consumed {landed.get(ActionKind.CONSUME_EVENTS, 0)}, funding {landed.get(ActionKind.SETTLE_FUNDING, 0)}, "
          f"PnL {landed.get(ActionKind.SETTLE_PNL, 0)}, expired positions {landed.get(ActionKind.SETTLE_EXPIRED_POSITION, 0)}")
    _step(f"revenue sweeps {landed.get(ActionKind.SETTLE_REVENUE, 0)}; insurance fund {fund / QUOTE:,.2f} "
          f"(staked {sc.settings.insurance_stake / QUOTE:,.0f}); socialised losses "
          f"{sum(m.socialised_loss for m in markets) / QUOTE:,.2f}")
    _step(f"open interest {open_interest(world.ledger, world.dep) / QUOTE:,.0f}; users still liquidatable: {len(risky)}")
    failed = sum(c.get(ActionStatus.FAILED, 0) + c.get(ActionStatus.EXPIRED, 0) for c in by_kind.values())
    _step(f"keeper actions failed or expired: {failed} (journal: {journal})")
    _step(f"collateral vault {vault / QUOTE:,.6f} | exchange total {total / QUOTE:,.6f} | "
          f"collateral + PnL pools {claims / QUOTE:,.6f}")
    _step(f"conservation check: {'OK' if ok else 'BROKEN'}  ({elapsed:.1f} s)")
    return ok and not risky


async def run_demo_async(settings: DemoSettings) -> int:
    """Run the demo (see the module docstring); return the exit status."""
    started = time.monotonic()
    console = Console()
    print("perpkeep demo: embedded local chain (LiteSVM), every keeper bot, no network")
    with tempfile.TemporaryDirectory(prefix="perpkeep-demo-") as tmp:
        out = Path(tmp)
        try:
            world = build_world(settings, out)
        except BuildError as e:
            print(f"perpkeep: build failed:\n{e}", file=sys.stderr)
            return 1
        sc = settings.scenario
        _step(f"exchange with {len(world.dep.markets)} markets, {sc.users} takers, 1 market maker, insurance fund "
              f"{sc.insurance_stake / QUOTE:,.0f}; chain time {sc.seconds_per_slot} s per slot, crash at slot {sc.crash_at}")
        from keepers.observability.logs import setup_logging

        config = keeper_config(out)
        setup_logging(config.logging.level, config.logging.format)
        chain = InProcessChain(world.ledger)
        keeper = Keeper(config, chain, world.dep.wallets["keeper"], serve_http=False)
        await keeper.start()
        try:
            await _drive(world, keeper, settings, console)
            for _ in range(100):  # let the keepers finish what the last slots started (bounded)
                world.ledger.advance_slot()
                await asyncio.sleep(SLOT_INTERVAL_S)
                if not keeper.pipeline.in_flight:
                    break
            journal = keeper.journal.counts()
        finally:
            await keeper.stop()
            await chain.close()
        ok = summary(world, keeper, journal, time.monotonic() - started)
    return 0 if ok else 1


def run_demo(users: int = 40, seed: int = 7, slots: int = 1_800, live: bool | None = None) -> int:
    """Run the demo synchronously; return the exit status (0 when the checks hold)."""
    scenario = ScenarioSettings(users=users, seed=seed, crash_at=max(slots * 5 // 18, 1))
    return asyncio.run(run_demo_async(DemoSettings(slots=slots, scenario=scenario, live=live)))
