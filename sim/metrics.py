"""Figures of a simulation run: strategy performance, the buy-and-hold benchmark, the protocol's health,
and statistics across Monte Carlo runs.

Everything here is a pure function of numpy arrays (or of a ``SimRun``, which is plain data). Conventions:

- An equity series is sampled at the run's recorded rows; a *period* is the time between two rows.
  Returns are simple returns ``e[t] / e[t-1] - 1``; a period whose starting equity is not positive has
  no defined return and is dropped.
- Annualisation uses the sample period: ``periods_per_year = SECONDS_PER_YEAR / median(diff(time_s))``
  (365-day years, since the chain never closes). Sharpe is ``mean(r) / std(r, ddof=1) * sqrt(ppy)``,
  Sortino ``mean(r) / sqrt(mean(min(r, 0)**2)) * sqrt(ppy)`` (target return 0, downside deviation over
  all periods), and the annualised return of Calmar is arithmetic, ``mean(r) * ppy``: compounding a
  two-hour run to a year would give numbers of no use.
- Undefined is NaN, never 0 or infinity: a ratio whose denominator is 0 (flat equity, no losing period,
  no drawdown), a statistic of fewer samples than it needs, a column the run did not record. NaN inside a
  series (a funding rate before the first period) is skipped by the extremes, minima and maxima.
- Losses are positive in ``var_es``; everywhere else amounts keep their natural sign (PnL > 0 is a gain,
  fees > 0 were paid, funding > 0 was received, bad debt > 0 is a loss).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from sim.run_record import SimRun

SECONDS_PER_YEAR = 365.0 * 24 * 3600
NAN = math.nan

#: Summary keys of the protocol (``summarize`` always returns these, NaN where not recorded).
PROTOCOL_KEYS = (
    "protocol.bad_debt", "protocol.insurance_fund_min", "protocol.insurance_drawdown",
    "protocol.insurance_drawdown_fraction", "protocol.socialized_loss", "protocol.liquidations",
    "protocol.liquidation_delay_p50", "protocol.liquidation_delay_p90", "protocol.liquidation_delay_max",
    "protocol.open_interest_max", "protocol.funding_rate_min", "protocol.funding_rate_max",
    "protocol.funding_rate_abs_max",
)
#: Per strategy S: ``strategy.S.<name>`` for each name here.
STRATEGY_FIGURES = (
    "pnl", "return", "sharpe", "sortino", "max_drawdown", "max_drawdown_abs", "calmar", "hit_rate",
    "turnover", "traded_notional", "fees", "funding",
)
#: Per market M: ``benchmark.M.<name>`` for buy-and-hold of the index.
BENCHMARK_FIGURES = ("pnl", "return", "sharpe", "sortino", "max_drawdown", "max_drawdown_abs", "calmar")


def _arr(values: Iterable[float] | np.ndarray) -> np.ndarray:
    return np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)


# ----------------------------------------------------------------------------------------------------
# Series figures


def returns(equity: Sequence[float] | np.ndarray) -> np.ndarray:
    """Simple returns of an equity series, one per period; periods starting at equity <= 0 are dropped."""
    e = _arr(equity)
    if e.size < 2:
        return np.empty(0)
    prev, cur = e[:-1], e[1:]
    ok = (prev > 0) & np.isfinite(cur)
    return cur[ok] / prev[ok] - 1.0


def pnl(equity: Sequence[float] | np.ndarray) -> float:
    """Last minus first equity (NaN for an empty series)."""
    e = _arr(equity)
    return float(e[-1] - e[0]) if e.size else NAN


def periods_per_year(time_s: Sequence[float] | np.ndarray) -> float:
    """Sample periods in a year, from the median spacing of ``time_s`` (NaN with fewer than two samples
    or a spacing that is not positive)."""
    t = _arr(time_s)
    if t.size < 2:
        return NAN
    step = float(np.median(np.diff(t)))
    return SECONDS_PER_YEAR / step if step > 0 else NAN


def sharpe(rets: Sequence[float] | np.ndarray, ppy: float) -> float:
    """Annualised Sharpe ratio (risk-free rate 0): ``mean / std(ddof=1) * sqrt(ppy)``; NaN with fewer
    than two returns or zero standard deviation."""
    r = _arr(rets)
    if r.size < 2:
        return NAN
    sd = float(np.std(r, ddof=1))
    return float(np.mean(r)) / sd * math.sqrt(ppy) if sd > 0 else NAN


def sortino(rets: Sequence[float] | np.ndarray, ppy: float) -> float:
    """Annualised Sortino ratio (target 0): ``mean / sqrt(mean(min(r, 0)^2)) * sqrt(ppy)``; NaN with no
    return or no losing period."""
    r = _arr(rets)
    if r.size == 0:
        return NAN
    dd = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    return float(np.mean(r)) / dd * math.sqrt(ppy) if dd > 0 else NAN


def max_drawdown(equity: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Largest fall from a running peak: ``(absolute, fraction of that peak)``. 0 for a series that never
    falls; NaN for an empty one (NaN samples are skipped); the fraction counts only peaks above 0 (NaN if
    there are none)."""
    e = _arr(equity)
    e = e[np.isfinite(e)]
    if e.size == 0:
        return NAN, NAN
    peak = np.maximum.accumulate(e)
    absolute = float(np.max(peak - e))
    pos = peak > 0
    fraction = float(np.max((peak[pos] - e[pos]) / peak[pos])) if pos.any() else NAN
    return absolute, fraction


