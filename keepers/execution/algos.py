"""Execution algorithms: TWAP, VWAP and implementation shortfall (Almgren-Chriss) as pure schedules,
and ``ScheduleExecutor``, the small state machine a bot steps to send a schedule's slices through the pipeline.

A schedule is a list of child sizes (base 1e9, each a multiple of the lot, summing to the parent) sent
one every ``interval_slots``. The schedules are pure functions, so their figures are checked by hand in
the tests; the executor only says which slice is due at a slot and takes what filled, so the same
executor serves the market maker's inventory unwind and the liquidator's derisking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from programs_client.perp.constants import BPS


def _on_lots(weights: Sequence[float], total: int, lot: int) -> list[int]:
    """``total`` (a multiple of ``lot``) split in proportion to ``weights`` on the lot grid: each part rounded
    down, the lots left over handed to the parts with the largest remainders (earliest first on ties)."""
    if total <= 0 or not weights:
        return []
    lots = total // lot
    w = sum(weights)
    if w <= 0:
        weights, w = [1.0] * len(weights), float(len(weights))
    exact = [lots * x / w for x in weights]
    parts = [int(math.floor(e)) for e in exact]
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: lots - sum(parts)]:
        parts[i] += 1
    return [p * lot for p in parts]


def twap_schedule(total: int, slices: int, lot: int) -> list[int]:
    """TWAP: ``total`` in ``slices`` equal children on the lot grid (the lots that do not divide evenly go to
    the earliest children); children of zero are dropped."""
    return [s for s in _on_lots([1.0] * max(slices, 1), total - total % lot, lot) if s > 0]


def volume_profile(fills: Iterable[tuple[int, int]], bucket_slots: int, buckets: int) -> list[float]:
    """The share of traded base in each of ``buckets`` cyclic buckets of ``bucket_slots`` slots, from the
    market's fills ``(slot, base)``: bucket ``(slot // bucket_slots) % buckets``. Uniform with no fills."""
    volume = [0.0] * buckets
    for slot, base in fills:
        volume[(slot // bucket_slots) % buckets] += base
    total = sum(volume)
    return [1.0 / buckets] * buckets if total == 0 else [v / total for v in volume]


def vwap_schedule(total: int, profile: Sequence[float], lot: int, start_bucket: int = 0) -> list[int]:
    """VWAP: ``total`` split over the buckets of ``profile`` starting at ``start_bucket`` (cyclic), in
    proportion to the volume each bucket trades, on the lot grid. One child per bucket (zeros kept, so
    child ``i`` is sent in bucket ``start_bucket + i``)."""
    n = len(profile)
    weights = [profile[(start_bucket + i) % n] for i in range(n)]
    return _on_lots(weights, total - total % lot, lot)


def almgren_chriss_holdings(total: float, slices: int, interval: float, sigma: float, eta: float, risk_aversion: float,
                            gamma: float = 0.0) -> list[float]:
    """Almgren-Chriss (2000) optimal holdings x_0 = total .. x_N = 0 over ``slices`` intervals of ``interval``.

    x_j = total sinh(kappa (T - t_j)) / sinh(kappa T) with T = slices * interval and kappa from
    cosh(kappa interval) = 1 + risk_aversion sigma^2 interval^2 / (2 eta~), eta~ = eta (1 - gamma interval / (2 eta));
    ``sigma`` the price volatility per unit time (price units), ``eta`` the temporary and ``gamma`` the
    permanent impact. No risk aversion gives the straight line (TWAP).
    """
    eta_t = eta * (1.0 - gamma * interval / (2.0 * eta))
    arg = 1.0 + risk_aversion * sigma * sigma * interval * interval / (2.0 * eta_t)
    kappa = math.acosh(arg) / interval if arg > 1.0 else 0.0
    T = slices * interval
    if kappa == 0.0:
        return [total * (1.0 - j / slices) for j in range(slices + 1)]
    return [total * math.sinh(kappa * (T - j * interval)) / math.sinh(kappa * T) for j in range(slices + 1)]


def shortfall_schedule(total: int, slices: int, lot: int, interval: float, sigma: float, eta: float,
                       risk_aversion: float, gamma: float = 0.0) -> list[int]:
    """Implementation shortfall: the children of the Almgren-Chriss trajectory (x_{j-1} - x_j) on the lot grid."""
    x = almgren_chriss_holdings(float(total), slices, interval, sigma, eta, risk_aversion, gamma)
    return _on_lots([x[j - 1] - x[j] for j in range(1, len(x))], total - total % lot, lot)


def reduce_slice(held: int, slice_bps: int, lot: int, min_order: int) -> int:
    """One child of a reduce-only unwind of ``held`` (base 1e9) that sends ``slice_bps`` of what is left each
    time (a geometric schedule): a lot multiple of at least ``min_order``, all of it when the rest would
    fall below the minimum; 0 when ``held`` itself is below it."""
    if held < min_order:
        return 0
    size = max(held * slice_bps // BPS, min_order)
    size = min(size + (-size) % lot, held)
    return held if held - size < min_order else size


@dataclass
class ScheduleExecutor:
    """Sends ``children`` one every ``interval_slots`` from ``start_slot``; what does not fill rolls into the next.

    ``due(slot)`` is the size to send now (0: nothing due), at most once per child; ``filled`` takes
    what a child filled. The parent is done when the schedule ran out, or when ``remaining`` is 0.
    """

    children: list[int]
    interval_slots: int
    start_slot: int
    sent: int = 0  # children sent
    done_base: int = 0
    carry: int = 0  # base of earlier children that did not fill
    history: list[tuple[int, int]] = field(default_factory=list)  # (slot, size) sent

    @property
    def total(self) -> int:
        return sum(self.children)

    @property
    def remaining(self) -> int:
        return max(self.total - self.done_base, 0)

    @property
    def finished(self) -> bool:
        return self.remaining == 0 or (self.sent >= len(self.children) and self.carry == 0)

    def due(self, slot: int) -> int:
        """The size to send at ``slot``: the next child plus what earlier ones left, once its time came."""
        if self.sent >= len(self.children) or slot < self.start_slot + self.sent * self.interval_slots:
            return 0
        size = min(self.children[self.sent] + self.carry, self.remaining)
        self.sent += 1
        self.carry = 0
        self.history.append((slot, size))
        return size

    def filled(self, sent: int, filled: int) -> None:
        """A child of ``sent`` base filled ``filled``: the rest is carried into the next child."""
        self.done_base += filled
        self.carry += max(sent - filled, 0)

    def next_slot(self) -> int | None:
        """The slot the next child is due at (None: none left)."""
        return None if self.sent >= len(self.children) else self.start_slot + self.sent * self.interval_slots


__all__ = ["ScheduleExecutor", "almgren_chriss_holdings", "reduce_slice", "shortfall_schedule", "twap_schedule",
           "volume_profile", "vwap_schedule"]
