"""A trading scenario on an in-process ledger: prices that crash, a market maker, leveraged takers.

Used by ``perpkeep demo`` and by the keeper end-to-end tests, on the ledger behind the RPC node
(``localnet.ledger.Ledger``). ``Scenario.step(slot)`` publishes the oracle prices, re-quotes the
maker and lets takers open positions; ``Scenario.attach()`` runs a step at every new slot of the ledger
(the node's slot ticker), or a driver calls ``step`` itself (the demo).

Chain time runs ``seconds_per_slot`` per slot (``slot_clock``) so that funding periods and the hourly
revenue sweep happen within a short run.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import MintToParams, create_associated_token_account, get_associated_token_address, mint_to

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import collateral_vault_pda, exchange_pda
from localnet import mock_oracle as mo
from localnet.deployment import BootstrapPlan, Deployment, RecordingSvm, bootstrap_local
from localnet.price_paths import CrashPath
from localnet.price_publisher import PricePublisher
from localnet.price_service import market_rng
from localnet.ledger import Ledger
from localnet.svm import START_UNIX_TIMESTAMP
from programs_client.perp.accounts import Exchange, Market, User
from programs_client.perp.constants import BASE_PRECISION, QUOTE_PRECISION as QUOTE
from sim.traders import ScriptedMaker, Taker, leverage_plan


@dataclass(frozen=True)
class ScenarioSettings:
    """The scenario's shape: takers, the crash, the clock, the seed."""

    users: int = 40
    crash_at: int = 500  # scenario step (slots since the start) of the crash
    crash_drop: float = 0.13
    volatility: float = 0.0015  # per step
    seconds_per_slot: int = 5
    funding_period_s: int = 600
    maker_requote_slots: int = 5
    takers_per_slot: int = 2
    insurance_stake: int = 2_000 * QUOTE
    seed: int = 7
    markets: tuple[str, ...] = ("SOL-PERP", "BTC-PERP")

    def plan(self) -> BootstrapPlan:
        """The exchange this scenario needs: a rich maker, takers with 1,000 each, a funded keeper account."""
        return BootstrapPlan(
            markets=self.markets, users=self.users, user_tokens=2_000 * QUOTE, user_deposit=1_000 * QUOTE,
            makers=1, maker_deposit=5_000_000 * QUOTE, keeper_tokens=500_000 * QUOTE, keeper_deposit=500_000 * QUOTE,
            fallback_oracles=False,
            market_params={"funding_period_secs": self.funding_period_s, "oracle_max_staleness_slots": 50},
        )


def slot_clock(ledger_of: Callable[[], Ledger | None], slot0: int, seconds_per_slot: int,
               start_ts: int = START_UNIX_TIMESTAMP) -> Callable[[], float]:
    """A wall clock for ``Ledger`` on which chain time is ``start_ts`` at ``slot0`` and advances
    ``seconds_per_slot`` per slot (``ledger_of`` returns the ledger, None while it is being built)."""
    def now() -> float:
        ledger = ledger_of()
        slot = ledger.slot if ledger is not None else slot0
        return start_ts + (slot - slot0) * seconds_per_slot

    return now


def seed_insurance_fund(ledger: Ledger, dep: Deployment, amount: int) -> None:
    """Create the insurance fund's share accounting and have the admin stake ``amount`` in it."""
    admin, mint_authority = dep.wallets["admin"], dep.wallets["mint-authority"]
    ata = get_associated_token_address(admin.pubkey(), dep.mint)
    ixs = [
        ix.initialize_insurance_fund(admin.pubkey(), 3600, dep.program_id),
        create_associated_token_account(admin.pubkey(), admin.pubkey(), dep.mint),
        mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=dep.mint, dest=ata, mint_authority=mint_authority.pubkey(),
                             amount=amount)),
        ix.add_insurance_stake(admin.pubkey(), ata, amount, dep.program_id),
    ]
    out = ledger.send(ixs, [admin, mint_authority], admin)
    if not out.ok:
        raise RuntimeError(f"seeding the insurance fund failed: {out.error}")