def calmar(rets: Sequence[float] | np.ndarray, ppy: float, drawdown_fraction: float) -> float:
    """Arithmetic annualised return ``mean(r) * ppy`` over the maximum drawdown fraction; NaN without
    returns or drawdown."""
    r = _arr(rets)
    if r.size == 0 or not drawdown_fraction > 0:
        return NAN
    return float(np.mean(r)) * ppy / drawdown_fraction


def hit_rate(equity: Sequence[float] | np.ndarray) -> float:
    """Share of periods in which equity rose, among the periods in which it changed (NaN if it never did).
    Series are sampled, so this counts winning sample periods, not winning trades."""
    d = np.diff(_arr(equity))
    moved = d[(d != 0) & np.isfinite(d)]
    return float(np.mean(moved > 0)) if moved.size else NAN


def traded_notional(inventory: Sequence[float] | np.ndarray, price: Sequence[float] | np.ndarray) -> float:
    """Quote notional traded, ``sum |inventory[t] - inventory[t-1]| * price[t]``. Sampled series see only
    net changes between rows, so trades that cancel within one period are not counted."""
    inv, p = _arr(inventory), _arr(price)
    if inv.size < 2:
        return 0.0
    return float(np.sum(np.abs(np.diff(inv)) * p[1:]))


def turnover(notional: float, equity: Sequence[float] | np.ndarray) -> float:
    """Traded notional as a multiple of the mean equity (NaN if the mean equity is not positive)."""
    e = _arr(equity)
    mean = float(np.mean(e)) if e.size else NAN
    return notional / mean if mean > 0 else NAN


def last(series: Sequence[float] | np.ndarray) -> float:
    """The final value of a cumulative series (fees, funding, bad debt): NaN when empty."""
    s = _arr(series)
    return float(s[-1]) if s.size else NAN


def buy_and_hold(index: Sequence[float] | np.ndarray, capital: float) -> np.ndarray:
    """Equity of ``capital`` quote put into the index at its first positive sample and held (no fees, no
    funding); before that sample (an index not yet cranked reads 0) it is the capital in cash. All NaN if
    the index is never positive."""
    p = _arr(index)
    valid = np.flatnonzero(p > 0)
    if valid.size == 0:
        return np.full(p.shape, NAN)
    start = valid[0]
    out = np.full(p.shape, float(capital))
    out[start:] = capital * p[start:] / p[start]
    return out


def equity_figures(equity: Sequence[float] | np.ndarray, time_s: Sequence[float] | np.ndarray) -> dict[str, float]:
    """PnL, return, Sharpe, Sortino, drawdowns and Calmar of one equity series."""
    e = _arr(equity)
    r = returns(e)
    ppy = periods_per_year(time_s)
    dd_abs, dd_frac = max_drawdown(e)
    total = float(e[-1] / e[0] - 1.0) if e.size and e[0] > 0 else NAN
    return {"pnl": pnl(e), "return": total, "sharpe": sharpe(r, ppy), "sortino": sortino(r, ppy),
            "max_drawdown": dd_frac, "max_drawdown_abs": dd_abs, "calmar": calmar(r, ppy, dd_frac)}


# ----------------------------------------------------------------------------------------------------
# Protocol figures


