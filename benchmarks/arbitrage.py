"""Arbitrage figures: opportunity detected -> transaction sent (keeper side), and a two-leg atomic transaction's
compute units.

A keeper running the arbitrage bot (and the settler, which consumes the fills' events) on the in-process chain with the real program (LiteSVM) watches
two markets on the same underlying (SOL-PERP and SOLB-PERP, both 150). Per sample a maker rests an ask at
149 in one and a bid at 151 in the other (0.1 each): the bot's cross-market strategy reads both books,
sizes the opportunity, checks the risk limits, journals the intent, builds the two fill-or-kill legs and
signs ONE transaction. Measured is the time from the bot detecting the opportunity (its books read) to the
transaction being handed to the chain (the instrumented chain's ``send``), and the compute units LiteSVM
reports for the landed two-leg transactions (compute-budget instructions included).

Run: python -m benchmarks.arbitrage [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.keepers import WARMUP_SAMPLES
from keepers.chain.inprocess import InProcessChain
from keepers.config import Config
from keepers.exchange import instructions as ix
from keepers.exchange.pdas import user_pda
from keepers.execution.journal import Journal
from keepers.runtime import Keeper
from keepers.strategies.arbitrage.bot import ArbitrageBot
from programs_client.perp.constants import BASE_PRECISION, PRICE_PRECISION
from programs_client.perp.types import order_type, side
from sim.scenario import ScenarioSettings, build_ledger_world

MARKETS = ("SOL-PERP", "SOLB-PERP")
LEG_BASE = 0.1  # base of each maker order (and so of each leg)


@dataclass(frozen=True)
class ArbFigures:
    send_ms: list[float]  # opportunity detected -> transaction handed to the chain
    compute_units: list[int]  # of landed transactions with two place_order legs
    sent: int


@dataclass(frozen=True)
class _Settings(ScenarioSettings):
    def plan(self):  # noqa: ANN202 - the scenario's plan with both SOL markets at 150
        import dataclasses

        return dataclasses.replace(super().plan(), prices={"SOL-PERP": 150.0, "SOLB-PERP": 150.0})


async def _arbitrage(samples: int) -> ArbFigures:
    world = _Settings(users=1, seconds_per_slot=1, markets=MARKETS)
    world = build_ledger_world(world)
    ledger, dep = world.ledger, world.dep
    me = user_pda(dep.wallets["keeper"].pubkey(), 0, dep.program_id)
    place_tag = bytes(ix.place_order(me, me, 0, ix.order_args(side.Bid(), 1, 1), [], dep.program_id).data[:8])
    maker = dep.wallets["maker-0"]
    maker_user = user_pda(maker.pubkey(), 0, dep.program_id)
    sends: list[float] = []

    class TimedChain(InProcessChain):
        async def send(self, tx):  # noqa: ANN001, ANN202 - times the hand-over to the chain
            if any(bytes(ci.data[:8]) == place_tag for ci in tx.message.instructions):
                sends.append(time.monotonic())
            return await super().send(tx)

    def publish() -> None:
        for pub, m in zip(world.scenario.publishers, dep.markets):
            a = pub.oracle.authority
            pub.oracle.send([f.write_ix(a.pubkey(), m.initial_price, m.initial_price * 5e-4) for f in pub.feeds], [a])

    def rest(market: int, bid: bool, price: float) -> None:
        others = [m.address for m in dep.markets if m.index != market]
        order = ix.order_args(side.Bid() if bid else side.Ask(), round(price * PRICE_PRECISION),
                              round(LEG_BASE * BASE_PRECISION), order_type.PostOnly())
        crank = dep.markets[market].oracles.update_prices_ix(market, dep.program_id)  # the mark must be fresh
        out = ledger.send([crank, ix.cancel_all_orders(maker.pubkey(), maker_user, market, dep.program_id),
                           ix.place_order(maker.pubkey(), maker_user, market, order, others, dep.program_id)],
                          [maker], maker)
        assert out.ok, out

    publish()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.from_mapping({
            "cluster": {"rpc_url": "http://127.0.0.1:8899", "commitment": "processed"},
            "keeper": {"keypair_path": "keeper.json"}, "metrics": {"enabled": False},
            "logging": {"level": "error", "format": "text"},
            "bots": {"arbitrage": {"strategies": ["cross_market"], "cross_markets": [[0, 1]],
                                   "volatility_bps_per_sqrt_s": 0.0, "max_asset_base": 1e6}},
        }, Path(tmp))
        chain = TimedChain(ledger)
        # the settler consumes the fills' events (a full event queue refuses every taker)
        keeper = Keeper(config, chain, dep.wallets["keeper"], bots=("arbitrage", "settler"),
                        journal=Journal(Path(tmp) / "journal.sqlite"), serve_http=False)
        await keeper.start()
        bot = keeper.bots["arbitrage"]
        assert isinstance(bot, ArbitrageBot)
        latencies: list[float] = []
        try:
            for i in range(samples + WARMUP_SAMPLES):
                ledger.advance_slot()
                publish()
                before = len(sends)
                rest(0, bid=False, price=149.0)
                rest(1, bid=True, price=151.0)
                deadline = time.monotonic() + 5.0
                while len(sends) == before and time.monotonic() < deadline:
                    await asyncio.sleep(0.0005)
                if len(sends) > before and i >= WARMUP_SAMPLES:
                    latencies.append((sends[before] - bot.detected_at[-1]) * 1e3)
                for _ in range(500):  # the legs land and the cache shows both books (bounded)
                    await asyncio.sleep(0.002)
                    if not keeper.pipeline.in_flight and not bot.in_flight_legs:
                        break
            sent = len(bot.detected_at)
        finally:
            await keeper.stop()
            await chain.close()
    units = []
    for record in ledger.records.values():
        data = [bytes(c.data[:8]) for c in record.tx.message.instructions]
        if record.err is None and data.count(place_tag) == 2 and record.tx.message.account_keys[0] == dep.wallets["keeper"].pubkey():
            units.append(record.compute_units)
    return ArbFigures(latencies, units, sent)


def bench_arbitrage(samples: int = 100) -> ArbFigures:
    """Run the arbitrage bot on the in-process chain and measure opportunity -> send and the two-leg CU."""
    return asyncio.run(_arbitrage(samples))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args(argv)
    f = bench_arbitrage(args.samples)
    print(f"opportunity detected -> transaction sent (keeper side): {len(f.send_ms)} samples, {f.sent} sent")
    if not f.send_ms or not f.compute_units:
        print("  no opportunity was measured")
        return 1
    ms = np.asarray(f.send_ms)
    print(f"  p50 {np.percentile(ms, 50):.3f} ms   p99 {np.percentile(ms, 99):.3f} ms   max {ms.max():.3f} ms")
    units = f.compute_units
    print(f"two-leg atomic transaction (2 fill-or-kill place_order, compute budget included), {len(units)} landed: "
          f"min {min(units):,}  median {int(np.median(units)):,}  max {max(units):,} CU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
