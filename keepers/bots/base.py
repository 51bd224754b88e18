"""What every bot shares: the keeper context it reads and acts through, and the ``Bot`` loop.

A bot plans with pure functions (state in, ``Action``s out) and hands the actions to the
transaction pipeline in the background, so that a slow confirmation never delays the next plan.
Its loop runs a ``tick`` when woken by a relevant change, guarded against re-entrance, and beats its
watchdog after every completed tick. There is no polling: a bot whose work falls due in chain time
sets ``due_ts`` and is woken by the Clock that reaches it; work held back by a period (``every``) asks
for the tick that can do it (``tick_within``). While nothing changes, a keeper does nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.cache import AccountCache
from keepers.chain.base import Chain, ChainError
from keepers.clock import LIVE, Clock
from keepers.exchange.oracles import RawAccount
from keepers.execution.pipeline import Action, ActionResult, TxPipeline
from keepers.observability.progress import Progress
from programs_client.perp.accounts import Market

log = logging.getLogger("perpkeep.bots")
MIN_RETICK_S = 0.001  # a re-tick asked for "now" still lets time move (a virtual clock would spin)


@dataclass
class ChainClock:
    """The chain's slot and Unix time as last read from the Clock sysvar."""

    slot: int = 0
    unix_timestamp: int = 0


@dataclass
class KeeperContext:
    """Everything a bot reads and acts through; one per keeper process."""

    chain: Chain
    cache: AccountCache
    pipeline: TxPipeline
    keypair: Keypair
    program_id: Pubkey
    metrics: Any
    health: Any
    clock: ChainClock = field(default_factory=ChainClock)
    oracles: dict[Pubkey, RawAccount] = field(default_factory=dict)
    # The markets this keeper acts on (``[[markets]]``); None: all. The cache follows every market
    # either way: a user is valued with the marks of all its positions.
    kept: frozenset[int] | None = None
    progress: Progress = field(default_factory=Progress)  # what /health judges progress by

    @functools.cached_property
    def authority(self) -> Pubkey:
        """The keeper's public key (derived once: ``Keypair.pubkey`` costs ~20 us a call)."""
        return self.keypair.pubkey()

    def keeps(self, market_index: int) -> bool:
        """Whether this keeper acts on ``market_index``."""
        return self.kept is None or market_index in self.kept

    def kept_markets(self) -> list[tuple[int, Market]]:
        """(index, market) of the cached markets this keeper acts on, by index."""
        return [(i, m) for i, m in sorted(self.cache.markets.items()) if self.keeps(i)]


# The shortest wait ``tick_within`` asks for: a deadline computed as "period minus elapsed" can come out
# at ~1e-17 s, which a virtual clock has already reached, and the bot would re-tick forever without
# time moving (the simulator's liquidator did, between derisk slices).
MIN_DEFER_S = 1e-6


