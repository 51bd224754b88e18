"""The transaction pipeline: every keeper action goes from intent to outcome through ``TxPipeline.submit``.

1. refuse an action while another holds one of its locks (by default its kind and target; a strategy can
   lock other scopes, e.g. ("requote", market), or several at once), or while the last action that held
   one of them landed after the state the keeper's cache holds for its target (it was planned from the
   state before that action), an intent the journal already finished (landed with its effect seen, or
   failed for good), and an action whose ``basis`` (the state of the accounts it depends on) is the one
   the last attempt under one of its locks already failed on as expected (nothing changed: it would
   fail again and pay again);
2. journal the intent;
3. size compute units by simulation (cached per action kind, so the hot path does not wait for a
   simulation after the first one of its kind) and stop there when the simulation fails; a limit is
   never below the instructions' measured worst case with headroom, and a simulated figure beyond any
   plausible cost neither sizes it nor is cached (``keepers.execution.compute_budget``);
4. price it: recent priority fees, at least the floor, at most the cap and at most
   ``reward_share`` of the action's expected reward;
5. sign with a cached blockhash and send (the chain sends to every configured endpoint);
6. confirm by subscription with a polling fallback (``keepers.execution.confirm``: one batched poll for every
   transaction in flight), resending the same transaction until its blockhash expires (the journal
   holds its signed bytes, so a restarted keeper resends exactly it: ``recover``);
7. classify a failure from the IDL (``keepers.execution.error_policy``) and journal the outcome.

A "landed" status is a claim of the endpoint: an action with an ``effect`` is finished only once that
effect shows in the cache (``finished``); a landing whose effect never shows is journaled as expired,
so its intent is planned again.

In an active/standby pair (``keepers.ha``) the pipeline is fenced: ``fence()`` (the lease is held and
within its local deadline) is checked before every send, and a pipeline whose lease is lost sends
nothing more and journals nothing more for the action (``Fenced``): the process that took the lease
over resolves its journal rows. ``draining`` refuses new actions while in-flight ones finish (a
graceful hand-over).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from keepers.chain.base import URGENT, Blockhash, Chain, ChainError, SignatureStatus
from keepers.clock import LIVE, Clock
from keepers.config import FeesConfig
from keepers.execution import compute_budget
from keepers.execution.confirm import StatusPoller
from keepers.execution.error_policy import ErrorName, RuntimeErrorName, Verdict, classify
from keepers.execution.journal import JournalError, Status

log = logging.getLogger("perpkeep.tx")

LAMPORTS_PER_SIGNATURE = 5_000
MICRO_LAMPORTS = 1_000_000
BUDGET_INSTRUCTION_UNITS = 300  # what the two compute-budget instructions themselves cost
# A liquidation's cost varies by half or more with the state it meets (the liquidator's other
# positions, the user's resting orders, the book it scans): unsimulated sends get this much more than
# the simulated shape. A few thousand CU over the limit costs little; running out fails the send.
REUSE_HEADROOM = 2.0
REUSE_MIN_EXTRA_UNITS = 10_000
MAX_FEE_CACHE = 1024
# Signatures are remembered to keep transactions signed with one blockhash distinct, so only while that
# blockhash can be signed with: one whose last valid block height is more than a blockhash's lifetime
# (150 blocks, Agave's MAX_PROCESSING_AGE) below that of the blockhash signed with now has expired. By
# count alone (100,000, then 10,000 entries of ~200 bytes) the set filled for hours at the demo's load,
# and the keeper's memory grew as long (benchmarks.resources, tracemalloc); by block height it holds
# about a minute of sends. The count stays as a bound (more than one blockhash lifetime of sends at the
# default 50 requests/s: 4,500), and while slots stall nothing expires.
BLOCKHASH_LIFETIME_BLOCKS = 150
MAX_REMEMBERED_SIGNATURES = 10_000
SIMULATION_PREFIX = "simulation: "
OUT_OF_COMPUTE = (RuntimeErrorName.ProgramFailedToComplete, RuntimeErrorName.ComputationalBudgetExceeded)
FINAL_STATUSES = (Status.LANDED, Status.SKIPPED)  # journal statuses after which a key is never tried again
FEE_PERCENTILE = 0.75  # of recent non-zero priority fees: what the market pays
STALE_HOLD_S = 10.0  # the longest a landed action keeps its lock until the cache has seen what it did
EFFECT_WAIT_S = 10.0  # how long a landing's effect may take to show when the cache has not seen the target since
MAX_REFUSED_BASES = 10_000  # locks remembered with the state their last attempt failed on
WARN_EVERY_S = 30.0  # rate limit of the warnings repeated conditions log
URGENT_BLOCKHASH_AGE_S = 4.0  # an urgent action signs with a cached blockhash up to this old (of a ~60 s
# lifetime; nodes may drop a blockhash after 20 slots, 8 s at 400 ms)
_COMMITMENT_RANK = {"processed": 0, "confirmed": 1, "finalized": 2}


class Fenced(Exception):
    """A send refused because this process no longer holds the lease (``TxPipeline.fence``)."""


class ActionStatus(StrEnum):
    """What became of an action (``ActionResult.status``); the text is what metrics and logs show."""

    LANDED = "landed"
    FAILED = "failed"
    EXPIRED = "expired"  # its blockhash expired before it landed
    BUSY = "busy"  # refused: another action holds one of its locks (or its last landing is not yet seen)
    DONE = "done"  # refused: the journal finished this intent
    UNCHANGED = "unchanged"  # refused: its last attempt failed as expected on the very same ``basis``
    DRY_RUN = "dry_run"
    EXPECTED = "expected"  # counted instead of FAILED: a failure the action declared a normal answer


Lock = tuple[str, Hashable]
"""What an in-flight action holds: (scope, what), e.g. ("liquidate_perp", user) or ("requote", market index)."""


@dataclass(frozen=True)
class Action:
    """One thing a bot wants done on chain.

    ``key`` names the intent for the journal: the same key is never done twice (``keepers.execution.intents``
    builds the bots' keys). ``target`` is the account the action is about. ``locks`` are what it holds
    while in flight: no other action holding one of them starts meanwhile. By default the one lock
    (kind, target), so one action of a kind per target is in flight (a price crank does not hold up
    the funding crank of the same market); a strategy can name its own, e.g. ``(("requote", market),)``
    for one requote in flight per market whatever the order accounts, or several to hold them all.
    """

    bot: str
    kind: str  # an ``ActionKind`` for the keeper's own bots
    key: str
    target: Pubkey
    instructions: tuple[Instruction, ...]
    signers: tuple[Keypair, ...] = ()
    reward_lamports: int = 0
    expected: frozenset[ErrorName | str] = frozenset()  # failures that are a normal answer: not alerted, not counted as failures
    detail: dict[str, Any] = field(default_factory=dict)
    simulate_first: bool = True
    # Compute units beyond what simulation measures that the action may need at execution (e.g. fills
    # queued after it was planned); added to the sized limit, never cached with the shape.
    extra_units: int = 0
    # Its requests use the chain's reserved share of the rate limit (``keepers.chain.base.URGENT``).
    urgent: bool = False
    locks: tuple[Lock, ...] = ()  # empty: ((kind, target),)
    # The state of the accounts the outcome depends on (e.g. their slots or a hash of their data): after
    # a failure that is a normal answer (``expected``) or a skip, no action under the same locks is
    # tried again until its basis differs. None: always tried.
    basis: Hashable | None = field(default=None, compare=False)
    # What a landing must show in the cache: called with the landing slot, True once the effect is seen
    # (e.g. the market's last price update slot reached it). None: the status is taken as is.
    effect: Callable[[int], bool] | None = field(default=None, compare=False)

    @property
    def held(self) -> tuple[Lock, ...]:
        """The locks this action holds while in flight: ``locks``, or its kind and target."""
        return self.locks or ((self.kind, self.target),)


@dataclass(frozen=True)
class ActionResult:
    """What became of an action (``ActionStatus``): landed, failed, expired, busy (a lock held), done (journal) or dry_run."""

    status: ActionStatus
    action: Action
    signature: Signature | None = None
    error: str | None = None
    verdict: Verdict | None = None
    slot: int | None = None
    compute_units: int = 0
    fee_lamports: int = 0
    latency_s: float = 0.0

    @property
    def landed(self) -> bool:
        return self.status is ActionStatus.LANDED

    @property
    def error_name(self) -> str | None:
        """The failure's name without the stage it was found at."""
        return self.error.removeprefix(SIMULATION_PREFIX) if self.error else None

    @property
    def expected(self) -> bool:
        """A failure the action declared a normal answer (e.g. "too early" for a crank someone else did)."""
        return self.status is ActionStatus.FAILED and self.error_name in self.action.expected


def priority_price(recent: Sequence[int], units: int, reward_lamports: int, fees: FeesConfig) -> int:
    """Micro-lamports per CU: the recent fees' percentile, raised to the floor, capped by the cap and the reward."""
    nonzero = sorted(f for f in recent if f > 0)
    market = nonzero[min(len(nonzero) - 1, int(len(nonzero) * FEE_PERCENTILE))] if nonzero else 0
    price = max(market, fees.priority_fee_floor_micro_lamports)
    if reward_lamports > 0 and units > 0:
        price = min(price, int(reward_lamports * fees.reward_share * MICRO_LAMPORTS) // units)
    return max(0, min(price, fees.priority_fee_cap_micro_lamports))


def fee_lamports(signatures: int, units: int, price_micro_lamports: int) -> int:
    """Total fee of a transaction: the signature fee plus the priority fee (rounded up, as the runtime does)."""
    return signatures * LAMPORTS_PER_SIGNATURE + math.ceil(units * price_micro_lamports / MICRO_LAMPORTS)


class TxPipeline:
    """Sends ``Action``s for one fee payer; see the module docstring for the steps.

    ``fees`` is the keeper configuration's ``[fees]`` section (tests pass their own ``FeesConfig``).
    """

    def __init__(
        self,
        chain: Chain,
        payer: Keypair,
        journal: Any,
        metrics: Any = None,
        fees: FeesConfig = FeesConfig(),
        commitment: str = "confirmed",
        dry_run: bool = False,
        poll_s: float = 0.4,
        resend_s: float = 2.0,
        blockhash_ttl_s: float = 1.0,
        fee_ttl_s: float = 5.0,
        max_confirm_s: float = 120.0,
        clock: Clock = LIVE,
        state_slot: Callable[[Pubkey], int | None] | None = None,
        fence: Callable[[], bool] | None = None,
        instance: str | None = None,
    ) -> None:
        self.chain = chain
        self.payer = payer
        self.journal = journal
        self.metrics = metrics
        self.fees = fees
        self.commitment = commitment
        self.dry_run = dry_run
        self.poll_s, self.resend_s, self.max_confirm_s = poll_s, resend_s, max_confirm_s
        self.blockhash_ttl_s, self.fee_ttl_s = blockhash_ttl_s, fee_ttl_s
        self.clock = clock
        self.fence = fence  # None: always allowed to send (no active/standby pair)
        self.instance = instance  # recorded in each journal row's detail as "by" (which process acted)
        self.draining = False  # refuse new actions (a hand-over waits for the ones in flight)
        self.poller = StatusPoller(chain, poll_s, clock)
        # recent signatures (-> their blockhash's last valid block height), to keep every intent's transaction unique
        self._signed: OrderedDict[Signature, int] = OrderedDict()
        self.in_flight: dict[Lock, str] = {}  # lock -> key of the action in flight holding it
        # The slot the cached state of an account was read at (the keeper's cache), and for each lock
        # the (slot, time, target) at which the last action holding it landed: see ``_stale``.
        self.state_slot = state_slot
        self._landed_at: dict[Lock, tuple[int, float, Pubkey]] = {}
        # Compute units by transaction shape (kind, instructions, accounts): the hot path reuses them.
        self.units_by_shape: dict[tuple[str, int, int], int] = {}
        self.sends = 0
        self.outcomes: Counter[tuple[str, ActionStatus]] = Counter()  # (kind, status) of every finished action
        self._blockhash: tuple[float, Blockhash] | None = None
        self._recent_fees: dict[tuple[Pubkey, ...], tuple[float, list[int]]] = {}
        self._recovery: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[None]] = set()  # blockhash and fee refreshes urgent actions did not wait for
        self._newest_fees: list[int] = []
        # lock -> basis of the last attempt under it that failed as expected (see ``Action.basis``)
        self._refused: OrderedDict[Lock, Hashable] = OrderedDict()
        self.effects_missing = 0  # landings whose effect never showed (their intents were reopened)
        self.outliers = 0  # simulated compute figures refused as implausible
        self._warned_at: dict[str, float] = {}

    # -- public -------------------------------------------------------------------------------------
    def busy(self, kind: str, target: Pubkey) -> bool:
        """Whether an action of ``kind`` on ``target`` (holding the default lock) is in flight."""
        return self.holds((kind, target))

    def holds(self, lock: Lock) -> bool:
        """Whether an action in flight holds ``lock``."""
        return lock in self.in_flight

    def finished(self, key: str, action: Action | None = None) -> bool:
        """Whether the journal says the intent ``key`` is done for good (landed, or failed without retry).

        With ``action`` and its ``effect``: a landing counts only once its effect shows in the cache. When
        the cache has seen the target at the landing slot or later (or ``EFFECT_WAIT_S`` passed) without
        it, the status was false (a dropped transaction reported landed): the journal row becomes expired
        and the intent is open again, also for a keeper restarted on that journal.
        """
        entry = self.journal.latest(key)
        if entry is None or entry.status not in FINAL_STATUSES:
            return False
        if entry.status is not Status.LANDED or action is None or action.effect is None or entry.slot is None:
            return True
        if action.effect(entry.slot):
            return True
        seen = self.state_slot(action.target) if self.state_slot is not None else None
        waited = self.clock.time() - (entry.finished_at or 0.0)
        if (seen is None or seen < entry.slot) and waited < EFFECT_WAIT_S:
            return True  # the cache may not have the landing yet
        self.journal.record_outcome(entry.id, Status.EXPIRED, error="reported landed but its effect never showed",
                                    slot=entry.slot, compute_units=entry.compute_units, fee_lamports=entry.fee_lamports)
        self.effects_missing += 1
        for lock in action.held:
            self._landed_at.pop(lock, None)
        if self.metrics is not None:
            self.metrics.failed(action.bot, action.kind, "EffectNotSeen")
        self._warn(f"effect:{action.kind}", "%s %s was reported landed at slot %s but its effect never showed "
                   "(cache at slot %s): planned again", action.kind, key, entry.slot, seen)
        return False

    def _warn(self, what: str, msg: str, *args: object) -> None:
        """Log a warning at most once per ``WARN_EVERY_S`` for ``what``."""
        now = self.clock.monotonic()
        if now - self._warned_at.get(what, -math.inf) >= WARN_EVERY_S:
            self._warned_at[what] = now
            log.warning(msg, *args)

    def unchanged(self, action: Action) -> bool:
        """Whether the last attempt under one of ``action``'s locks failed as expected on ``action.basis``."""
        return action.basis is not None and any(self._refused.get(lock) == action.basis for lock in action.held)

    def reserve(self, action: Action) -> bool:
        """Claim ``action``'s locks now (before a background ``submit(action, reserved=True)`` starts).

        False when an action in flight holds one of them, when the cache has not yet seen the outcome
        of the last action holding one of them that landed (``_stale``), or when the journal finished
        the intent. All or nothing: a refused action holds none.
        """
        if self.draining or not self.may_send():
            return False
        if self._blocked(action) or self.unchanged(action) or self.finished(action.key, action):
            return False
        for lock in action.held:
            self.in_flight[lock] = action.key
        return True

    def refusal(self, action: Action) -> ActionStatus:
        """Why ``reserve`` refused ``action``: BUSY (a lock or a stale hold), UNCHANGED (same basis as the last
        expected failure) or DONE (the journal finished the intent)."""
        if self._blocked(action) or self.draining or not self.may_send():
            return ActionStatus.BUSY
        return ActionStatus.UNCHANGED if self.unchanged(action) else ActionStatus.DONE

    def may_send(self) -> bool:
        """Whether this process may send now (no fence, or the lease is held)."""
        return self.fence is None or self.fence()

    def hold_lapses_in(self, action: Action) -> float | None:
        """Seconds until the longest stale hold (``_stale``) on ``action``'s locks lapses by itself, or None
        when none holds it. A hold also ends earlier, when the cache sees the landing."""
        waits = [STALE_HOLD_S - (self.clock.monotonic() - self._landed_at[lock][1])
                 for lock in action.held if self._stale(lock)]
        return max(waits) if waits else None

    def _blocked(self, action: Action) -> bool:
        return any(lock in self.in_flight or self._stale(lock) for lock in action.held)

    async def submit(self, action: Action, reserved: bool = False) -> ActionResult:
        """Run ``action`` through the pipeline and return its outcome (never raises on chain faults)."""
        if not reserved and not self.reserve(action):
            return ActionResult(self.refusal(action), action)
        started = self.clock.monotonic()
        if self.metrics is not None:
            self.metrics.attempted(action.bot, action.kind)
        row = _JournalRow(self.journal, action, self.clock.time(), self.instance)
        urgent = URGENT.set(action.urgent)
        try:
            result = await self._run(action, row, started)
        except Fenced:
            # The lease is lost: the journal row (if sent) is the new holder's to resolve. Nothing is recorded.
            return ActionResult(ActionStatus.BUSY, action, error="fenced: the lease is lost",
                                latency_s=self.clock.monotonic() - started)
        except ChainError as e:
            result = ActionResult(ActionStatus.FAILED, action, error=f"chain: {e}", verdict=Verdict.RETRY,
                                  latency_s=self.clock.monotonic() - started)
        except JournalError as e:  # no intent journaled, nothing sent; the journal's listeners count it (and stop
            # the keeper when it is fatal)
            result = ActionResult(ActionStatus.FAILED, action, error=f"journal: {e.reason}", verdict=Verdict.ALERT,
                                  latency_s=self.clock.monotonic() - started)
        except Exception as e:  # noqa: BLE001 - a bug in one action must not take the keeper down
            log.exception("action %s failed unexpectedly", action.key, extra={"bot": action.bot, "kind": action.kind})
            result = ActionResult(ActionStatus.FAILED, action, error=f"internal: {type(e).__name__}: {e}", verdict=Verdict.ALERT,
                                  latency_s=self.clock.monotonic() - started)
        finally:
            URGENT.reset(urgent)
            for lock in action.held:
                self.in_flight.pop(lock, None)
        try:
            self._finish(row.id(), result)
        except JournalError:
            pass  # counted by the journal's listeners; the row stays as after a crash, for the next start to resolve
        return result

    async def recover(self) -> int:
        """Resolve actions a previous run left unfinished; return how many there were.

        Sent ones are confirmed in the background (their targets stay busy until then); one whose
        transaction the chain does not know is sent again at once, the very bytes the journal holds
        (the same signature: it cannot land twice), and again every ``resend_s`` until it lands or its
        blockhash expires, so that a send lost in the crash holds its target for a few slots instead of a
        blockhash lifetime. Intents that were never sent are closed as expired, so their work is planned
        again from fresh state. The journal holds kind and target, not an action's own ``locks``: a
        recovered action holds the default lock (kind, target) until it resolves.
        """
        entries = self.journal.unfinished()
        for entry in entries:
            if entry.signature is None:
                self.journal.record_outcome(entry.id, Status.EXPIRED, error="never sent (keeper stopped)")
                continue
            if self.journal.landed(entry.key):  # the intent landed under another row (another lease holder's)
                self.journal.record_outcome(entry.id, Status.EXPIRED, error="superseded: its intent landed in another row")
                continue
            lock = (entry.kind, Pubkey.from_string(entry.target))
            self.in_flight[lock] = entry.key
            task = asyncio.create_task(self._recover_one(entry, lock), name=f"recover-{entry.id}")
            self._recovery.add(task)
            task.add_done_callback(self._recovery.discard)
        return len(entries)

    def _stale(self, lock: Lock) -> bool:
        """Whether the last action holding ``lock`` landed after the state the cache holds for that
        action's target: a plan made now was made from the state before it (e.g. a second liquidation
        of a user from the same read of its account). Held until the cache has the target at the
        landing slot or later, at most ``STALE_HOLD_S``; never when the cache does not hold the target."""
        landed = self._landed_at.get(lock)
        if landed is None or self.state_slot is None:
            return False
        slot, at, target = landed
        seen = self.state_slot(target)
        if seen is None or seen >= slot or self.clock.monotonic() - at >= STALE_HOLD_S:
            del self._landed_at[lock]
            return False
        return True

    async def close(self) -> None:
        """Stop background recovery tasks and the status poller."""
        for task in [*self._recovery, *self._background]:
            task.cancel()
        await asyncio.gather(*self._recovery, *self._background, return_exceptions=True)
        await self.poller.close()

    # -- steps --------------------------------------------------------------------------------------
    async def _run(self, action: Action, row: _JournalRow, started: float) -> ActionResult:
        shape = _shape(action)
        units = self.units_by_shape.get(shape)
        from_table = False
        if units is None and not action.simulate_first and _program_of(action.instructions) is not None \
                and compute_budget.ceiling(action.instructions, _program_of(action.instructions)) is not None:
            # The table knows every instruction: an urgent first of its shape need not wait for a simulation.
            units, from_table = compute_budget.floor(action.instructions, _program_of(action.instructions)), True
        if units is None or action.simulate_first or self.dry_run:
            row.id()  # the intent is journaled before the (slow) simulation
            sim_tx = self._sign(action, self.fees.max_compute_units, 0, (await self._latest_blockhash()).blockhash)
            sim = await self.chain.simulate(sim_tx)
            if sim.err is not None:
                name, verdict = classify(sim.err)
                return ActionResult(ActionStatus.FAILED, action, error=SIMULATION_PREFIX + name, verdict=verdict,
                                    latency_s=self.clock.monotonic() - started)
            units = self._size(shape, sim.units_consumed, action.instructions)
            if self.dry_run:
                return ActionResult(ActionStatus.DRY_RUN, action, compute_units=units, latency_s=self.clock.monotonic() - started)
        elif not from_table:  # a cost simulated for this shape earlier: it can cost more with other state (more
            # positions, a fuller book). The table's floor already is each instruction's worst case with headroom.
            units = min(self.fees.max_compute_units, max(math.ceil(units * REUSE_HEADROOM), units + REUSE_MIN_EXTRA_UNITS))
        units = min(self.fees.max_compute_units,
                    max(units, compute_budget.floor(action.instructions, _program_of(action.instructions))) + action.extra_units)
        price = priority_price(await self._fees(action), units, action.reward_lamports, self.fees)
        blockhash = await self._latest_blockhash(action.urgent)
        tx = self._sign(action, units, price, blockhash.blockhash)
        while tx.signatures[0] in self._signed:
            # Byte-identical to an earlier transaction (a crank repeated within one blockhash): the chain
            # would drop it as a duplicate and report the earlier one's status. One more CU makes it new.
            units += 1
            tx = self._sign(action, units, price, blockhash.blockhash)
        signature = tx.signatures[0]
        self._remember(signature, blockhash.last_valid_block_height)
        fee = fee_lamports(len(tx.signatures), units, price)
        if not self.may_send():  # a fenced process writes no signature either: nothing for a recovery to resend
            raise self._fenced(signature)
        row.sent(str(signature), blockhash.last_valid_block_height, bytes(tx))
        status = await self._send_and_confirm(tx, blockhash.last_valid_block_height)
        latency = self.clock.monotonic() - started
        if status is None:
            return ActionResult(ActionStatus.EXPIRED, action, signature, error="blockhash expired before the transaction landed",
                                verdict=Verdict.RETRY, compute_units=units, latency_s=latency)
        if status.err is not None:
            name, verdict = classify(status.err)
            if name in OUT_OF_COMPUTE:
                self.units_by_shape.pop(shape, None)  # size it by simulation next time
            return ActionResult(ActionStatus.FAILED, action, signature, name, verdict, status.slot, units, fee, latency)
        return ActionResult(ActionStatus.LANDED, action, signature, None, None, status.slot, units, fee, latency)

    def _size(self, shape: tuple[str, int, int], consumed: int, instructions: Sequence[Instruction] = ()) -> int:
        """The limit for a simulated cost: with the configured margin, and remembered for the shape
        (the largest seen). A cost above any plausible one for ``instructions`` (``compute_budget.ceiling``:
        a faulty or hostile endpoint) is not believed: the limit is then the instructions' worst case
        (``compute_budget.floor``), and nothing is remembered."""
        program_id = _program_of(instructions)
        most = compute_budget.ceiling(instructions, program_id) if instructions else None
        if most is not None and consumed > most:
            self.outliers += 1
            self._warn("outlier", "simulation reported %d compute units for %s, beyond the plausible %d: not believed",
                       consumed, shape[0], most)
            cached = self.units_by_shape.get(shape)
            floor = compute_budget.floor(instructions, program_id)
            return min(self.fees.max_compute_units, max(floor, cached or 0))
        units = min(self.fees.max_compute_units,
                    math.ceil((consumed + BUDGET_INSTRUCTION_UNITS) * self.fees.compute_unit_margin))
        self.units_by_shape[shape] = max(units, self.units_by_shape.get(shape, 0))
        return self.units_by_shape[shape]


    def _sign(self, action: Action, units: int, price: int, blockhash: Any) -> VersionedTransaction:
        budget = [set_compute_unit_limit(units)] + ([set_compute_unit_price(price)] if price else [])
        msg = MessageV0.try_compile(self.payer.pubkey(), budget + list(action.instructions), [], blockhash)
        signers = [self.payer] + [s for s in action.signers if s.pubkey() != self.payer.pubkey()]
        return VersionedTransaction(msg, signers)

    async def _latest_blockhash(self, urgent: bool = False) -> Blockhash:
        """The cached blockhash, fetched again after ``blockhash_ttl_s``. An urgent action does not wait for
        that fetch while the cached one is younger than ``URGENT_BLOCKHASH_AGE_S`` (still valid for most of
        its lifetime): it is refreshed in the background instead."""
        now = self.clock.monotonic()
        if self._blockhash is not None and now - self._blockhash[0] > self.blockhash_ttl_s:
            if urgent and now - self._blockhash[0] < URGENT_BLOCKHASH_AGE_S:
                self._in_background("blockhash", self._refresh_blockhash())
                return self._blockhash[1]
        if self._blockhash is None or now - self._blockhash[0] > self.blockhash_ttl_s:
            await self._refresh_blockhash()
        assert self._blockhash is not None
        return self._blockhash[1]

    async def _refresh_blockhash(self) -> None:
        self._blockhash = (self.clock.monotonic(), await self.chain.get_latest_blockhash())

    def _in_background(self, name: str, work: Any) -> None:
        """Run the coroutine ``work`` as a background task named ``name`` unless one by that name runs (then
        close it unstarted); never as an urgent request (the context var is reset in the task)."""
        if any(t.get_name() == name for t in self._background):
            work.close()
            return

        async def run() -> None:
            URGENT.set(False)
            try:
                await work
            except ChainError as e:
                log.info("background %s failed: %s", name, e)

        task = asyncio.create_task(run(), name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _fees(self, action: Action) -> list[int]:
        """Recent fees paid by transactions locking the accounts ``action`` writes (cached for ``fee_ttl_s``).

        An urgent action does not wait for a fetch: without a fresh figure for its accounts it takes the
        newest figure fetched for any accounts (or none: the floor) and its own is fetched in the background.
        """
        writable = sorted({m.pubkey for i in action.instructions for m in i.accounts if m.is_writable}, key=bytes)
        key = tuple(writable)
        cached = self._recent_fees.get(key)
        if cached is not None and self.clock.monotonic() - cached[0] <= self.fee_ttl_s:
            return cached[1]
        if action.urgent:
            self._in_background(f"fees:{hash(key)}", self._fetch_fees(key))
            return cached[1] if cached is not None else self._newest_fees
        return await self._fetch_fees(key)

    async def _fetch_fees(self, key: tuple[Pubkey, ...]) -> list[int]:
        try:
            fees = await self.chain.get_recent_prioritization_fees(list(key))
        except ChainError as e:  # fees are advisory: fall back to the floor rather than not acting
            log.warning("recent prioritization fees unavailable: %s", e)
            return []
        if len(self._recent_fees) >= MAX_FEE_CACHE:
            self._recent_fees.clear()
        self._recent_fees[key] = (self.clock.monotonic(), fees)
        self._newest_fees = fees
        return fees

    def _reached(self, status: SignatureStatus | None) -> bool:
        return status is not None and _COMMITMENT_RANK.get(status.commitment, 0) >= _COMMITMENT_RANK.get(self.commitment, 1)

    async def _send_and_confirm(self, tx: VersionedTransaction, last_valid: int) -> SignatureStatus | None:
        """Send ``tx`` and wait for it; resend until its blockhash expires. None when it expired unseen."""
        signature = tx.signatures[0]
        loop = asyncio.get_running_loop()
        pushed: asyncio.Future[SignatureStatus] = loop.create_future()

        def on_status(_: Signature, status: SignatureStatus) -> None:
            if not pushed.done():
                pushed.set_result(status)

        sub = None
        self.poller.watch(signature)
        try:
            try:
                sub = self.chain.on_signature(signature, on_status)
            except ChainError as e:
                log.debug("signature subscription unavailable (%s); polling only", e)
            deadline = self.clock.monotonic() + self.max_confirm_s
            next_send = self.clock.monotonic()
            seen: SignatureStatus | None = None
            while self.clock.monotonic() < deadline:
                if self.clock.monotonic() >= next_send:
                    # A send no endpoint took (the chain gave up its retries) is tried again at the next
                    # poll, not after a whole resend interval: until one is taken, nothing can land.
                    sent = await self._send(tx)
                    next_send = self.clock.monotonic() + (self.resend_s if sent else min(self.poll_s, self.resend_s))
                round_done = asyncio.ensure_future(self.poller.next_round(self.resend_s))
                await asyncio.wait([pushed, round_done], return_when=asyncio.FIRST_COMPLETED)
                round_done.cancel()
                if pushed.done():
                    status = pushed.result()
                    if status.err is not None or self.commitment == "processed":
                        return status
                    seen = status
                polled = self.poller.statuses.get(signature)
                if polled is not None:
                    if polled.err is not None or self._reached(polled):
                        return polled
                    seen = polled
                height = self.poller.block_height
                if seen is None and height is not None and height > last_valid:
                    await self.poller.next_round(self.resend_s)  # one last look: it may have landed at the edge
                    return self.poller.statuses.get(signature)
            return seen
        finally:
            self.poller.unwatch(signature)
            if sub is not None:
                sub.close()

    def _remember(self, signature: Signature, last_valid_block_height: int) -> None:
        """Remember a signature just signed; forget those whose blockhash has expired (and the oldest beyond
        MAX_REMEMBERED_SIGNATURES)."""
        signed = self._signed
        signed[signature] = last_valid_block_height
        expired_below = last_valid_block_height - BLOCKHASH_LIFETIME_BLOCKS
        while signed and (len(signed) > MAX_REMEMBERED_SIGNATURES or next(iter(signed.values())) < expired_below):
            signed.popitem(last=False)

    def _fenced(self, signature: Signature) -> Fenced:
        """Count and log (rate-limited) a send refused for a lost lease; the exception to raise."""
        if self.metrics is not None:
            self.metrics.fenced_send()
        self._warn("fenced", "not sending %s: this process no longer holds the lease", signature)
        return Fenced(str(signature))

    async def _send(self, tx: VersionedTransaction) -> bool:
        """Send ``tx``; False when no endpoint took it. Raises ``Fenced`` when the lease is lost."""
        if not self.may_send():
            raise self._fenced(tx.signatures[0])
        try:
            await self.chain.send(tx)
            self.sends += 1
            return True
        except ChainError as e:  # the next resend or the status poll decides
            log.info("send of %s failed: %s", tx.signatures[0], e)
            return False

    async def _recover_one(self, entry: Any, lock: Lock) -> None:
        signature = Signature.from_string(entry.signature)
        tx = _stored_transaction(entry, signature)
        self.poller.watch(signature, search_history=True)  # it may be older than the recent status cache
        try:
            deadline = self.clock.monotonic() + self.max_confirm_s
            next_send = self.clock.monotonic()
            while self.clock.monotonic() < deadline:
                if tx is not None and self.clock.monotonic() >= next_send:
                    # Unknown or not yet final: sending the same bytes again is harmless (one signature,
                    # landed at most once) and saves the wait when the first send never arrived.
                    try:
                        await self._send(tx)
                    except Fenced:
                        return  # the new lease holder resolves the row
                    next_send = self.clock.monotonic() + self.resend_s
                await self.poller.next_round(self.resend_s)
                status = self.poller.statuses.get(signature)
                if status is not None and (status.err is not None or self._reached(status)):
                    if status.err is None:
                        self.journal.record_outcome(entry.id, Status.LANDED, slot=status.slot)
                        self._landed_at[lock] = (status.slot, self.clock.monotonic(), lock[1])
                    else:
                        name, verdict = classify(status.err)
                        self.journal.record_outcome(entry.id, journal_status(ActionStatus.FAILED, verdict), error=name,
                                                    slot=status.slot)
                    return
                height = self.poller.block_height
                if status is None and height is not None and height > (entry.last_valid_block_height or 0):
                    self.journal.record_outcome(entry.id, Status.EXPIRED, error="blockhash expired (found on restart)")
                    return
        finally:
            self.poller.unwatch(signature)
            self.in_flight.pop(lock, None)

    def _finish(self, action_id: int, r: ActionResult) -> None:
        a = r.action
        expected = r.expected
        status = ActionStatus.EXPECTED if expected else r.status
        self.outcomes[(a.kind, status)] += 1
        if r.status is ActionStatus.LANDED and r.slot is not None:
            for lock in a.held:
                self._landed_at[lock] = (r.slot, self.clock.monotonic(), a.target)
        if a.basis is not None:
            for lock in a.held:
                self._refused.pop(lock, None)
                if expected or (r.status is ActionStatus.FAILED and r.verdict is Verdict.SKIP):
                    self._refused[lock] = a.basis
            while len(self._refused) > MAX_REFUSED_BASES:
                self._refused.popitem(last=False)
        error = f"dry run: {r.compute_units} CU" if r.status is ActionStatus.DRY_RUN else r.error
        self.journal.record_outcome(action_id, journal_status(r.status, r.verdict), error=error, slot=r.slot,
                                    compute_units=r.compute_units or None, fee_lamports=r.fee_lamports or None)
        extra = {"bot": a.bot, "kind": a.kind, "target": str(a.target), "signature": str(r.signature) if r.signature else None,
                 "status": status, "error": r.error, "latency_ms": round(r.latency_s * 1000, 1)}
        if self.metrics is not None:
            if r.status is ActionStatus.LANDED:
                self.metrics.landed(a.bot, a.kind, r.latency_s, r.compute_units, r.fee_lamports)
            elif r.status in _UNLANDED and not expected:
                self.metrics.failed(a.bot, a.kind, r.error or r.status, r.latency_s, r.fee_lamports or None)
                if r.verdict is Verdict.ALERT:
                    self.metrics.alert(a.bot, r.error or r.status)
        if r.status is ActionStatus.LANDED:
            log.info("%s landed", a.kind, extra=extra)
        elif expected:
            log.debug("%s not done: %s", a.kind, r.error, extra=extra)
        elif r.verdict is Verdict.ALERT:
            log.error("%s failed: %s", a.kind, r.error, extra=extra)
        elif r.status in _UNLANDED:
            log.info("%s %s: %s", a.kind, r.status, r.error, extra=extra)


class _JournalRow:
    """The journal row of one attempt, written as late as safety allows: on the hot path (no
    simulation) intent and signature go in one write, just before the send."""

    def __init__(self, journal: Any, action: Action, submitted_at: float, instance: str | None = None) -> None:
        self.journal, self.action = journal, action
        # When the pipeline got the action: with the row's sent_at and the landing slot, where an action's
        # time went (planning before it, simulation, fees and blockhash up to the send, then the chain).
        self.detail = {**action.detail, "submitted_at": round(submitted_at, 3)}
        if instance is not None:
            self.detail["by"] = instance
        self._id: int | None = None

    def id(self, signature: str | None = None, last_valid_block_height: int | None = None) -> int:
        if self._id is None:
            a = self.action
            self._id = self.journal.record_intent(a.key, a.bot, a.kind, str(a.target), self.detail, signature,
                                                  last_valid_block_height)
        return self._id

    def sent(self, signature: str, last_valid_block_height: int, tx: bytes | None = None) -> None:
        if self._id is None:
            a = self.action
            self._id = self.journal.record_intent(a.key, a.bot, a.kind, str(a.target), self.detail, signature,
                                                  last_valid_block_height, tx)
        elif not self.journal.record_sent_if_pending(self._id, signature, last_valid_block_height, tx):
            raise Fenced(f"journal row {self._id} was closed by another process")


def _program_of(instructions: Iterable[Instruction]) -> Pubkey | None:
    """The program the instructions (other than compute-budget ones) call first, if any."""
    return next((i.program_id for i in instructions if i.program_id != compute_budget.COMPUTE_BUDGET_PROGRAM), None)


def _shape(action: Action) -> tuple[str, int, int]:
    return action.kind, len(action.instructions), sum(len(i.accounts) for i in action.instructions)


_UNLANDED = (ActionStatus.FAILED, ActionStatus.EXPIRED)


def _stored_transaction(entry: Any, signature: Signature) -> VersionedTransaction | None:
    """The signed transaction a journal row holds, when it holds one that matches its signature."""
    raw = getattr(entry, "tx", None)
    if not raw:
        return None
    try:
        tx = VersionedTransaction.from_bytes(raw)
    except ValueError:
        log.warning("journal row %s holds an unreadable transaction: waiting for its status instead", entry.id)
        return None
    return tx if tx.signatures and tx.signatures[0] == signature else None


def journal_status(status: ActionStatus, verdict: Verdict | None) -> Status:
    """The journal's status for a finished outcome (landed, failed, expired or dry_run): SKIPPED closes
    the intent for good (not retried under its key)."""
    if status is ActionStatus.DRY_RUN or (status is ActionStatus.FAILED and verdict in (Verdict.SKIP, Verdict.ALERT)):
        return Status.SKIPPED
    return Status(status.value)


__all__ = ["Action", "ActionResult", "ActionStatus", "Fenced", "Lock", "TxPipeline", "fee_lamports", "journal_status",
           "priority_price"]
