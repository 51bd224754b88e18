"""Portfolio and risk figures of the console, computed from the keeper's account cache with the program's
margin maths (``keepers.exchange.margin``, the mirror the differential tests hold equal to the program).

Units in the returned dicts are whole quote and base units (floats) for display; the maths stays in the
program's integers until then.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from solders.pubkey import Pubkey

from keepers.bots.liquidator import positions_of
from keepers.cache import AccountCache
from keepers.exchange.instructions import decode_market_name
from keepers.exchange.margin import Margin, compute_margin
from keepers.exchange.margin_scan import at_marks, scan
from keepers.strategies.market_maker.bot import own_orders
from programs_client.perp.accounts import User
from programs_client.perp.constants import BASE_PRECISION, BPS, PRICE_PRECISION, QUOTE_PRECISION

Q, B, P = QUOTE_PRECISION, BASE_PRECISION, PRICE_PRECISION
CONFIDENCES = (0.95, 0.99)


def health_ratio(margin: Margin) -> float | None:
    """Equity over the maintenance requirement (below 1: liquidatable); None without a requirement."""
    return None if margin.maintenance_requirement == 0 else margin.equity / margin.maintenance_requirement


def own_accounts(cache: AccountCache, authority: Pubkey) -> list[tuple[Pubkey, User]]:
    """The keeper wallet's margin accounts (every sub-account), by sub id (``AccountCache.users_of``: a scan
    of 10k users for each snapshot was most of what the console cost the keeper's loop)."""
    users = cache.users
    return sorted(((a, users[a]) for a in cache.users_of(authority)), key=lambda x: x[1].sub_id)


def market_names(cache: AccountCache) -> dict[int, str]:
    """Market index -> name."""
    return {i: decode_market_name(m.name) or f"market {i}" for i, m in cache.markets.items()}


def account_view(cache: AccountCache, address: Pubkey, user: User, slot: int) -> dict[str, Any]:
    """One margin account: collateral, equity, requirements, health, positions and resting orders."""
    states = cache.market_states()
    counted = [p for p in positions_of(user) if p.market_index in states]
    margin = compute_margin(user.collateral, counted, states)
    names = market_names(cache)
    positions = []
    for p in counted:
        m = states[p.market_index]
        value = p.base_amount * m.mark_price // B
        positions.append({"market": p.market_index, "name": names.get(p.market_index, ""), "base": p.base_amount / B,
                          "mark": m.mark_price / P, "notional": abs(value) / Q,
                          "unrealised_pnl": (value + p.quote_entry_amount) / Q, "unsettled_pnl": p.unsettled_pnl / Q,
                          "open_bids": p.open_bids / B, "open_asks": p.open_asks / B})
    orders = []
    for index in sorted(cache.markets):
        for s, o in own_orders(cache.orderbook(index), address, slot):
            orders.append({"market": index, "side": "bid" if s == 0 else "ask", "order_id": str(o.order_id),
                           "client_order_id": o.client_order_id, "price": o.price / P, "base": o.base_amount / B,
                           "expiry_slot": o.expiry_slot})
    ratio = health_ratio(margin)
    return {"address": str(address), "sub_id": user.sub_id, "collateral": user.collateral / Q, "equity": margin.equity / Q,
            "initial_requirement": margin.initial_requirement / Q,
            "maintenance_requirement": margin.maintenance_requirement / Q,
            "free_collateral": (margin.equity - margin.initial_requirement) / Q, "health": ratio,
            "liquidatable": margin.liquidatable, "positions": positions, "orders": orders}


def exposure(cache: AccountCache, authority: Pubkey) -> list[dict[str, Any]]:
    """Per market: our net base and notional at the mark, and the market's open interest."""
    net: dict[int, int] = {}
    for _, user in own_accounts(cache, authority):
        for p in positions_of(user):
            net[p.market_index] = net.get(p.market_index, 0) + p.base_amount
    names = market_names(cache)
    out = []
    for i, m in sorted(cache.markets.items()):
        base = net.get(i, 0)
        out.append({"market": i, "name": names[i], "base": base / B, "notional": base * m.mark_price // B / Q,
                    "mark": m.mark_price / P, "oi_long": m.open_interest_long / B, "oi_short": m.open_interest_short / B})
    return out


