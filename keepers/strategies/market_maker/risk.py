"""The market maker's risk controls as pure functions: inventory and margin rooms, kill switches.

A kill switch cancels every quote of the maker and keeps it from quoting while it holds (the drawdown
stop holds until restart). Rooms are how much base each side may still add, so that a full fill of
every resting order keeps the position within the inventory limits (base and notional) and within what
the maker's free collateral carries at initial margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from programs_client.perp.constants import BASE_PRECISION, BPS


class Kill(StrEnum):
    """Why the maker pulled its quotes (the metric's label)."""

    ORACLE_STALE = "oracle_stale"  # no valid oracle price (stale, invalid, diverging), or one older than allowed
    ORACLE_UNCERTAIN = "oracle_uncertain"  # confidence wider than allowed
    VOLATILITY_SPIKE = "volatility_spike"  # a return, or the estimated volatility, past the limit
    CONNECTION_LOST = "connection_lost"  # no new slot heard for too long
    SOL_BALANCE_LOW = "sol_balance_low"  # the fee payer's SOL below the floor
    DRAWDOWN = "drawdown"  # equity fell too far from its peak: stop until restart
    MARGIN_FLOOR = "margin_floor"  # free collateral below the floor


@dataclass(frozen=True)
class RiskLimits:
    """Limits from ``bots.market_maker``."""

    max_inventory_base: int
    max_inventory_notional: int  # quote 1e6
    max_order_base: int
    margin_usage_bps: int = 5000  # share of free collateral quotes may use
    min_free_collateral: int = 0  # quote 1e6
    max_drawdown: int = 0  # quote 1e6; 0: none
    max_oracle_age_slots: int = 25
    max_oracle_conf_bps: float = 50.0
    max_return_bps: float = 200.0  # one oracle move (from the last price seen) past this is a spike
    max_sigma_bps: float = 100.0  # per-slot volatility past this is a spike
    lost_connection_s: float = 10.0
    min_sol_lamports: int = 0


@dataclass(frozen=True)
class Observation:
    """What the kill switches look at, read by the bot each tick."""

    oracle_valid: bool
    oracle_age_slots: int
    oracle_conf_bps: float
    last_return_bps: float
    sigma_bps: float
    silent_s: float  # seconds since the last new slot
    sol_lamports: int | None  # None: not read yet
    equity: int
    peak_equity: int
    free_collateral: int


def kill_reasons(obs: Observation, limits: RiskLimits) -> list[Kill]:
    """Every kill switch that fires for ``obs`` (empty: quoting may go on)."""
    out = []
    if not obs.oracle_valid or obs.oracle_age_slots > limits.max_oracle_age_slots:
        out.append(Kill.ORACLE_STALE)
    if obs.oracle_conf_bps > limits.max_oracle_conf_bps:
        out.append(Kill.ORACLE_UNCERTAIN)
    if abs(obs.last_return_bps) > limits.max_return_bps or obs.sigma_bps > limits.max_sigma_bps:
        out.append(Kill.VOLATILITY_SPIKE)
    if obs.silent_s > limits.lost_connection_s:
        out.append(Kill.CONNECTION_LOST)
    if obs.sol_lamports is not None and obs.sol_lamports < limits.min_sol_lamports:
        out.append(Kill.SOL_BALANCE_LOW)
    if limits.max_drawdown and obs.peak_equity - obs.equity > limits.max_drawdown:
        out.append(Kill.DRAWDOWN)
    if obs.free_collateral < limits.min_free_collateral:
        out.append(Kill.MARGIN_FLOOR)
    return out


def inventory_limit(limits: RiskLimits, price: int) -> int:
    """The largest position (base 1e9, either side) allowed at ``price``: the base and the notional limits."""
    by_notional = limits.max_inventory_notional * BASE_PRECISION // max(price, 1)
    return min(limits.max_inventory_base, by_notional)


def margin_capacity(equity: int, other_initial: int, mark: int, initial_margin_bps: int, usage_bps: int) -> int:
    """The largest position (base 1e9) in this market that ``usage_bps`` of the equity left after the other
    markets' initial requirement (``other_initial``) carries at initial margin (0 when none is left)."""
    free = (equity - other_initial) * usage_bps // BPS
    per_base = mark * initial_margin_bps // BPS  # quote per whole base
    return 0 if free <= 0 or per_base <= 0 else free * BASE_PRECISION // per_base


def rooms(position: int, inventory_cap: int, margin_cap: int) -> tuple[int, int]:
    """(bid room, ask room) in base 1e9: what each side may add so that the position, with all of that
    side filled, stays within both caps."""
    cap = min(inventory_cap, margin_cap)
    return max(cap - position, 0), max(cap + position, 0)


def over_limit(position: int, inventory_cap: int) -> int:
    """Base beyond the inventory limit (signed like the position; 0 within it): what the unwind must sell."""
    if position > inventory_cap:
        return position - inventory_cap
    if position < -inventory_cap:
        return position + inventory_cap
    return 0


__all__ = ["Kill", "Observation", "RiskLimits", "inventory_limit", "kill_reasons", "margin_capacity", "over_limit", "rooms"]
