"""`perpkeep demo`: the whole system on an embedded chain, with no network, in well under a minute.

The demo is a scenario (``sim/scenarios/demo.toml``) run by ``sim.engine``: two markets with Pyth oracles,
the market-making bot (``keepers.strategies.market_maker``) in a keeper of its own, leveraged takers, an insurance fund with a stake, every keeper bot on
``keepers.chain.inprocess.InProcessChain`` over the in-process ledger (chain time 5 s per slot, so that
funding periods and the hourly revenue sweep happen within the run), prices along a random walk with a
crash at 5/18 of the run. It ends with a summary and the conservation check.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from keepers.execution.intents import ActionKind
from keepers.exchange.pdas import insurance_vault_pda
from keepers.runtime import Keeper
from keepers.status import user_risks
from keepers.execution.pipeline import ActionStatus
from localnet.build import BuildError
from programs_client.perp.accounts import Market
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from sim.scenario import conservation, open_interest

if TYPE_CHECKING:
    from sim.engine import Simulation


def _step(msg: str) -> None:
    print(f"  {msg}", flush=True)


def _by_kind(keeper: Keeper) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for (kind, status), n in keeper.pipeline.outcomes.items():
        out.setdefault(kind, Counter())[status] += n
    return out


DEMO_SCENARIO = Path(__file__).parent / "scenarios" / "demo.toml"


def demo_mapping(users: int = 40, seed: int = 7, slots: int = 1_800) -> dict:
    """``sim/scenarios/demo.toml`` with the takers, seed and length asked for (the crash at 5/18 of the run)."""
    import tomllib

    mapping = tomllib.loads(DEMO_SCENARIO.read_text())
    mapping["scenario"] |= {"seed": seed, "slots": slots}
    mapping["traders"][0]["count"] = users
    for market in mapping["markets"].values():
        market["price"]["at_slot"] = max(slots * 5 // 18, 1)
    return mapping


def engine_summary(sim: Simulation, elapsed: float) -> bool:
    """Print the summary of a demo run through the engine; return whether the conservation check holds
    and no user is left liquidatable."""
    keeper = sim.keeper
    by_kind = _by_kind(keeper)
    landed = {k: c.get(ActionStatus.LANDED, 0) for k, c in by_kind.items()}
    markets = [sim.svm.decode(Market, m.address) for m in sim.dep.markets]
    fund = sim.svm.token_balance(insurance_vault_pda(sim.dep.program_id))
    risky = [r for r in user_risks(keeper.cache) if r.margin.liquidatable]
    vault, total, claims = conservation(sim.ledger, sim.dep)
    ok = vault == total == claims
    opened = sum(1 for a in sim.agents if a.orders)
    maker = sim.strategies[0] if sim.strategies else None
    print("summary")
    if maker is not None and maker.keeper is not None:  # the market-making bot: its own figures
        mm = maker.keeper.bots["market_maker"]
        quotes = maker.keeper.pipeline.outcomes.get((ActionKind.MM_REQUOTE, ActionStatus.LANDED), 0)
        capture = sum(a["spread_capture"] for a in mm.analytics_report().values())
        _step(f"takers opened {opened} positions; the market maker requoted {quotes} times, "
              f"spread capture {capture:,.2f}")
    else:
        _step(f"takers opened {opened} positions; the maker quoted both markets every "
              f"{maker.spec.requote_slots if maker else '-'} slots")
    _step(f"liquidations {landed.get(ActionKind.LIQUIDATE_PERP, 0)}, derisk orders {landed.get(ActionKind.DERISK, 0)}, "
          f"bankruptcies resolved {landed.get(ActionKind.RESOLVE_BANKRUPTCY, 0)}")
    _step(f"price cranks {landed.get(ActionKind.UPDATE_PRICES, 0)}, funding updates {landed.get(ActionKind.UPDATE_FUNDING, 0)}")
    _step(f"settlements: fills consumed {landed.get(ActionKind.CONSUME_EVENTS, 0)}, funding {landed.get(ActionKind.SETTLE_FUNDING, 0)}, "
          f"PnL {landed.get(ActionKind.SETTLE_PNL, 0)}, expired positions {landed.get(ActionKind.SETTLE_EXPIRED_POSITION, 0)}")
    _step(f"revenue sweeps {landed.get(ActionKind.SETTLE_REVENUE, 0)}; insurance fund {fund / QUOTE:,.2f} "
          f"(staked {sim.spec.insurance.stake:,.0f}); socialised losses "
          f"{sum(m.socialised_loss for m in markets) / QUOTE:,.2f}")
    _step(f"open interest {open_interest(sim.ledger, sim.dep) / QUOTE:,.0f}; users still liquidatable: {len(risky)}")
    failed = sum(c.get(ActionStatus.FAILED, 0) + c.get(ActionStatus.EXPIRED, 0) for c in by_kind.values())
    _step(f"keeper actions failed or expired: {failed} (journal: {sim.keeper_journal})")
    _step(f"collateral vault {vault / QUOTE:,.6f} | exchange total {total / QUOTE:,.6f} | "
          f"collateral + PnL pools {claims / QUOTE:,.6f}")
    _step(f"conservation check: {'OK' if ok else 'BROKEN'}  ({elapsed:.1f} s)")
    return ok and not risky


def run_demo(users: int = 40, seed: int = 7, slots: int = 1_800, live: bool | None = None) -> int:
    """Run the demo (``sim/scenarios/demo.toml`` through ``sim.engine``); return the exit status (0 when
    the checks hold). ``live``: a progress bar (None: when stdout is a terminal), else progress lines."""
    from sim.engine import Simulation
    from sim.scenario_file import scenario_from_mapping

    started = time.monotonic()
    print("perpkeep demo: embedded local chain (LiteSVM), every keeper bot, no network")
    spec = scenario_from_mapping(demo_mapping(users, seed, slots), DEMO_SCENARIO.parent)
    try:
        sim = Simulation(spec)
    except BuildError as e:
        print(f"perpkeep: build failed:\n{e}", file=sys.stderr)
        return 1
    crash_at = spec.markets[0].price["at_slot"]
    _step(f"exchange with {len(sim.dep.markets)} markets, {users} takers, 1 market maker, insurance fund "
          f"{spec.insurance.stake:,.0f}; chain time {spec.run.seconds_per_slot} s per slot, crash at slot {crash_at}")
    bar = sys.stdout.isatty() if live is None else live

    def lines(n: int) -> None:
        if n % max(slots // 10, 1) == 0:
            _step(f"slot {n}/{slots}: {sim.liquidations} liquidations" + (" (after the crash)" if n >= crash_at else ""))

    sim.run(progress=bar, on_slot=None if bar else lines)
    return 0 if engine_summary(sim, time.monotonic() - started) else 1