@dataclass
class Scenario:
    """The actors of the scenario on ``ledger`` (see the module docstring)."""

    ledger: Ledger
    dep: Deployment
    settings: ScenarioSettings
    makers: list[ScriptedMaker] = field(init=False)
    takers: list[Taker] = field(init=False)
    publishers: list[PricePublisher] = field(init=False)
    prices: dict[int, float] = field(init=False)
    steps: int = 0
    opened: int = 0
    failed: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        s, dep, ledger = self.settings, self.dep, self.ledger
        params = {m.index: Market.decode(bytes(ledger.get_account(m.address).data)).params for m in dep.markets}
        self.makers = [ScriptedMaker(dep.wallets["maker-0"], params, dep.program_id)]
        self.takers = [Taker(dep.wallets[f"user-{i}"], dep.program_id) for i in range(s.users)]
        authority = dep.oracle_authority
        oracle = mo.MockOracle(lambda ixs, signers: ledger.send(ixs, signers, payer=authority), authority, dep.oracle_program)
        self.publishers = [
            PricePublisher(oracle, m.oracles.feeds,
                           CrashPath(m.initial_price, volatility=s.volatility, crash_at=s.crash_at, drop=s.crash_drop),
                           market_rng(s.seed, m.name), confidence_bps=5.0)
            for m in dep.markets
        ]
        self.prices = {m.index: m.initial_price for m in dep.markets}
        self._plan = leverage_plan(random.Random(s.seed), s.users)

    @property
    def crashed(self) -> bool:
        return self.steps >= self.settings.crash_at

    def step(self, slot: int) -> None:
        """One slot of the scenario: prices, quotes, new positions."""
        self.steps += 1
        for pub, m in zip(self.publishers, self.dep.markets):
            tick = pub.tick(slot)
            if tick is not None:
                self.prices[m.index] = tick.price
        if self.steps % self.settings.maker_requote_slots == 1:
            for maker in self.makers:
                for index, price in self.prices.items():
                    self._note(maker.quote(self.ledger.send, index, price))
        elif self.steps > self.settings.maker_requote_slots:
            for _ in range(self.settings.takers_per_slot):
                self._open_next()

    def _open_next(self) -> None:
        if self.opened >= len(self.takers):
            return
        i = self.opened
        long, leverage = self._plan[i]
        index = i % len(self.prices)
        mid = self.prices[index]
        base = leverage * 1_000 / mid * 0.97
        self._note(self.takers[i].open(self.ledger.send, index, self.makers[0].markets[index], long, base, mid))
        self.opened += 1

    def _note(self, outcome: Any) -> None:
        if not getattr(outcome, "ok", False):
            self.failed[str(getattr(outcome, "error", outcome))[:60]] += 1

    # -- Ledger listener: one step per slot while attached -------------------------------------
    wants_transactions = False  # slots only: attached, it leaves a lean ledger lean

    def attach(self) -> Scenario:
        """Step at every new slot of the ledger (call on the ledger's thread)."""
        self.ledger.listeners.append(self)
        return self

    def detach(self) -> None:
        if self in self.ledger.listeners:
            self.ledger.listeners.remove(self)

    def on_slot(self, slot: int) -> None:
        self.step(slot)

    def on_transaction(self, record: Any) -> None:
        pass

    def on_accounts_written(self, slot: int, accounts: dict[Any, Any]) -> None:
        pass


@dataclass
class LedgerWorld:
    """An exchange on an in-process ledger with the scenario's actors; nobody produces slots yet."""

    svm: RecordingSvm
    ledger: Ledger
    dep: Deployment
    scenario: Scenario


def build_ledger_world(settings: ScenarioSettings, perp_program: bytes | None = None,
                       mock_oracle: bytes | None = None, *, lean: bool = False) -> LedgerWorld:
    """Bootstrap the scenario's exchange in LiteSVM (programs built from source when not given), wrap it
    in a ``Ledger`` whose chain time runs ``seconds_per_slot`` per slot, and seed the insurance fund.

    ``lean``: the ledger keeps transactions' outcomes only while no listener takes transactions
    (``Ledger(lean=True)``), as a simulation that needs no RPC history runs it."""
    from localnet.build import build_program

    perp_program = perp_program or Path(build_program("perp")).read_bytes()
    mock_oracle = mock_oracle or Path(build_program("mock_oracle")).read_bytes()
    svm = RecordingSvm(perp_program, mock_oracle=mock_oracle)
    dep = bootstrap_local(svm, settings.plan())
    made: list[Ledger] = []  # the wall clock is first read while the ledger is being built
    clock = slot_clock(lambda: made[0] if made else None, svm.clock().slot, settings.seconds_per_slot)
    ledger = Ledger(svm, wall_clock=clock, lean=lean)
    made.append(ledger)
    ledger.note_addresses(svm.touched | set(dep.addresses()))
    seed_insurance_fund(ledger, dep, settings.insurance_stake)
    return LedgerWorld(svm, ledger, dep, Scenario(ledger, dep, settings))


def users_of(ledger: Ledger, program_id: Any) -> list[User]:
    """Every margin account the ledger knows."""
    return [User.decode(bytes(a.data)) for _, a in ledger.program_accounts(program_id)
            if bytes(a.data[:8]) == User.discriminator]


def conservation(ledger: Ledger, dep: Deployment) -> tuple[int, int, int]:
    """(collateral vault, exchange total, users' collateral + PnL pools), read from the ledger."""
    vault = ledger.local.token_balance(collateral_vault_pda(dep.program_id))
    ex = Exchange.decode(bytes(ledger.get_account(exchange_pda(dep.program_id)).data))
    pools = sum(Market.decode(bytes(ledger.get_account(m.address).data)).pnl_pool for m in dep.markets)
    return vault, ex.total_collateral, sum(u.collateral for u in users_of(ledger, dep.program_id)) + pools


def open_interest(ledger: Ledger, dep: Deployment) -> int:
    """Quote value of open interest (one side) over the deployment's markets."""
    total = 0
    for m in dep.markets:
        market = Market.decode(bytes(ledger.get_account(m.address).data))
        total += max(market.open_interest_long, market.open_interest_short) * market.mark_price // BASE_PRECISION
    return total


__all__ = ["LedgerWorld", "Scenario", "ScenarioSettings", "build_ledger_world", "conservation", "open_interest", "seed_insurance_fund", "slot_clock", "users_of"]
