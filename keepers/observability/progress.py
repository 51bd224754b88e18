"""Progress the keeper makes, for ``/health``: a keeper whose bots all tick can still get nowhere.

``Progress`` is the registry the runtime and the bots report into (``KeeperContext.progress``):

- ``saw_liquidatable(users, slot)``: the users the liquidator's last scan found below maintenance
  (each is followed from the slot it was first seen, or its account last changed, ``touched``);
- ``expect(stream, slot)``, ``heard(stream, slot)``: a subscription stream (``slot``, ``oracle``) was
  subscribed, or delivered something, while the chain was at ``slot``.

The checks are pure functions of what the caller passes (chain time and slot from the Clock, limits from
``[health]``); each returns the reasons of a problem, empty when there is none. The runtime turns them into
``Health`` problems (``/health`` answers 503 with them).
"""

from __future__ import annotations

from collections.abc import Iterable

from solders.pubkey import Pubkey


class Progress:
    """See the module docstring."""

    def __init__(self) -> None:
        self._liquidatable_since: dict[Pubkey, int] = {}
        self._heard_at: dict[str, int] = {}

    def saw_liquidatable(self, users: Iterable[Pubkey], slot: int) -> None:
        """Replace the set of liquidatable users with ``users`` (found at ``slot``)."""
        since = self._liquidatable_since
        self._liquidatable_since = {u: since.get(u, slot) for u in users}

    def touched(self, user: Pubkey, slot: int) -> None:
        """``user``'s account changed at ``slot`` (a liquidation acted on it, or anything else did)."""
        if user in self._liquidatable_since:
            self._liquidatable_since[user] = max(self._liquidatable_since[user], slot)

    def heard(self, stream: str, slot: int) -> None:
        """A notification of ``stream`` arrived while the chain was at ``slot``."""
        self._heard_at[stream] = max(slot, self._heard_at.get(stream, slot))

    def expect(self, stream: str, slot: int) -> None:
        """Judge ``stream`` from ``slot`` on even if it never delivers (call when subscribing)."""
        self._heard_at.setdefault(stream, slot)

    def heard_at(self, stream: str) -> int | None:
        """The slot at which ``stream`` last delivered (None: never)."""
        return self._heard_at.get(stream)

    def longest_wait(self, slot: int) -> int:
        """Slots the longest-waiting liquidatable user has stayed untouched at ``slot`` (0 without any)."""
        return max((max(0, slot - s) for s in self._liquidatable_since.values()), default=0)

    def untouched_users(self, slot: int, limit_slots: int) -> list[tuple[Pubkey, int]]:
        """(user, slots) of liquidatable users left untouched for more than ``limit_slots``, longest first."""
        late = [(u, slot - since) for u, since in self._liquidatable_since.items() if slot - since > limit_slots]
        return sorted(late, key=lambda x: -x[1])


def stale_prices(price_ts: dict[int, int], now_ts: int, max_age_s: float) -> list[str]:
    """Reasons for each market (index -> chain time of its last price update) whose price is older than
    ``max_age_s``."""
    return [f"market {i}: price updated {now_ts - ts} s ago (limit {max_age_s:g} s)"
            for i, ts in sorted(price_ts.items()) if now_ts - ts > max_age_s]


def late_funding(period_ends: dict[int, tuple[int, int]], now_ts: int, lag_periods: float) -> list[str]:
    """Reasons for each market (index -> (end of its funding period, period length in s)) whose funding is
    more than ``lag_periods`` periods behind."""
    return [f"market {i}: funding {now_ts - end} s behind its period end (limit {lag_periods:g} x {period} s)"
            for i, (end, period) in sorted(period_ends.items()) if now_ts - end > lag_periods * period]


def silent_streams(progress: Progress, streams: Iterable[str], slot: int, limit_slots: int) -> list[str]:
    """Reasons for each of ``streams`` that delivered nothing while the chain moved more than ``limit_slots``
    (a stream neither heard nor expected is not judged)."""
    out = []
    for stream in streams:
        at = progress.heard_at(stream)
        if at is not None and slot - at > limit_slots:
            out.append(f"{stream} subscription: no notification for {slot - at} slots (limit {limit_slots})")
    return out


__all__ = ["Progress", "late_funding", "silent_streams", "stale_prices"]