def closest_to_liquidation(cache: AccountCache, top: int = 10) -> list[dict[str, Any]]:
    """The ``top`` users of the cache closest to liquidation (lowest equity / maintenance): screened over every
    user with the vectorised scan (``keepers.exchange.margin_scan``), the few shown valued exactly."""
    columns, states = cache.columns, cache.market_states()
    if not len(columns):
        return []
    result = scan(columns, states)
    exposed = np.flatnonzero((result.maintenance > 0) | (result.initial > 0))  # positions or resting orders
    maintenance = result.maintenance[exposed]
    ratio = np.divide(result.equity[exposed], maintenance, out=np.full(exposed.size, np.inf), where=maintenance > 0)
    picked = exposed[np.argsort(ratio, kind="stable")[: top * 2]]  # the screen may order near-ties differently
    out = []
    for row in picked:
        address = columns.keys[row]
        user = cache.users.get(address)
        if user is None:
            continue
        counted = [p for p in positions_of(user) if p.market_index in states]
        margin = compute_margin(user.collateral, counted, states)
        notional = sum(abs(p.base_amount) * states[p.market_index].mark_price // B for p in counted)
        out.append({"address": str(address), "equity": margin.equity / Q,
                    "maintenance_requirement": margin.maintenance_requirement / Q, "notional": notional / Q,
                    "health": health_ratio(margin), "liquidatable": margin.liquidatable})
    out.sort(key=lambda r: math.inf if r["health"] is None else r["health"])
    return out[:top]


def oi_concentration(cache: AccountCache, top: int = 5) -> list[dict[str, Any]]:
    """Per market: the share of open interest (both sides) the ``top`` largest holders have, and the
    Herfindahl index of the holders' shares (1: one holder)."""
    columns = cache.columns
    base = np.abs(columns.base_amount.astype(np.float64))
    index = columns.market_index
    out = []
    for i in sorted(cache.markets):
        held = base[(index == i) & (base > 0)]
        total = float(held.sum())
        shares = np.sort(held)[::-1] / total if total else held
        out.append({"market": i, "holders": int(held.size), "top_share": float(shares[:top].sum()),
                    "hhi": float((shares * shares).sum()), "open_interest": total / 2 / B})
    return out


def returns(prices: Sequence[float]) -> list[float]:
    """Simple returns of consecutive positive prices."""
    return [b / a - 1.0 for a, b in zip(prices, prices[1:], strict=False) if a > 0]


def var_es(notional: Mapping[int, float], history: Mapping[int, Sequence[float]],
           confidences: Sequence[float] = CONFIDENCES) -> dict[str, Any]:
    """Value at risk and expected shortfall (losses, positive numbers, quote units) of positions worth
    ``notional`` (signed, per market) over one step of ``history`` (per market, prices at equal steps).

    Historical: the PnL the positions would have made over each past step, its loss quantile and the mean
    loss beyond it. Parametric: normal PnL with the covariance of the markets' returns
    (VaR = z * sigma, ES = sigma * pdf(z) / (1 - c))."""
    markets = [i for i, n in notional.items() if n and len(history.get(i, ())) >= 3]
    steps = min((len(history[i]) - 1 for i in markets), default=0)
    out: dict[str, Any] = {"samples": steps, "markets": markets, "historical": {}, "parametric": {}}
    if steps < 2:
        return out
    rets = {i: returns(list(history[i])[-(steps + 1):]) for i in markets}
    n = min(len(r) for r in rets.values())
    pnl = sorted(sum(notional[i] * rets[i][-n + k] for i in markets) for k in range(n))
    mean = {i: sum(rets[i][-n:]) / n for i in markets}
    variance = 0.0
    for i in markets:
        for j in markets:
            cov = sum((rets[i][-n + k] - mean[i]) * (rets[j][-n + k] - mean[j]) for k in range(n)) / (n - 1)
            variance += notional[i] * notional[j] * cov
    sigma = math.sqrt(max(variance, 0.0))
    for c in confidences:
        tail = max(1, math.ceil(n * (1 - c) - 1e-9))  # the worst steps beyond the quantile
        losses = [-x for x in pnl[:tail]]
        out["historical"][str(c)] = {"var": max(0.0, losses[-1]), "es": max(0.0, sum(losses) / tail)}
        z = NormalDist().inv_cdf(c)
        out["parametric"][str(c)] = {"var": z * sigma, "es": sigma * NormalDist().pdf(z) / (1 - c)}
    return out


def shock(cache: AccountCache, fund_balance: int | None, move: float) -> dict[str, Any]:
    """What moving every mark by ``move`` (e.g. -0.1) does: users liquidatable and bankrupt at the new marks,
    the bad debt of the bankrupt (their negative equity), and the insurance fund after it absorbs that debt
    (the rest would be socialised). Every user is valued with the liquidator's vectorised scan at the shocked
    marks (float64, within ``ScanResult.tolerance`` of the program's integers)."""
    states = cache.market_states()
    out: dict[str, Any] = {"move": move, "liquidatable": 0, "bankrupt": 0, "bad_debt": 0.0, "fund_before": None,
                           "fund_after": None, "socialised": None}
    bad_debt = 0
    if len(cache.columns):
        shocked = at_marks(states, {i: max(1, round(m.mark_price * (1 + move))) for i, m in states.items()})
        result = scan(cache.columns, shocked)
        exposed = result.maintenance > 0
        negative = exposed & (result.equity < 0)
        bad_debt = round(-float(result.equity[negative].sum()))
        out.update(liquidatable=int((exposed & (result.equity < result.maintenance)).sum()),
                   bankrupt=int(negative.sum()), bad_debt=bad_debt / Q)
    if fund_balance is not None:
        covered = min(fund_balance, bad_debt)
        out.update(fund_before=fund_balance / Q, fund_after=(fund_balance - covered) / Q,
                   socialised=(bad_debt - covered) / Q)
    return out


def mark_band(mark: int, price: int) -> float:
    """Distance of ``price`` from ``mark`` in basis points."""
    return abs(price - mark) * BPS / mark if mark else math.inf


__all__ = ["account_view", "closest_to_liquidation", "exposure", "health_ratio", "mark_band", "market_names",
           "oi_concentration", "own_accounts", "returns", "shock", "var_es"]