class Bot:
    """A keeper bot: ``tick`` plans and submits; ``run`` schedules ticks until stopped.

    Subclasses set ``name`` and implement ``tick``; ``wakes_on`` names the changes that wake them (cache
    kinds such as "user", "market", "event_queue", and "oracle" or "clock": every move of chain time).
    ``interval_s`` is the period of the work a bot repeats (see each bot) and the base of its watchdog.
    """

    name: ClassVar[str] = "bot"
    wakes_on: ClassVar[frozenset[str]] = frozenset()
    # Bots woken by the same change tick in this order (lower first): the event loop runs them one
    # after another, so the time-critical one must not wait behind the others' ticks and sends.
    wake_priority: ClassVar[int] = 10

    def __init__(self, ctx: KeeperContext, config: Any, interval_s: float, clock: Clock = LIVE) -> None:
        self.ctx = ctx
        self.config = config
        self.interval_s = interval_s
        self.clock = clock
        self.ticks = 0
        self.errors = 0
        self.last_tick_at: float | None = None
        self.results: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._busy = False
        self._tasks: set[asyncio.Task[ActionResult]] = set()
        self.peak_in_flight = 0  # the most actions this bot ever had in flight at once
        self._done_at: dict[str, float] = {}
        # Chain time at which this bot has work even if nothing else changes (set by ``tick``): the Clock
        # reaching it wakes the bot. None: none.
        self.due_ts: int | None = None
        self._tick_at: float | None = None  # a tick asked for by ``tick_within`` (monotonic)

    # -- scheduling ---------------------------------------------------------------------------------
    def every(self, what: str, period_s: float, *, defer: bool = False) -> bool:
        """True at most once per ``period_s`` for ``what``: work that a burst of wakes must not repeat
        (an RPC read, a scan of every user). With ``defer``, a refusal asks for a tick at the end of the
        period (``tick_within``): work that is postponed, not dropped."""
        now = self.clock.monotonic()
        last = self._done_at.get(what)
        if last is not None and now - last < period_s:
            if defer:
                self.tick_within(period_s - (now - last))
            return False
        self._done_at[what] = now
        return True

    def tick_within(self, seconds: float) -> None:
        """Ask for another tick at most ``seconds`` (at least ``MIN_DEFER_S``) from now, even if nothing wakes
        this bot."""
        at = self.clock.monotonic() + max(seconds, MIN_DEFER_S)
        if self._tick_at is None or at < self._tick_at:
            self._tick_at = at

    def wake(self, kind: str = "") -> None:
        """Ask for a tick soon (a change this bot cares about happened, or the Clock reached ``due_ts``)."""
        if not kind or kind in self.wakes_on or (
                kind == "clock" and self.due_ts is not None and self.ctx.clock.unix_timestamp >= self.due_ts):
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Tick, then sleep until woken (or until a tick asked for by ``tick_within``), until ``stop`` is set
        (checked after each tick: ``Keeper.stop`` also cancels the task)."""
        while not stop.is_set():
            self._tick_at = None
            await self.tick_once()
            if self._tick_at is None:
                await self._wake.wait()
            else:
                try:
                    await self.clock.wait_for(self._wake.wait(), max(self._tick_at - self.clock.monotonic(), 0.0))
                except TimeoutError:
                    pass
            self._wake.clear()

    async def tick_once(self) -> None:
        """One guarded tick: never re-entered, never raises, beats the watchdog when done."""
        if self._busy:
            return
        self._busy = True
        self.ctx.health.busy(self.name)
        try:
            await self.tick()
            self.ticks += 1
            self.last_tick_at = self.clock.monotonic()
            self.ctx.health.beat(self.name)
        except ChainError as e:  # the endpoint is down or faulty: expected now and then, no traceback
            self.errors += 1
            log.warning("[%s] tick: %s", self.name, e, extra={"bot": self.name})
            self.tick_within(self.interval_s)  # retried even if nothing changes meanwhile
        except Exception:  # noqa: BLE001 - a failed tick is logged and retried
            self.errors += 1
            log.exception("[%s] tick failed", self.name, extra={"bot": self.name})
            self.tick_within(self.interval_s)
        finally:
            self._busy = False

    async def tick(self) -> None:
        """Plan and submit this bot's actions once."""
        raise NotImplementedError

    # -- acting -------------------------------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Actions this bot submitted that have not finished."""
        return len(self._tasks)

    def submit(self, action: Action) -> bool:
        """Hand ``action`` to the pipeline in the background; False when its target is busy or it is done."""
        if not self.ctx.pipeline.reserve(action):  # claimed now, so no later plan can race this one
            lapses = self.ctx.pipeline.hold_lapses_in(action)
            if lapses is not None:  # a hold that lapses with no change to wake this bot: look again then
                self.tick_within(max(lapses, MIN_RETICK_S))
            return False
        task = asyncio.create_task(self._submit(action), name=f"{self.name}:{action.kind}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        self.peak_in_flight = max(self.peak_in_flight, len(self._tasks))
        return True

    async def _submit(self, action: Action) -> ActionResult:
        result = await self.ctx.pipeline.submit(action, reserved=True)
        self.results[result.status] = self.results.get(result.status, 0) + 1
        try:
            self.on_result(result)
        except Exception:  # noqa: BLE001
            log.exception("[%s] result handler failed", self.name, extra={"bot": self.name})
        return result

    def _finished(self, task: asyncio.Task[ActionResult]) -> None:
        # Out of ``in_flight`` before the tick this wakes: a bot at its in-flight budget plans again.
        self._tasks.discard(task)
        self.wake()

    def on_result(self, result: ActionResult) -> None:
        """Called after each submitted action finishes (override to follow up, e.g. derisk)."""

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Wait (bounded) for this bot's in-flight actions to finish."""
        if self._tasks:
            try:
                await self.clock.wait_for(asyncio.wait(list(self._tasks)), timeout_s)
            except TimeoutError:
                pass

    async def close(self) -> None:
        """Cancel in-flight submissions (the journal keeps their intents for the next run)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def health(self) -> dict[str, Any]:
        """A summary for /health and the status view."""
        age = None if self.last_tick_at is None else round(self.clock.monotonic() - self.last_tick_at, 3)
        return {"ticks": self.ticks, "errors": self.errors, "last_tick_age_s": age, "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight, "results": dict(self.results)}


__all__ = ["Bot", "ChainClock", "KeeperContext"]
