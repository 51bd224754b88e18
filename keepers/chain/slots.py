"""Which slots to believe: a slot far ahead of the chain must not freeze a keeper.

Slots only move forward in a keeper (the clock, the last update per account, the cache), so one slot
10^6 ahead from a broken or hostile endpoint would make every honest update after it look old.
``SlotBound`` believes a slot only when it is plausible: at most ``max_lead_slots`` ahead of the latest
slot an HTTP reply reported (the anchor), plus what the chain can have produced since at
``max_slots_per_s``. Slots behind the anchor are always plausible (commitment levels and lagging nodes
produce them). The anchor only moves to plausible slots, so a lie cannot anchor the next one; before
the first HTTP reply every slot is plausible.
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_MAX_LEAD_SLOTS = 150  # a blockhash's lifetime: further ahead than that, nothing we hold is valid anyway
DEFAULT_MAX_SLOTS_PER_S = 10.0  # mainnet runs at ~2.5; localnets run faster


class SlotBound:
    """The plausibility rule of the module docstring."""

    def __init__(self, max_lead_slots: int = DEFAULT_MAX_LEAD_SLOTS, max_slots_per_s: float = DEFAULT_MAX_SLOTS_PER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_lead_slots < 0 or max_slots_per_s <= 0:
            raise ValueError(f"need max_lead_slots >= 0 and max_slots_per_s > 0, got {max_lead_slots}, {max_slots_per_s}")
        self.max_lead_slots = max_lead_slots
        self.max_slots_per_s = max_slots_per_s
        self._clock = clock
        self._anchor: int | None = None
        self._anchored_at = 0.0

    @property
    def anchor(self) -> int | None:
        """The latest believed slot of an HTTP reply (None before the first)."""
        return self._anchor

    def limit(self) -> int | None:
        """The highest plausible slot now (None: no anchor yet, anything goes)."""
        if self._anchor is None:
            return None
        elapsed = max(0.0, self._clock() - self._anchored_at)
        return self._anchor + self.max_lead_slots + int(elapsed * self.max_slots_per_s)

    def plausible(self, slot: int) -> bool:
        """Whether ``slot`` may be believed now."""
        limit = self.limit()
        return limit is None or slot <= limit

    def anchor_at(self, slot: int) -> bool:
        """Take ``slot`` (of an HTTP reply) as the new anchor when it is plausible and newer; False when it
        is not plausible."""
        if not self.plausible(slot):
            return False
        if self._anchor is None or slot >= self._anchor:
            self._anchor, self._anchored_at = slot, self._clock()
        return True


__all__ = ["DEFAULT_MAX_LEAD_SLOTS", "DEFAULT_MAX_SLOTS_PER_S", "SlotBound"]
