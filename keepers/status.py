"""``perpkeep status``: the exchange at a glance: markets, the insurance fund, the riskiest users.

``gather_status`` reads everything through a ``Chain`` into an ``AccountCache`` and values users with
the exact margin mirror; ``status_tables`` renders it with rich (the demo's live view reuses it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from solders.pubkey import Pubkey

from keepers.bots.funding import funding_rate
from keepers.bots.insurance import coverage_ratio
from keepers.bots.liquidator import positions_of
from keepers.cache import AccountCache
from keepers.chain.base import Chain
from keepers.exchange.instructions import decode_market_name
from keepers.exchange.margin import Margin, compute_margin
from keepers.exchange.pdas import insurance_vault_pda
from keepers.exchange.spl_token import token_amount
from programs_client.perp.accounts import Market
from programs_client.perp.constants import BASE_PRECISION, QUOTE_PRECISION

STATUS_NAMES = ("Active", "ReduceOnly", "Paused", "Settlement", "Delisted")


@dataclass(frozen=True)
class UserRisk:
    """A user's margin and how close it is to liquidation (equity / maintenance; below 1 is liquidatable)."""

    address: Pubkey
    margin: Margin
    notional: int

    @property
    def health(self) -> float:
        if self.margin.maintenance_requirement == 0:
            return float("inf")
        return self.margin.equity / self.margin.maintenance_requirement


@dataclass(frozen=True)
class StatusReport:
    """What ``perpkeep status`` shows."""

    slot: int
    markets: list[tuple[Pubkey, Market]]
    insurance_balance: int | None
    coverage: float | None
    users: int
    riskiest: list[UserRisk]


def user_risks(cache: AccountCache) -> list[UserRisk]:
    """Every user with exposure, valued exactly at the cached marks, riskiest first."""
    states = cache.market_states()
    out = []
    for address, user in cache.users.items():
        counted = positions_of(user)
        positions = [p for p in counted if p.base_amount or p.open_bids or p.open_asks]
        if not positions or any(p.market_index not in states for p in positions):
            continue
        margin = compute_margin(user.collateral, counted, states)
        notional = sum(abs(p.base_amount) * states[p.market_index].mark_price // BASE_PRECISION for p in positions)
        out.append(UserRisk(address, margin, notional))
    return sorted(out, key=lambda r: r.health)


async def gather_status(chain: Chain, program_id: Pubkey, top: int = 10) -> StatusReport:
    """Read the exchange's accounts and the insurance vault; value the users."""
    cache = AccountCache(program_id)
    for acc in await chain.get_program_accounts(program_id):
        cache.apply(acc)
    vault = await chain.get_account(insurance_vault_pda(program_id))
    balance = token_amount(vault.data) if vault is not None else None
    markets = [(cache.market_address(i), m) for i, m in sorted(cache.markets.items())]
    return StatusReport(await chain.get_slot(), markets, balance,
                        coverage_ratio(balance, cache.markets) if balance is not None else None, len(cache.users),
                        user_risks(cache)[:top])


def _q(amount: int) -> str:
    return f"{amount / QUOTE_PRECISION:,.2f}"


def _funding(m: Market) -> str:
    rate = funding_rate(m)
    return "-" if rate is None else f"{rate:+.4%}"


def _status_name(m: Market) -> str:
    d = m.status.discriminator
    return STATUS_NAMES[d] if 0 <= d < len(STATUS_NAMES) else str(d)


def markets_table(markets: list[tuple[Pubkey, Market]], compact: bool = False) -> Table:
    """One row per market: status, prices, open interest, funding, pools (``compact``: fits 80 columns)."""
    t = Table(title="markets", title_justify="left")
    columns = ("market", "mark", "OI long", "OI short", "funding", "fee pool", "PnL pool") if compact else (
        "#", "name", "status", "index", "mark", "OI long", "OI short", "funding/period", "fee pool", "PnL pool",
        "socialised")
    for col in columns:
        t.add_column(col, justify="left" if col in ("name", "status", "market") else "right")
    for _, m in markets:
        full = {
            "#": str(m.market_index), "name": decode_market_name(m.name), "market": decode_market_name(m.name),
            "status": _status_name(m), "index": _q(m.index_price), "mark": _q(m.mark_price),
            "OI long": f"{m.open_interest_long / BASE_PRECISION:,.3f}",
            "OI short": f"{m.open_interest_short / BASE_PRECISION:,.3f}",
            "funding/period": _funding(m), "funding": _funding(m),
            "fee pool": _q(m.fee_pool), "PnL pool": _q(m.pnl_pool), "socialised": _q(m.socialised_loss),
        }
        t.add_row(*(full[c] for c in columns))
    return t


def users_table(risks: list[UserRisk]) -> Table:
    """The riskiest users: equity, requirements, health (equity / maintenance)."""
    t = Table(title="riskiest users", title_justify="left")
    for col in ("user", "equity", "maintenance", "initial", "notional", "health"):
        t.add_column(col, justify="left" if col == "user" else "right")
    for r in risks:
        health = "∞" if r.health == float("inf") else f"{r.health:.2f}"
        t.add_row(str(r.address), _q(r.margin.equity), _q(r.margin.maintenance_requirement),
                  _q(r.margin.initial_requirement), _q(r.notional), health)
    return t


def status_tables(report: StatusReport, compact: bool = False) -> list[Table]:
    """The tables of ``perpkeep status`` (``compact``: the market table fits 80 columns)."""
    fund = Table(title="insurance fund", title_justify="left", show_header=False)
    fund.add_column("what")
    fund.add_column("value", justify="right")
    fund.add_row("vault balance", "unknown" if report.insurance_balance is None else _q(report.insurance_balance))
    fund.add_row("coverage of open interest", "no open interest" if report.coverage is None else f"{report.coverage:.2%}")
    fund.add_row("users", f"{report.users:,}")
    fund.add_row("slot", f"{report.slot:,}")
    return [markets_table(report.markets, compact), fund, users_table(report.riskiest)]


__all__ = ["StatusReport", "UserRisk", "gather_status", "markets_table", "status_tables", "user_risks", "users_table"]