def liquidation_delays(events: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """``delay_slots`` of the liquidation events that carry one."""
    return _arr(e["delay_slots"] for e in events
                if e.get("kind") == "liquidation" and e.get("delay_slots") is not None)


def _extreme(run: SimRun, prefix: str, reduce: Any) -> float:
    """``reduce`` (np.min or np.max) over every finite value of the columns starting with ``prefix``."""
    values = np.concatenate([_arr(v) for k, v in run.series.items() if k.startswith(prefix)] or [np.empty(0)])
    values = values[np.isfinite(values)]
    return float(reduce(values)) if values.size else NAN


def protocol_figures(run: SimRun) -> dict[str, float]:
    """The ``protocol.*`` keys of ``summarize``.

    Bad debt and socialised loss are the final cumulative values; the insurance drawdown is the largest
    fall of the fund from its running peak (quote, and as a fraction); liquidations are the final value
    of the ``liquidations`` column, or the number of liquidation events when that column is absent; delays
    are percentiles (linear interpolation) of the liquidation events' ``delay_slots``; open interest max
    is the largest sum over markets in one row; funding extremes are over every market and row.
    """
    s = run.series
    out = dict.fromkeys(PROTOCOL_KEYS, NAN)
    if "bad_debt" in s:
        out["protocol.bad_debt"] = last(s["bad_debt"])
    if "socialized_loss" in s:
        out["protocol.socialized_loss"] = last(s["socialized_loss"])
    if s.get("insurance_fund"):
        fund = _arr(s["insurance_fund"])
        out["protocol.insurance_fund_min"] = _extreme(run, "insurance_fund", np.min)
        out["protocol.insurance_drawdown"], out["protocol.insurance_drawdown_fraction"] = max_drawdown(fund)
    delays = liquidation_delays(run.events)
    if "liquidations" in s:
        out["protocol.liquidations"] = last(s["liquidations"])
    else:
        out["protocol.liquidations"] = float(sum(1 for e in run.events if e.get("kind") == "liquidation"))
    if delays.size:
        out["protocol.liquidation_delay_p50"] = float(np.percentile(delays, 50))
        out["protocol.liquidation_delay_p90"] = float(np.percentile(delays, 90))
        out["protocol.liquidation_delay_max"] = float(np.max(delays))
    oi = [_arr(v) for k, v in s.items() if k.startswith("open_interest.")]
    if oi and oi[0].size:
        total = np.sum(oi, axis=0)
        total = total[np.isfinite(total)]
        out["protocol.open_interest_max"] = float(np.max(total)) if total.size else NAN
    out["protocol.funding_rate_min"] = _extreme(run, "funding_rate.", np.min)
    out["protocol.funding_rate_max"] = _extreme(run, "funding_rate.", np.max)
    if not math.isnan(out["protocol.funding_rate_max"]):
        out["protocol.funding_rate_abs_max"] = max(abs(out["protocol.funding_rate_min"]),
                                                   abs(out["protocol.funding_rate_max"]))
    return out


# ----------------------------------------------------------------------------------------------------
# One run


def strategy_figures(run: SimRun, name: str) -> dict[str, float]:
    """The ``strategy.NAME.*`` figures: equity figures, hit rate, turnover (notional traded, valued at the
    index, or the mark where no index was recorded, over mean equity), fees and funding (final cumulative)."""
    s = run.series
    equity = _arr(s[f"strategy.{name}.equity"])
    out = equity_figures(equity, s.get("time_s", []))
    out["hit_rate"] = hit_rate(equity)
    notional = 0.0
    for market in run.markets():
        inv = s.get(f"strategy.{name}.inventory.{market}")
        price = s.get(f"index.{market}") or s.get(f"mark.{market}")
        if inv and price:
            notional += traded_notional(inv, price)
    out["traded_notional"] = notional
    out["turnover"] = turnover(notional, equity)
    out["fees"] = last(s.get(f"strategy.{name}.fees", []))
    out["funding"] = last(s.get(f"strategy.{name}.funding", []))
    return {f"strategy.{name}.{k}": out[k] for k in STRATEGY_FIGURES}


def benchmark_capital(run: SimRun) -> float:
    """What the buy-and-hold benchmark invests: the strategies' summed first equity, or 1 quote when the
    run has no strategy (or they start at nothing)."""
    first = sum(float(run.series[f"strategy.{n}.equity"][0]) for n in run.strategies()
                if run.series[f"strategy.{n}.equity"])
    return first if first > 0 else 1.0


def summarize(run: SimRun) -> dict[str, float]:
    """Every figure of one run, by key: ``protocol.*`` (``PROTOCOL_KEYS``), ``strategy.S.*``
    (``STRATEGY_FIGURES``) per strategy and ``benchmark.M.*`` (``BENCHMARK_FIGURES``) per market, the
    benchmark holding the index (the mark if no index was recorded) with ``benchmark_capital(run)``."""
    out = protocol_figures(run)
    for name in run.strategies():
        out.update(strategy_figures(run, name))
    capital = benchmark_capital(run)
    time_s = run.series.get("time_s", [])
    for market in run.markets():
        price = run.series.get(f"index.{market}") or run.series[f"mark.{market}"]
        figures = equity_figures(buy_and_hold(price, capital), time_s)
        out.update({f"benchmark.{market}.{k}": figures[k] for k in BENCHMARK_FIGURES})
    return out


# ----------------------------------------------------------------------------------------------------
# Across Monte Carlo runs


def var_es(values: Sequence[float] | np.ndarray, alpha: float = 0.95, *, losses: bool = False) -> tuple[float, float]:
    """Historical value at risk and expected shortfall at confidence ``alpha`` across runs.

    ``values`` are outcomes where more is better (PnL) unless ``losses=True`` (bad debt, already a loss).
    Both results are **losses, positive** (a VaR of 120 means losing 120; a negative VaR means even the
    tail made money). With ``n`` finite values, the tail is the ``k = ceil(n * (1 - alpha))`` worst
    outcomes (at least one): VaR is the least bad of them and ES their mean, so ``ES >= VaR``.
    NaN values are ignored; no finite value gives ``(nan, nan)``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    v = _arr(values)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return NAN, NAN
    loss = np.sort(v if losses else -v)[::-1]
    k = max(1, math.ceil(round(v.size * (1 - alpha), 9)))
    tail = loss[:k]
    return float(tail[-1]), float(np.mean(tail))


def percentiles_and_ci(values: Sequence[float] | np.ndarray, percentiles: Sequence[float] = (5, 50, 95), *,
                       confidence: float = 0.95, method: str = "bootstrap", resamples: int = 2000,
                       seed: int = 0) -> dict[str, float]:
    """Percentiles (linear interpolation, numpy's default) and a confidence interval of the mean.

    Returns ``n`` (finite values used; NaN are dropped), ``mean``, ``std`` (ddof=1), ``pP`` for each
    percentile P, ``ci_low`` and ``ci_high``. ``method="bootstrap"``: the percentile interval of the means
    of ``resamples`` resamples drawn with a generator seeded by ``seed`` (same values, same interval);
    ``method="normal"``: ``mean -/+ z * std / sqrt(n)``. Statistics that need more values than given are NaN.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if method not in ("bootstrap", "normal"):
        raise ValueError(f"method must be 'bootstrap' or 'normal', got {method!r}")
    v = _arr(values)
    v = v[np.isfinite(v)]
    out: dict[str, float] = {"n": float(v.size), "mean": float(np.mean(v)) if v.size else NAN,
                             "std": float(np.std(v, ddof=1)) if v.size > 1 else NAN}
    for p in percentiles:
        out[f"p{p:g}"] = float(np.percentile(v, p)) if v.size else NAN
    lo = hi = NAN
    if v.size >= 2:
        if method == "normal":
            half = statistics.NormalDist().inv_cdf(0.5 + confidence / 2) * out["std"] / math.sqrt(v.size)
            lo, hi = out["mean"] - half, out["mean"] + half
        else:
            rng = np.random.default_rng(seed)
            batch = max(1, 1_000_000 // v.size)  # bounded memory for many runs: about 8 MB of draws at once
            means = np.concatenate([rng.choice(v, size=(min(batch, resamples - i), v.size)).mean(axis=1)
                                    for i in range(0, resamples, batch)])
            lo, hi = (float(x) for x in np.percentile(means, [50 * (1 - confidence), 50 * (1 + confidence)]))
    out["ci_low"], out["ci_high"] = lo, hi
    return out


def distribution(summaries: Iterable[Mapping[str, float]], *, alpha: float = 0.95,
                 seed: int = 0) -> dict[str, dict[str, float]]:
    """Per summary key across runs: ``percentiles_and_ci`` (p5/p50/p95, bootstrap CI of the mean) plus
    ``var`` and ``es`` (``var_es``; bad debt, socialised loss and drawdowns are read as losses, every
    other key as an outcome where more is better). Keys are sorted; a key missing from a run counts as NaN."""
    rows = list(summaries)
    keys = sorted({k for r in rows for k in r})
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        vals = _arr(r.get(key, NAN) for r in rows)
        stats = percentiles_and_ci(vals, seed=seed)
        is_loss = key.rsplit(".", 1)[-1] in LOSS_FIGURES
        stats["var"], stats["es"] = var_es(vals, alpha, losses=is_loss)
        out[key] = stats
    return out


#: Figures whose larger values are worse (read as losses by ``distribution``).
LOSS_FIGURES = frozenset({"bad_debt", "socialized_loss", "insurance_drawdown", "insurance_drawdown_fraction",
                          "max_drawdown", "max_drawdown_abs", "liquidations", "liquidation_delay_p50",
                          "liquidation_delay_p90", "liquidation_delay_max", "fees"})

__all__ = [
    "BENCHMARK_FIGURES", "LOSS_FIGURES", "PROTOCOL_KEYS", "SECONDS_PER_YEAR", "STRATEGY_FIGURES",
    "benchmark_capital", "buy_and_hold", "calmar", "distribution", "equity_figures", "hit_rate", "last",
    "liquidation_delays", "max_drawdown", "percentiles_and_ci", "periods_per_year", "pnl",
    "protocol_figures", "returns", "sharpe", "sortino", "strategy_figures", "summarize", "traded_notional",
    "turnover", "var_es",
]
