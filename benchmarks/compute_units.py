"""Compute units per perp-program instruction, measured in LiteSVM; writes benchmarks/compute_units.md.

Every address that feeds a PDA search comes from a fixed seed, so the figures are deterministic and a
test (tests/program/test_compute_unit_table.py) fails when the committed table no longer matches the
program. Also writes the keepers' machine-readable copy, ``keepers/execution/compute_units.json``
(``worst_cases``: each instruction's costliest measured case), from which the transaction pipeline
sizes compute limits (``keepers.execution.compute_budget``). Run: python -m benchmarks.compute_units [--check]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.oracles import OracleKind
from keepers.exchange.pdas import orderbook_pda
from keepers.execution.compute_budget import CANCEL_ALL_MEASURED_ORDERS, TABLE as KEEPER_TABLE, render_table
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params, oracle_config
from localnet.build import build_program
from localnet.svm import LocalSvm
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID, MockOracle, write_pyth_legacy_ix
from programs_client.perp.accounts import Orderbook
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import market_status, order_type, side, trigger_condition, trigger_kind

TABLE = Path(__file__).with_name("compute_units.md")
FOUNDATION_TARGET = 15_000


@dataclass(frozen=True)
class Row:
    instruction: str
    compute_units: int
    target: int | None
    note: str = ""


def _kp(n: int) -> Keypair:
    return Keypair.from_seed(bytes([n]) * 32)


def measure(program: bytes) -> list[Row]:
    """Run each instruction once on a fresh chain and return its compute units."""
    svm = LocalSvm(program)
    rows: list[Row] = []

    def run(name: str, ixs, signers, payer=None, note: str = "") -> None:  # noqa: ANN001
        out = svm.send_ok(ixs, signers, payer)
        rows.append(Row(name, out.compute_units, FOUNDATION_TARGET, note))

    admin = _kp(1)
    svm.svm.airdrop(admin.pubkey(), 100 * 10**9)
    mint_authority = _kp(2)
    mint = svm.create_mint(mint_authority.pubkey(), mint=_kp(3))
    svm.set_upgrade_authority(admin.pubkey())
    run("initialize_exchange", [ix.initialize_exchange(admin.pubkey(), mint)], [admin], admin,
        "one-time; SPL Token InitializeAccount3 costs 4,214 per vault, 4 PDA searches (the ProgramData one checks the upgrade authority) ~6,000")
    ex = LocalExchange(svm, admin, mint, mint_authority)
    run("set_paused_operations", [ix.set_paused_operations(admin.pubkey(), 0)], [admin], admin)
    oracle = oracle_config(_kp(10).pubkey(), _kp(11).pubkey())
    params = default_market_params()
    run("initialize_market", [ix.initialize_market(admin.pubkey(), 0, "SOL-PERP", oracle, params)], [admin], admin,
        "one-time per market; creates market, orderbook, event queue; canonical-bump search is 8 x 1,500 for index 0")
    run("update_market_params", [ix.update_market_params(admin.pubkey(), 0, params)], [admin], admin)
    run("update_market_oracle", [ix.update_market_oracle(admin.pubkey(), 0, oracle)], [admin], admin)
    run("set_market_status", [ix.set_market_status(admin.pubkey(), 0, market_status.ReduceOnly())], [admin], admin)

    trader = _kp(20)
    svm.svm.airdrop(trader.pubkey(), 10 * 10**9)
    token_account = svm.token_account(trader.pubkey(), mint)
    svm.mint_to(mint, mint_authority, token_account, 1_000 * QUOTE)
    run("initialize_user", [ix.initialize_user(trader.pubkey(), 0, None)], [trader], trader)
    ex.users.append(LocalUser(trader, token_account, 0, svm.program_id))
    run("set_user_delegate", [ix.set_user_delegate(trader.pubkey(), _kp(21).pubkey())], [trader], trader)
    run("deposit", [ix.deposit(trader.pubkey(), token_account, 500 * QUOTE)], [trader], trader, "includes SPL Token transfer")
    run("withdraw", [ix.withdraw(trader.pubkey(), token_account, 200 * QUOTE)], [trader], trader,
        "includes PDA-signed SPL Token transfer")
    run("transfer_admin", [ix.transfer_admin(admin.pubkey(), _kp(30).pubkey())], [admin], admin)
    rows += _measure_engine(program)
    rows += _measure_triggers(program)
    vault, total, users = ex.conservation()
    if not vault == total == users:
        raise RuntimeError(f"conservation broken in the benchmark run: {vault} {total} {users}")
    return rows


@dataclass
class _Chain:
    """A chain with an exchange and one market (index 0) priced by a mock Pyth legacy feed."""

    svm: LocalSvm
    ex: LocalExchange
    feed: Pubkey
    oracle: MockOracle

    def publish(self, price: int) -> None:
        self.oracle.write(write_pyth_legacy_ix(_kp(40).pubkey(), self.feed, price=price, conf=PRICE // 100, exponent=-6))

    def tick(self, seconds: int) -> None:
        c = self.svm.clock()
        self.svm.warp(c.slot + 1, c.unix_timestamp + seconds)

    def trader(self, seed: int, deposit: int) -> LocalUser:
        u = self.ex.add_user(tokens=0, keypair=_funded(self.svm, seed))
        self.svm.mint_to(self.ex.mint, self.ex.mint_authority, u.token_account, deposit * QUOTE)
        self.svm.send_ok([ix.deposit(u.authority, u.token_account, deposit * QUOTE)], [u.keypair])
        return u


def _chain(program: bytes) -> _Chain:
    """A fresh chain with the exchange and market 0, its feed published at 100 (prices not cranked yet)."""
    svm = LocalSvm(program)
    svm.svm.add_program(MOCK_ORACLE_PROGRAM_ID, build_program("mock_oracle").read_bytes())
    oracle = MockOracle(svm.send, _kp(40))
    svm.svm.airdrop(_kp(40).pubkey(), 100 * 10**9)
    oracle.initialize()
    feed = oracle.create_account(OracleKind.PYTH_LEGACY, account=_kp(41))
    admin = _kp(50)
    svm.svm.airdrop(admin.pubkey(), 100 * 10**9)
    mint_authority = _kp(51)
    mint = svm.create_mint(mint_authority.pubkey(), mint=_kp(52))
    svm.set_upgrade_authority(admin.pubkey())
    svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint)], [admin], admin)
    ex = LocalExchange(svm, admin, mint, mint_authority)
    ex.add_market("SOL-PERP", oracle=oracle_config(feed, MOCK_ORACLE_PROGRAM_ID))
    chain = _Chain(svm, ex, feed, oracle)
    chain.publish(100 * PRICE)
    return chain


def _measure_engine(program: bytes) -> list[Row]:
    """Trading, prices, funding, liquidation and settlement on a second chain with the mock oracle."""
    chain = _chain(program)
    svm, ex, feed, publish, tick, index = chain.svm, chain.ex, chain.feed, chain.publish, chain.tick, 0
    admin, mint, mint_authority = ex.admin, ex.mint, ex.mint_authority
    rows: list[Row] = []

    def run(name: str, ixs, signers, target: int | None, note: str = "", per: int = 1):  # noqa: ANN001, ANN202
        out = svm.send_ok(ixs, signers)
        rows.append(Row(name, out.compute_units // per, target, note))
        return out

    run("update_prices", [ix.update_prices(index, feed)], [], 8_000, "Pyth legacy source, empty book")
    makers = [ex.add_user(tokens=0, keypair=_funded(svm, 60 + i)) for i in range(8)]
    taker = ex.add_user(tokens=0, keypair=_funded(svm, 70))
    liquidator = ex.add_user(tokens=0, keypair=_funded(svm, 71))
    for u, amount in [*((m, 2_000) for m in makers), (taker, 200), (liquidator, 50_000)]:
        svm.mint_to(mint, mint_authority, u.token_account, amount * QUOTE)
        svm.send_ok([ix.deposit(u.authority, u.token_account, amount * QUOTE)], [u.keypair])
    for i, m in enumerate(makers):
        out = svm.send_ok([ix.place_order(m.authority, m.address, index, ix.order_args(side.Ask(), (101 + i) * PRICE, BASE))], [m.keypair])
        if i == 7:
            rows.append(Row("place_order (resting)", out.compute_units, 15_000, "limit order behind 7 resting asks"))
    one = svm.send_ok([ix.place_order(taker.authority, taker.address, index, ix.order_args(side.Bid(), 101 * PRICE, BASE, order_type.ImmediateOrCancel()))], [taker.keypair])
    rows.append(Row("place_order (taker, 1 maker)", one.compute_units, None, "IOC crossing one maker"))
    seven = svm.send_ok([ix.place_order(taker.authority, taker.address, index, ix.order_args(side.Bid(), 108 * PRICE, 7 * BASE, order_type.ImmediateOrCancel()))], [taker.keypair])
    rows.append(Row("place_order (taker, per extra maker)", (seven.compute_units - one.compute_units) // 6, 5_000,
                    f"(7 makers {seven.compute_units:,} - 1 maker) / 6"))
    run("consume_events (per event)", [ix.consume_events(index, [m.address for m in makers], 8)], [], 4_000, "8 fills, 8 makers", per=8)
    # a full bid side (8 bids from each maker), a better bid evicting the worst, its out event applied,
    # then the book emptied again for the rows below
    for i, m in enumerate(makers):
        bids = [ix.order_args(side.Bid(), (80 + i) * PRICE + j * PRICE // 100, BASE // 100) for j in range(8)]
        svm.send_ok([ix.place_order(m.authority, m.address, index, o) for o in bids], [m.keypair])
    better = ix.order_args(side.Bid(), 95 * PRICE, BASE // 100)
    run("place_order (evicting)", [ix.place_order(makers[7].authority, makers[7].address, index, better)],
        [makers[7].keypair], 15_000, "a better bid on a full side: the worst order out, an out event queued")
    run("consume_events (out event)", [ix.consume_events(index, [makers[0].address], 1)], [], 4_000,
        "releases the evicted order's reservation")
    rows += _measure_expiry(program)
    for m in makers:
        svm.send_ok([ix.cancel_all_orders(m.authority, m.address, index)], [m.keypair])
    svm.send_ok([ix.place_order(taker.authority, taker.address, index, ix.order_args(side.Bid(), 90 * PRICE, BASE))], [taker.keypair])
    book = svm.decode(Orderbook, orderbook_pda(index))
    order_id = book.bids[book.bid_count - 1].order_id
    run("cancel_order", [ix.cancel_order(taker.authority, taker.address, index, order_id)], [taker.keypair], None)
    empty = run("cancel_all_orders", [ix.cancel_all_orders(taker.authority, taker.address, index)], [taker.keypair], None,
                "nothing resting")
    n = CANCEL_ALL_MEASURED_ORDERS
    for i in range(n):
        svm.send_ok([ix.place_order(taker.authority, taker.address, index,
                                    ix.order_args(side.Bid(), (80 + i) * PRICE, BASE // 10, order_type.PostOnly()))],
                    [taker.keypair])
    full = run(f"cancel_all_orders ({n} resting)", [ix.cancel_all_orders(taker.authority, taker.address, index)],
               [taker.keypair], None, f"{n} resting bids of the signer")
    rows.append(Row("cancel_all_orders (per resting order)", (full.compute_units - empty.compute_units) // n, 1_000,
                    f"({n} resting {full.compute_units:,} - nothing resting) / {n}"))
    tick(30)
    publish(100 * PRICE)
    run("update_prices (book, TWAPs)", [ix.update_prices(index, feed)], [], 8_000, "second update advances EMA and TWAPs")
    tick(3600)
    publish(100 * PRICE)
    svm.send_ok([ix.update_prices(index, feed)])
    run("update_funding", [ix.update_funding(index)], [], 8_000)
    run("settle_funding", [ix.settle_funding(taker.address, [ex.market_address(index)])], [], None, "one position")
    run("settle_pnl", [ix.settle_pnl(taker.address, index)], [], 10_000)
    # swept before the bankruptcy below, which would otherwise take the fee pool
    run("settle_revenue_to_insurance", [ix.settle_revenue_to_insurance(index)], [], None, "includes PDA-signed token transfer")
    publish(60 * PRICE)
    svm.send_ok([ix.update_prices(index, feed)])
    run("liquidate_perp", [ix.liquidate_perp(liquidator.authority, liquidator.address, taker.address, index, 100 * BASE)],
        [liquidator.keypair], 25_000, "full close of a bankrupt long")
    run("resolve_bankruptcy", [ix.resolve_bankruptcy(taker.address, index)], [], None,
        "insurance vault (token transfer), then socialised over open interest")
    run("settle_market", [ix.settle_market(admin.pubkey(), index, 60 * PRICE)], [admin], None)
    run("settle_expired_position", [ix.settle_expired_position(liquidator.address, index)], [], None)
    # the bankruptcy took the fee pool: seed the vault so that the protocol owns shares to withdraw below
    svm.mint_to(mint, mint_authority, ex.insurance_vault, 10 * QUOTE)
    run("initialize_insurance_fund", [ix.initialize_insurance_fund(admin.pubkey(), 3600)], [admin], None)
    staker = liquidator
    svm.mint_to(mint, mint_authority, staker.token_account, 1_000 * QUOTE)
    run("add_insurance_stake", [ix.add_insurance_stake(staker.authority, staker.token_account, 500 * QUOTE)],
        [staker.keypair], None, "first stake: creates the stake account")
    run("request_remove_insurance_stake", [ix.request_remove_insurance_stake(staker.authority, 100 * QUOTE)], [staker.keypair], None)
    tick(3600)
    run("remove_insurance_stake", [ix.remove_insurance_stake(staker.authority, staker.token_account)], [staker.keypair], None)
    run("admin_withdraw_insurance", [ix.admin_withdraw_insurance(admin.pubkey(), staker.token_account, 1)], [admin], None)
    return rows


def _measure_triggers(program: bytes) -> list[Row]:
    """Trigger orders on a third chain: store, cancel, and fire one (a stop-loss crossing one maker bid)."""
    from tests.program.helpers import set_market_prices  # a market whose prices are written directly

    svm = LocalSvm(program)
    rows: list[Row] = []

    def run(name: str, ixs, signers, target: int | None, note: str = "") -> None:  # noqa: ANN001
        rows.append(Row(name, svm.send_ok(ixs, signers).compute_units, target, note))

    admin = _funded(svm, 80)
    mint_authority = _kp(81)
    mint = svm.create_mint(mint_authority.pubkey(), mint=_kp(82))
    svm.set_upgrade_authority(admin.pubkey())
    svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint)], [admin], admin)
    ex = LocalExchange(svm, admin, mint, mint_authority)
    index = ex.add_market("SOL-PERP", oracle=oracle_config(_kp(83).pubkey(), _kp(84).pubkey()))
    set_market_prices(svm, ex.market_address(index), 100 * PRICE)
    maker, user, keeper = (ex.add_user(tokens=1_000 * QUOTE, deposit=1_000 * QUOTE, keypair=_funded(svm, n)) for n in (85, 86, 87))
    svm.send_ok([ix.place_order(maker.authority, maker.address, index, ix.order_args(side.Ask(), 100 * PRICE, BASE))], [maker.keypair])
    svm.send_ok([ix.place_order(user.authority, user.address, index, ix.order_args(side.Bid(), 100 * PRICE, BASE, order_type.ImmediateOrCancel()))], [user.keypair])
    svm.send_ok([ix.consume_events(index, [maker.address], 1)])
    run("init_trigger_orders", [ix.init_trigger_orders(user.authority, user.address)], [user.keypair], 15_000,
        "creates the TriggerOrders PDA (canonical-bump search)")
    stop = ix.trigger_args(side.Ask(), trigger_kind.StopMarket(), trigger_condition.Below(), 95 * PRICE, BASE, reduce_only=True)
    run("place_trigger_order", [ix.place_trigger_order(user.authority, user.address, index, stop)], [user.keypair], 15_000)
    run("cancel_trigger_order", [ix.cancel_trigger_order(user.authority, user.address, 1)], [user.keypair], 15_000)
    svm.send_ok([ix.place_trigger_order(user.authority, user.address, index, stop)], [user.keypair])
    svm.send_ok([ix.place_order(maker.authority, maker.address, index, ix.order_args(side.Bid(), 94 * PRICE, BASE))], [maker.keypair])
    set_market_prices(svm, ex.market_address(index), 95 * PRICE)
    run("trigger_order", [ix.trigger_order(keeper.authority, keeper.address, user.address, index, 2)], [keeper.keypair], 25_000,
        "stop-market crossing one maker: a muted dry run of place_order, the accounts restored, then the real one")
    # the costliest kind of queued fill: one that closes the maker's position (realises its PnL); the
    # keeper budgets consume_events for as many of these as its limit allows
    run("consume_events (closing fill, per event)", [ix.consume_events(index, [maker.address], 1)], [], 4_000,
        "one fill closing the maker's short: realised PnL (counts the instruction's own cost too)")
    big = ix.trigger_args(side.Bid(), trigger_kind.StopMarket(), trigger_condition.Below(), 95 * PRICE, 100 * BASE)
    svm.send_ok([ix.place_trigger_order(user.authority, user.address, index, big)], [user.keypair])
    svm.send_ok([ix.place_order(maker.authority, maker.address, index, ix.order_args(side.Ask(), 96 * PRICE, 100 * BASE))], [maker.keypair])
    run("trigger_order (refused, cancelled)", [ix.trigger_order(keeper.authority, keeper.address, user.address, index, 3)],
        [keeper.keypair], 25_000, "insufficient margin at fire time: the dry run fails, the trigger is removed")
    # the costliest fire: a market order crossing as many makers as one order may (trading.c's 16)
    svm.send_ok([ix.cancel_all_orders(maker.authority, maker.address, index)], [maker.keypair])
    for n in range(16):
        m = ex.add_user(tokens=10 * QUOTE, deposit=10 * QUOTE, keypair=_funded(svm, 90 + n))
        svm.send_ok([ix.place_order(m.authority, m.address, index, ix.order_args(side.Ask(), 95 * PRICE + n * PRICE // 100, BASE // 10))],
                    [m.keypair])
    sweep = ix.trigger_args(side.Bid(), trigger_kind.StopMarket(), trigger_condition.Below(), 95 * PRICE, 16 * BASE // 10)
    svm.send_ok([ix.place_trigger_order(user.authority, user.address, index, sweep)], [user.keypair])
    run("trigger_order (16 makers)", [ix.trigger_order(keeper.authority, keeper.address, user.address, index, 4)],
        [keeper.keypair], 60_000, "a market order crossing 16 makers, the most one order fills: twice place_order's path")
    return rows


def _measure_expiry(program: bytes) -> list[Row]:
    """Order expiry on a chain of its own (the engine rows above and below keep their state): a resting order
    with an expiry, prune_expired_orders of 1 and of 16 orders, and a taker meeting 8 expired asks."""
    chain = _chain(program)
    svm, ex = chain.svm, chain.ex
    svm.send_ok([ix.update_prices(0, chain.feed)])
    makers = [chain.trader(80 + i, 2_000) for i in range(8)]
    taker = chain.trader(90, 2_000)
    rows: list[Row] = []

    def asks(expiry: int, per_maker: int, first: int = 101) -> list[int]:
        """per_maker asks of 0.1 base from each maker, at first, first + 0.01, ...; the units of the last send."""
        units = []
        for i, m in enumerate(makers):
            prices = [first * PRICE + (per_maker * i + j) * PRICE // 100 for j in range(per_maker)]
            orders = [ix.order_args(side.Ask(), p, BASE // 10, expiry_slot=expiry) for p in prices]
            units.append(svm.send_ok([ix.place_order(m.authority, m.address, 0, o) for o in orders], [m.keypair]).compute_units)
        return units

    def lapse(expiry: int) -> None:
        c = svm.clock()
        svm.warp(expiry + 1, c.unix_timestamp + 1)
        svm.send_ok([ix.update_prices(0, chain.feed)])  # the mark stays fresh

    def drain() -> None:
        svm.send_ok([ix.consume_events(0, [m.address for m in makers], 128)])

    expiry = svm.clock().slot + 1
    rows.append(Row("place_order (resting, with expiry)", asks(expiry, 1)[-1], FOUNDATION_TARGET,
                    "limit order with an expiry slot behind 7 resting asks"))
    for m in makers[1:]:
        svm.send_ok([ix.cancel_all_orders(m.authority, m.address, 0)], [m.keypair])
    lapse(expiry)
    one = svm.send_ok([ix.prune_expired_orders(0, 128)]).compute_units
    rows.append(Row("prune_expired_orders (1 order)", one, FOUNDATION_TARGET, "the only order of the book, expired"))
    drain()
    expiry = svm.clock().slot + 1
    asks(expiry, 2)
    lapse(expiry)
    sixteen = svm.send_ok([ix.prune_expired_orders(0, 128)]).compute_units
    rows.append(Row("prune_expired_orders (16 orders)", sixteen, FOUNDATION_TARGET, "16 expired asks, each an out event"))
    rows.append(Row("prune_expired_orders (per order)", (sixteen - one) // 15, 1_000, f"(16 orders {sixteen:,} - 1 order) / 15"))
    drain()
    # a taker filling one live ask, then the same behind 8 expired ones that it removes on its way
    ioc = ix.order_args(side.Bid(), 102 * PRICE, BASE // 10, order_type.ImmediateOrCancel())
    take = ix.place_order(taker.authority, taker.address, 0, ioc)
    svm.send_ok([ix.place_order(makers[0].authority, makers[0].address, 0, ix.order_args(side.Ask(), 102 * PRICE, BASE // 10))],
                [makers[0].keypair])
    live = svm.send_ok([take], [taker.keypair]).compute_units
    expiry = svm.clock().slot + 1
    asks(expiry, 1, first=100)
    svm.send_ok([ix.place_order(makers[0].authority, makers[0].address, 0, ix.order_args(side.Ask(), 102 * PRICE, BASE // 10))],
                [makers[0].keypair])
    lapse(expiry)
    behind = svm.send_ok([ix.place_order(taker.authority, taker.address, 0, ioc)], [taker.keypair]).compute_units
    rows.append(Row("place_order (taker, 8 expired makers met)", behind, None, "IOC removing 8 expired asks, then one fill"))
    rows.append(Row("place_order (taker, per expired maker met)", (behind - live) // 8, 5_000,
                    f"(8 expired + 1 fill {behind:,} - 1 fill {live:,}) / 8: removal and out event"))
    return rows


def _funded(svm: LocalSvm, n: int) -> Keypair:
    kp = _kp(n)
    svm.svm.airdrop(kp.pubkey(), 10 * 10**9)
    return kp


def render(rows: list[Row]) -> str:
    """Return the markdown table."""
    lines = [
        "# Compute units per instruction",
        "",
        "Measured in LiteSVM by `python -m benchmarks.compute_units` on the program built from this tree;",
        "`tests/program/test_compute_unit_table.py` fails when this table is stale. Figures include CPIs.",
        "",
        "| instruction | compute units | target | within | note |",
        "|---|---:|---:|:---:|---|",
    ]
    for r in rows:
        target = f"{r.target:,}" if r.target is not None else "-"
        within = "-" if r.target is None else "yes" if r.compute_units <= r.target else "NO"
        lines.append(f"| `{r.instruction}` | {r.compute_units:,} | {target} | {within} | {r.note} |")
    return "\n".join(lines) + "\n"


PER_ITEM_MEASURED = 8  # a per-item row with no whole-instruction row stands for this many items (8 fills)


def worst_cases(rows: list[Row]) -> tuple[dict[str, int], dict[str, int]]:
    """(instruction -> its costliest measured case, instruction -> cost of one more item) from the rows.

    Rows named ``name (case)`` are cases of ``name``; ``name (per ...)`` rows are per-item costs, and
    (also ``name (case, per ...)``) stand for ``PER_ITEM_MEASURED`` items when ``name`` has no other row.
    """
    whole: dict[str, int] = {}
    per_item: dict[str, int] = {}
    for r in rows:
        name, _, case = r.instruction.partition(" (")
        if case.startswith("per ") or ", per " in case:
            per_item[name] = max(per_item.get(name, 0), r.compute_units)
        else:
            whole[name] = max(whole.get(name, 0), r.compute_units)
    for name, units in per_item.items():
        whole.setdefault(name, units * PER_ITEM_MEASURED)
    return whole, per_item


def keeper_table(rows: list[Row]) -> str:
    """The JSON text of ``keepers/execution/compute_units.json`` for ``rows``."""
    return render_table(*worst_cases(rows))


def main(argv: list[str] | None = None) -> int:
    """Measure and write (or with --check, compare) the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if the committed table differs")
    args = p.parse_args(argv)
    rows = measure(build_program("perp").read_bytes())
    text, keeper_text = render(rows), keeper_table(rows)
    print(text)
    if args.check:
        stale = [p for p, t in ((TABLE, text), (KEEPER_TABLE, keeper_text)) if not p.exists() or p.read_text() != t]
        for path in stale:
            print(f"{path} is stale: run python -m benchmarks.compute_units", file=sys.stderr)
        return 1 if stale else 0
    TABLE.write_text(text)
    KEEPER_TABLE.write_text(keeper_text)
    print(f"wrote {TABLE} and {KEEPER_TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
