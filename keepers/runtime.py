"""The keeper runtime: one process, one chain, one cache, one pipeline, the bots.

``Keeper`` wires the pieces the same way for every chain (``RpcChain`` for a cluster,
``InProcessChain`` for the simulator and the embedded demo):

1. snapshot every perp account (``getProgramAccounts``) into the cache, then follow the program's
   account changes by subscription;
2. follow every market's oracle accounts and the Clock sysvar (re-read at each new slot, and polled
   only while the slot notifications of a chain that can lose them are quiet);
3. resolve the actions a previous run left unfinished (the journal), before any bot acts;
4. run the bots, each woken by the changes it cares about (and by the Clock reaching the chain time its
   next work falls due): a keeper does no work while the chain stands still;
5. serve ``/metrics`` and ``/health`` and keep the SOL balance gauge current; ``/health`` also fails
   when the keeper stops making progress (``keepers.observability.progress``, limits in ``[health]``).

A keeper can start as a standby (``start(active=False)``): steps 1, 2 and 5 only, sending nothing;
``activate`` then does 3 and 4, ``deactivate`` stops the bots and drops the pipeline's in-memory state
(a fresh pipeline and bots, ready for the next activation), ``drain`` lets in-flight actions finish
first. ``keepers.ha.coordinator`` drives these from a lease; ``fence`` (the lease's ``valid``) is checked
before every send. ``apply_config`` takes a reloaded configuration's live sections (``keepers.reload``).

A subscription delivery the cache cannot apply (an account of another program, no data, a read older
than the cached one, data that does not decode) is refused, counted by reason
(``perpkeep_rejected_updates_total``, one log line per interval) and replaced by a read of the account
over HTTP: a lost update of a market must not leave the bots planning from stale state until the next
notification, which may never come (no crank, no change).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from solana.constants import LAMPORTS_PER_SOL
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.bots.base import Bot, ChainClock, KeeperContext
from keepers.bots.funding import FundingBot, funded, funding_rate, next_funding_ts
from keepers.bots.insurance import InsuranceBot
from keepers.bots.liquidator import LiquidatorBot
from keepers.bots.mark_price import MarkPriceBot, oracle_accounts
from keepers.bots.trigger import TriggerBot
from keepers.bots.settler import SettlerBot
from keepers.strategies.market_maker.bot import MarketMakerBot
from keepers.strategies.arbitrage.bot import ArbitrageBot
from keepers.cache import AccountCache
from keepers.chain.base import AccountData, Chain, ChainError, Subscription
from keepers.clock import LIVE, Clock
from keepers.heap import HEAP_TRIM_S, trim_heap
from keepers.config import Config, ConfigError
from keepers.execution.journal import JOURNAL_ERROR_REASONS, Journal, JournalError
from keepers.log_limit import CountedLog
from keepers.observability.metrics import Health, Metrics, ObservabilityServer
from keepers.observability.progress import late_funding, silent_streams, stale_prices
from keepers.exchange.oracles import RawAccount
from keepers.execution.pipeline import TxPipeline
from programs_client.perp.constants import BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION

log = logging.getLogger("perpkeep.runtime")

SYSVAR_CLOCK = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")
BOT_CLASSES: dict[str, type[Bot]] = {
    "mark_price": MarkPriceBot, "funding": FundingBot, "liquidator": LiquidatorBot, "settler": SettlerBot,
    "insurance": InsuranceBot, "trigger": TriggerBot, "market_maker": MarketMakerBot, "arbitrage": ArbitrageBot,
}
ALL_BOTS = tuple(BOT_CLASSES)
WATCHDOG_FACTOR = 10.0  # a bot is stale when a tick has not finished after this many intervals
MIN_WATCHDOG_S = 30.0
BALANCE_REFRESH_S = 15.0
CLOCK_POLL_S = 1.0  # the Clock is polled this long after the last slot notification (``slots_can_stop``)
JOURNAL_CHECKPOINT_S = 10.0
JOURNAL_PRUNE_BATCH = 1000  # finished actions deleted per housekeeping pass (one short write, ~ms)
JOURNAL_RECLAIM_PAGES = 2000  # free pages (8 MB) handed back per pass
PAUSE_ATTEMPTS, PAUSE_RETRY_S = 100, 0.05  # ``pause_bot`` cancels a bot's loop again until it ends
REFETCH_ATTEMPTS = 5  # reads of refused accounts, each after CLOCK_POLL_S, before waiting for the next change
# Counters of ``RpcChain`` exported as ``perpkeep_rpc_faults_total{kind}`` (other chains have none).
CHAIN_FAULT_COUNTERS = {"deadline missed": "deadlines_missed", "oversized reply": "oversized_replies",
                        "malformed account skipped": "skipped_accounts", "implausible slot": "implausible_slots"}
# Counters of ``RpcChain`` exported as ``perpkeep_rpc_{requests,rate_limited,retries}_total``.
CHAIN_REQUEST_COUNTERS = ("requests", "rate_limited", "retries")


def decode_clock(data: bytes) -> tuple[int, int]:
    """(slot, unix_timestamp) of the Clock sysvar's data."""
    if len(data) < 40:
        raise ValueError(f"clock sysvar data is {len(data)} bytes, expected 40")
    return int.from_bytes(data[0:8], "little"), int.from_bytes(data[32:40], "little", signed=True)


def bot_interval_s(name: str, config: Config) -> float:
    """A bot's period for work it repeats (see each bot) and the base of its watchdog timeout."""
    bots = config.bots
    return {
        "mark_price": min(bots.mark_price.heartbeat_s / 4, 5.0), "funding": bots.funding.poll_s,
        "liquidator": bots.liquidator.interval_s, "settler": bots.settler.interval_s,
        "insurance": bots.insurance.interval_s, "trigger": bots.trigger.interval_s,
        "market_maker": bots.market_maker.interval_s, "arbitrage": bots.arbitrage.interval_s,
    }[name]


@dataclass
class KeeperStats:
    """What the runtime saw, for the status view and tests."""

    snapshot_accounts: int = 0
    account_updates: int = 0
    oracle_updates: int = 0
    slots_seen: int = 0
    recovered_actions: int = 0
    refetched_accounts: int = 0  # refused deliveries read again over HTTP


class Keeper:
    """A running keeper (see the module docstring). ``start``, then ``stop``; or ``run`` until a stop event."""

    def __init__(
        self,
        config: Config,
        chain: Chain,
        keypair: Keypair,
        bots: Sequence[str] | None = None,
        journal: Journal | None = None,
        metrics: Metrics | None = None,
        serve_http: bool = True,
        clock: Clock = LIVE,
        pipeline_options: dict | None = None,
        fence: Callable[[], bool] | None = None,
        instance: str | None = None,
    ) -> None:
        self.config = config
        self.chain = chain
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.health = Health(clock=clock)
        self.journal = journal or Journal(config.keeper.journal_path, clock=clock,
                                          synchronous=config.keeper.journal_synchronous)
        self.journal.listen(self._on_journal_error)
        self.metrics.expect_journal_errors(JOURNAL_ERROR_REASONS)
        self.fatal: JournalError | None = None  # a journal that cannot be written: the keeper stops
        self.program_id = config.program.program_id
        self.cache = AccountCache(self.program_id)
        self.keypair = keypair
        self._pipeline_options = dict(pipeline_options or {}, fence=fence, instance=instance)
        self.pipeline = self._make_pipeline()
        kept = frozenset(m.index for m in config.markets) or None
        self.ctx = KeeperContext(chain, self.cache, self.pipeline, keypair, self.program_id, self.metrics, self.health,
                                 ChainClock(), kept=kept)
        self.bots: dict[str, Bot] = {}
        for name in bots or config.keeper.bots:
            if name not in BOT_CLASSES:
                raise ValueError(f"unknown bot {name!r} (known: {', '.join(ALL_BOTS)})")
        self._make_bots(tuple(bots or config.keeper.bots))
        self.stats = KeeperStats()
        self.server: ObservabilityServer | None = None
        self.console: Any = None  # keepers.console.server.ConsoleServer when [console] is enabled
        self.serve_http = serve_http
        self._stop = asyncio.Event()
        self._subs: list[Subscription] = []
        self._oracle_subs: dict[Pubkey, Subscription] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._bot_tasks: list[asyncio.Task[None]] = []
        self._bots_stop = asyncio.Event()  # set to end this activation's bot loops
        self.active = False  # the bots run and the pipeline may send (``activate``)
        self._clock_refresh: asyncio.Task[None] | None = None
        self._slot_seen_at = clock.monotonic()
        self._slot_seen = asyncio.Event()  # wakes housekeeping
        self._started = False
        self.refused = CountedLog(log, "account updates refused (read again over HTTP)")
        self._refetch_keys: set[Pubkey] = set()
        self._refetch_task: asyncio.Task[None] | None = None
        self._exported: dict[tuple[str, str], int] = {}  # chain counters already added to metrics
        self._started_ts = 0

    def _make_pipeline(self) -> TxPipeline:
        # The pipeline holds a target after an action on it landed until the cache has seen the result.
        return TxPipeline(self.chain, self.keypair, self.journal, self.metrics, self.config.fees,
                          self.config.cluster.commitment, dry_run=self.config.keeper.dry_run, clock=self.clock,
                          state_slot=self.cache.slot_of, **self._pipeline_options)

    def _make_bots(self, names: tuple[str, ...]) -> None:
        self.bots = {name: self._make_bot(name) for name in names}
        self._wake_order = sorted(self.bots.values(), key=lambda b: b.wake_priority)

    def _make_bot(self, name: str) -> Bot:
        section = getattr(self.config.bots, name)
        bot = BOT_CLASSES[name](self.ctx, section, bot_interval_s(name, self.config), self.clock)
        if isinstance(bot, LiquidatorBot | TriggerBot | MarketMakerBot | ArbitrageBot):
            bot.set_own_account(self.config.keeper.sub_id)
        self.health.register(name, max(MIN_WATCHDOG_S, WATCHDOG_FACTOR * bot.interval_s))
        return bot

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self, active: bool = True) -> None:
        """Snapshot, subscribe and start the HTTP endpoint; then, when ``active``, ``activate``."""
        if self._started:
            return
        self._started = True
        if self.serve_http and self.config.metrics.enabled:
            self.server = ObservabilityServer(self.metrics, self.health, self.config.metrics.host, self.config.metrics.port)
            await self.server.start()
            log.info("metrics and health on http://%s:%d", self.config.metrics.host, self.server.port)
        if self.serve_http and self.config.console.enabled:  # the operator console (keepers.console)
            from keepers.console.server import ConsoleServer

            self.console = ConsoleServer(self)
            await self.console.start()
        await self.refresh_clock()
        await self.snapshot()
        self.check_markets()
        self._subs.append(self.chain.on_program(self.program_id, self._on_account))
        self._subs.append(self.chain.on_slot(self._on_slot))
        self.cache.subscribe(self._on_cache_change)
        await self.follow_oracles()
        self._started_ts = self.ctx.clock.unix_timestamp  # progress is judged from here on
        self.ctx.progress.expect("slot", self.ctx.clock.slot)
        if self._oracle_subs:
            self.ctx.progress.expect("oracle", self.ctx.clock.slot)
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        if active:
            await self.activate()
        log.info("keeper started%s: bots %s, %d accounts, slot %d", "" if active else " as standby",
                 ", ".join(self.bots), self.stats.snapshot_accounts, self.ctx.clock.slot)

    async def activate(self) -> None:
        """Resolve what the journal holds unfinished (a previous run's, or the former lease holder's), then
        start the bots."""
        if self.active:
            return
        self.active = True
        self.stats.recovered_actions = await self.pipeline.recover()
        if self.stats.recovered_actions:
            log.info("resuming: %d unfinished actions from the journal", self.stats.recovered_actions)
        self._bots_stop = asyncio.Event()
        for name, bot in self.bots.items():
            self._bot_tasks.append(asyncio.create_task(bot.run(self._bots_stop), name=f"bot-{name}"))

    async def _stop_bots(self) -> None:
        # The event as well as the cancellation: a cancellation that meets a completing ``wait_for`` can be
        # lost (Python 3.11), and the loop then ends at its next check of the event.
        self._bots_stop.set()
        for bot in self.bots.values():
            bot.wake()
        for task in self._bot_tasks:
            task.cancel()
        await asyncio.gather(*self._bot_tasks, return_exceptions=True)
        self._bot_tasks.clear()

    async def pause_bot(self, name: str) -> bool:
        """Stop one bot's loop, as if that bot were down (the simulator's keeper outages); the rest of the
        keeper runs on. ``resume_bot`` starts it again. False when it was not running."""
        task = next((t for t in self._bot_tasks if t.get_name() == f"bot-{name}"), None)
        if task is None:
            return False
        self._bot_tasks.remove(task)
        # Cancelled again until it ends: a cancellation that meets a completing ``wait_for`` can be lost
        # (Python 3.11), and a bot that asked for an immediate re-tick would then loop on (see ``_stop_bots``).
        for _ in range(PAUSE_ATTEMPTS):
            task.cancel()
            await asyncio.wait({task}, timeout=PAUSE_RETRY_S)
            if task.done():
                break
        else:
            log.error("bot %s did not stop after %d cancellations", name, PAUSE_ATTEMPTS)
        await asyncio.gather(task, return_exceptions=True)
        return True

    def bot_running(self, name: str) -> bool:
        """Whether ``name``'s loop runs (not paused, not a standby)."""
        return any(t.get_name() == f"bot-{name}" and not t.done() for t in self._bot_tasks)

    def resume_bot(self, name: str) -> bool:
        """Start again a bot ``pause_bot`` stopped (while the keeper is active); False when it already runs."""
        if not self.active or name not in self.bots or any(t.get_name() == f"bot-{name}" for t in self._bot_tasks):
            return False
        self._bot_tasks.append(asyncio.create_task(self.bots[name].run(self._bots_stop), name=f"bot-{name}"))
        return True

    async def drain(self, timeout_s: float) -> bool:
        """Refuse new actions and wait (at most ``timeout_s``) for those in flight; True when none is left."""
        self.pipeline.draining = True
        deadline = self.clock.monotonic() + timeout_s
        while self.pipeline.in_flight and self.clock.monotonic() < deadline:
            await self.clock.sleep(0.05)
        return not self.pipeline.in_flight

    async def deactivate(self) -> None:
        """Stop the bots and the pipeline; a fresh pipeline and fresh bots wait for the next ``activate``."""
        if not self.active:
            return
        self.active = False
        await self._stop_bots()
        for bot in self.bots.values():
            await bot.close()
        await self.pipeline.close()
        self.pipeline = self.ctx.pipeline = self._make_pipeline()
        self._make_bots(tuple(self.bots))
        for name in ("prices_stale", "funding_behind", "liquidations_stalled"):
            self.health.set_problem(name, None)  # a standby's progress is the active one's

    @property
    def standby(self) -> bool:
        """Started without acting (``start(active=False)``, or after ``deactivate``)."""
        return self._started and not self.active

    def apply_config(self, config: Config) -> None:
        """Take ``config`` as the running configuration: its bot settings, fees and health limits apply from
        the next tick (``keepers.reload`` decides which sections may change)."""
        self.config = config
        self.pipeline.fees = config.fees
        for name, bot in self.bots.items():
            bot.config = getattr(config.bots, name)
            bot.interval_s = bot_interval_s(name, config)
            self.health.register(name, max(MIN_WATCHDOG_S, WATCHDOG_FACTOR * bot.interval_s))
            bot.wake()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Start, wait for ``stop`` (or ``self.request_stop()``), then stop. Raises the journal's
        ``JournalError`` when the keeper stopped because its journal could not be written."""
        try:
            await self.start()
            waiters = [asyncio.create_task(self._stop.wait())]
            if stop is not None:
                waiters.append(asyncio.create_task(stop.wait()))
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
        finally:
            await self.stop()
        if self.fatal is not None:
            raise self.fatal

    def _on_journal_error(self, error: JournalError) -> None:
        """Count a failed journal write; on a fatal failure (full disk, corrupt file, I/O error) stop the
        keeper: acting without a record would repeat or forget work after a restart."""
        if error.op != "read":
            self.metrics.journal_write_error(error.reason)
        if error.fatal and self.fatal is None:
            self.fatal = error
            log.error("stopping: %s", error)
            self.health.set_problem("journal", str(error))
            self.request_stop()

    def request_stop(self) -> None:
        """Ask ``run`` to stop (safe from signal handlers)."""
        self._stop.set()

    async def stop(self) -> None:
        """Stop the bots, subscriptions, pipeline, HTTP endpoint and journal (idempotent)."""
        self._stop.set()
        await self._stop_bots()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.active = False
        for bot in self.bots.values():
            await bot.close()
        await self.pipeline.close()
        for sub in [*self._subs, *self._oracle_subs.values()]:
            sub.close()
        self._subs.clear()
        self._oracle_subs.clear()
        for task in (self._clock_refresh, self._refetch_task):
            if task is not None:
                task.cancel()
        if self.console is not None:
            await self.console.stop()
            self.console = None
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self._started:
            log.info("keeper stopped: journal %s", self.journal.counts() if self.journal.fatal is None else "unusable")
            self._started = False
        self.journal.close()

    # -- state --------------------------------------------------------------------------------------
    def check_markets(self) -> None:
        """Refuse ``[[markets]]`` entries the chain does not have (raises ``ConfigError``)."""
        for i, m in enumerate(self.config.markets):
            key = f"markets[{i}]"
            if m.index not in self.cache.markets:
                on_chain = ", ".join(map(str, sorted(self.cache.markets))) or "none"
                raise ConfigError(f"{key}.index: market {m.index} is not on chain (markets there: {on_chain})",
                                  f"{key}.index")
            if m.address is not None and m.address != self.cache.market_address(m.index):
                raise ConfigError(f"{key}.address: {m.address} is not market {m.index} "
                                  f"(that is {self.cache.market_address(m.index)})", f"{key}.address")

    async def snapshot(self) -> None:
        """Load every perp account into the cache."""
        accounts = await self.chain.get_program_accounts(self.program_id)
        for acc in accounts:
            self.cache.apply(acc)
        self.stats.snapshot_accounts = len(accounts)
        # The snapshot's objects live as long as the process. Freezing them keeps the collector's full
        # passes from walking them: with 10k users those passes paused the liquidation path for ms.
        del accounts
        gc.collect()
        gc.freeze()

    async def refresh_clock(self) -> None:
        """Re-read the Clock sysvar."""
        acc = await self.chain.get_account(SYSVAR_CLOCK)
        if acc is None:
            raise ChainError("the Clock sysvar is missing")
        try:
            slot, ts = decode_clock(acc.data)
        except ValueError as e:
            raise ChainError(str(e)) from None
        if slot > acc.slot + self.config.cluster.max_slot_lead:  # a clock far ahead of the read that returned it
            raise ChainError(f"the Clock sysvar says slot {slot}, read at slot {acc.slot}: not believed")
        c = self.ctx.clock
        if slot >= c.slot:
            moved = ts != c.unix_timestamp
            c.slot, c.unix_timestamp = slot, ts
            if moved:
                for bot in self.bots.values():
                    bot.wake("clock")

    def unfollowed_oracles(self) -> list[Pubkey]:
        """Oracle accounts of cached markets that have no subscription yet."""
        wanted = []
        for market in self.cache.markets.values():
            primary, fallback = oracle_accounts(market)
            wanted += [k for k in (primary, fallback) if k is not None and k not in self._oracle_subs]
        return list(dict.fromkeys(wanted))

    async def follow_oracles(self) -> None:
        """Subscribe to (and read) the oracle accounts of every cached market not followed yet."""
        wanted = self.unfollowed_oracles()
        if not wanted:
            return
        for key in wanted:
            self._oracle_subs[key] = self.chain.on_account(key, self._on_oracle)
        for acc in await self.chain.get_accounts(wanted):
            if acc is not None:
                self._on_oracle(acc)

    # -- callbacks ----------------------------------------------------------------------------------
    def _on_account(self, acc: AccountData) -> None:
        self.stats.account_updates += 1
        reason = self.cache.refusal(acc)
        if reason is None and self.cache.apply(acc) is None:
            reason = "malformed data"
        if reason is not None:
            self.refuse(acc, reason)

    def refuse(self, acc: AccountData, reason: str) -> None:
        """Count and log (rate-limited) a refused delivery of ``acc``, and read the account again over HTTP."""
        self.refused.note(reason, f"{acc.pubkey} at slot {acc.slot}")
        self.metrics.rejected_update(reason)
        self._refetch_keys.add(acc.pubkey)
        if self._refetch_task is None or self._refetch_task.done():
            self._refetch_task = asyncio.get_running_loop().create_task(self._refetch(), name="refetch")

    async def _refetch(self) -> None:
        """Read the refused accounts over HTTP (batched) and apply what the cache accepts."""
        failures = 0
        while self._refetch_keys and failures < REFETCH_ATTEMPTS:
            keys = list(self._refetch_keys)
            self._refetch_keys.clear()
            try:
                accounts = await self.chain.get_accounts(keys)
            except ChainError as e:
                failures += 1
                self._refetch_keys.update(keys)
                log.info("reading %d refused accounts again failed (%s)", len(keys), e)
                await self.clock.sleep(CLOCK_POLL_S)
                continue
            self.stats.refetched_accounts += len(keys)
            for key, acc in zip(keys, accounts, strict=True):
                if acc is not None:
                    self.cache.apply(acc)
                elif self.cache.get(key) is not None:  # closed for real
                    self.cache.apply(AccountData(key, self.program_id, 0, b"", self.ctx.clock.slot))
        self._refetch_keys.clear()

    def _on_cache_change(self, kind: str, pubkey: Pubkey) -> None:
        if kind == "user":
            self.ctx.progress.touched(pubkey, self.cache.slot_of(pubkey) or self.ctx.clock.slot)
        for bot in self._wake_order:
            bot.wake(kind)
        if kind == "market" and self.unfollowed_oracles():  # a new market, or one that changed its oracles
            asyncio.get_running_loop().create_task(self._follow_new_oracles())

    async def _follow_new_oracles(self) -> None:
        try:
            await self.follow_oracles()
        except ChainError as e:
            log.warning("could not follow new oracle accounts: %s", e)

    def _on_oracle(self, acc: AccountData) -> None:
        self.stats.oracle_updates += 1
        self.ctx.oracles[acc.pubkey] = RawAccount(acc.pubkey, acc.owner, acc.data)
        self.ctx.progress.heard("oracle", self.ctx.clock.slot)
        for bot in self._wake_order:
            bot.wake("oracle")

    def _on_slot(self, slot: int) -> None:
        self.stats.slots_seen += 1
        self._slot_seen_at = self.clock.monotonic()
        self._slot_seen.set()
        if slot > self.ctx.clock.slot:
            self.ctx.clock.slot = slot
        self.ctx.progress.heard("slot", self.ctx.clock.slot)
        if self._clock_refresh is None or self._clock_refresh.done():
            self._clock_refresh = asyncio.get_running_loop().create_task(self._refresh_clock_quietly())

    async def _refresh_clock_quietly(self) -> None:
        try:
            await self.refresh_clock()
        except ChainError as e:
            log.debug("clock refresh failed: %s", e)

    async def _housekeeping(self) -> None:
        """Until stopped, after each slot: checkpoint the journal (at most every ``JOURNAL_CHECKPOINT_S``),
        refresh the SOL balance (at most every ``BALANCE_REFRESH_S``), give the C heap's free pages back
        (every ``HEAP_TRIM_S``, ``keepers.heap``) and count websocket reconnects; on a
        chain whose slot notifications can stop (``slots_can_stop``: a dropped websocket), also every
        ``CLOCK_POLL_S`` without one, polling the Clock then. While the chain stands still, nothing changes."""
        polls_clock = getattr(self.chain, "slots_can_stop", True)
        next_balance = next_checkpoint = self.clock.monotonic()
        next_compaction = self.clock.monotonic() + self.config.keeper.journal_compact_interval_s
        next_trim = self.clock.monotonic() + HEAP_TRIM_S
        reconnects = 0
        while not self._stop.is_set():
            self._slot_seen.clear()
            if polls_clock and self.clock.monotonic() - self._slot_seen_at >= CLOCK_POLL_S:
                await self._refresh_clock_quietly()
            now_reconnects = getattr(self.chain, "reconnects", 0)  # RpcChain counts its websocket reconnects
            for _ in range(now_reconnects - reconnects):
                self.metrics.rpc_reconnected()
            reconnects = now_reconnects
            self.export_chain_counters()
            self.check_progress()
            self.export_state()
            try:
                if self.clock.monotonic() >= next_compaction and not self.pipeline.in_flight:
                    more = self.compact_journal()
                    next_compaction = self.clock.monotonic() + (0 if more else self.config.keeper.journal_compact_interval_s)
                if self.clock.monotonic() >= next_checkpoint:
                    next_checkpoint = self.clock.monotonic() + JOURNAL_CHECKPOINT_S
                    self.journal.checkpoint()
            except JournalError as e:  # counted (and a fatal one stops the keeper) by _on_journal_error
                if not e.fatal:
                    log.warning("journal housekeeping: %s", e)
            if self.clock.monotonic() >= next_trim:
                next_trim = self.clock.monotonic() + HEAP_TRIM_S
                trim_heap()
            if self.clock.monotonic() >= next_balance:
                next_balance = self.clock.monotonic() + BALANCE_REFRESH_S
                try:
                    self.check_balance(await self.chain.get_balance(self.ctx.authority))
                except ChainError as e:
                    log.debug("balance refresh failed: %s", e)
            try:
                await self.clock.wait_for(self._slot_seen.wait(), CLOCK_POLL_S if polls_clock else None)
            except TimeoutError:
                pass

    def compact_journal(self) -> bool:
        """One pass of journal retention (at a quiet moment: nothing in flight): delete up to
        ``JOURNAL_PRUNE_BATCH`` finished actions older than ``keeper.journal_retention_hours`` and hand up
        to ``JOURNAL_RECLAIM_PAGES`` free pages back. Returns whether work is left for another pass."""
        cutoff = self.clock.time() - self.config.keeper.journal_retention_hours * 3600
        deleted = self.journal.prune(cutoff, JOURNAL_PRUNE_BATCH)
        free = self.journal.reclaim(JOURNAL_RECLAIM_PAGES)
        if deleted:
            log.info("journal: deleted %d finished actions older than %g hours", deleted,
                     self.config.keeper.journal_retention_hours)
        return deleted == JOURNAL_PRUNE_BATCH or (free > JOURNAL_RECLAIM_PAGES and self.journal.incremental)

    def export_chain_counters(self) -> None:
        """Add what the chain client refused since the last call to the metrics (``RpcChain`` counts it)."""
        def export(family: str, label: str, total: int) -> None:
            delta = total - self._exported.get((family, label), 0)
            if delta > 0:
                self._exported[(family, label)] = total
                (self.metrics.rejected_update if family == "ws" else self.metrics.rpc_fault)(label, delta)

        refused = getattr(self.chain, "ws_refused", {})
        for reason, total in refused.items():
            export("ws", reason, total)
        for kind, attr in CHAIN_FAULT_COUNTERS.items():
            export("http", kind, getattr(self.chain, attr, 0))
        deltas = {}
        for attr in CHAIN_REQUEST_COUNTERS:
            total = getattr(self.chain, attr, 0)
            deltas[attr] = max(0, total - self._exported.get(("rpc", attr), 0))
            self._exported[("rpc", attr)] = total
        self.metrics.rpc_counts(**deltas)

    def export_state(self) -> None:
        """Export what the alert rules and dashboards read: each kept market's price age and funding lag (with
        the ``[health]`` limits they are judged by), prices, open interest, funding rate and pools, the
        liquidation backlog and the users flagged bankrupt on chain."""
        limits, c, bots = self.config.health, self.ctx.clock, self.config.bots
        if c.unix_timestamp:
            for index, m in self.ctx.kept_markets():
                if not funded(m):
                    continue
                period = m.params.funding_period_secs
                self.metrics.set_market(
                    index, price_age_s=max(0, c.unix_timestamp - m.twap_updated_ts),
                    price_age_limit_s=limits.price_age_heartbeats * bots.mark_price.heartbeat_s,
                    funding_lag_s=max(0, c.unix_timestamp - next_funding_ts(m)),
                    funding_lag_limit_s=limits.funding_lag_periods * period,
                    mark_price=m.mark_price / PRICE_PRECISION, index_price=m.index_price / PRICE_PRECISION,
                    open_interest_long=m.open_interest_long / BASE_PRECISION,
                    open_interest_short=m.open_interest_short / BASE_PRECISION,
                    funding_rate=funding_rate(m) or 0.0, fee_pool=m.fee_pool / QUOTE_PRECISION,
                    socialised_loss=m.socialised_loss / QUOTE_PRECISION)
        if "liquidator" in self.bots:
            self.metrics.set_liquidation_backlog(self.ctx.progress.longest_wait(c.slot))
        exchange = self.cache.exchange
        if exchange is not None:
            self.metrics.set_bankrupt_users(exchange.bankrupt_users)

    def check_progress(self) -> None:
        """Set the ``Health`` problems of a keeper that gets nowhere (limits in ``[health]``; each check only when
        the bot it watches runs): prices older than their heartbeat allows, funding behind its period,
        liquidatable users left untouched, subscription streams gone quiet while the chain moved on. Chain time
        counts from the start at the earliest: a keeper that just started is not blamed for a stale market. A
        standby (not ``active``) checks only its subscriptions: the progress of the bots is the active one's."""
        limits, c = self.config.health, self.ctx.clock
        markets = [m for _, m in self.ctx.kept_markets() if funded(m)]
        checks: dict[str, list[str]] = {}
        if "mark_price" in self.bots and c.unix_timestamp and not self.standby:
            max_age = limits.price_age_heartbeats * self.config.bots.mark_price.heartbeat_s
            checks["prices_stale"] = stale_prices({m.market_index: max(m.twap_updated_ts, self._started_ts)
                                                   for m in markets},
                                                  c.unix_timestamp, max_age)
        if "funding" in self.bots and c.unix_timestamp and not self.standby:
            checks["funding_behind"] = late_funding(
                {m.market_index: (max(next_funding_ts(m), self._started_ts), m.params.funding_period_secs)
                 for m in markets},
                c.unix_timestamp, limits.funding_lag_periods)
        if "liquidator" in self.bots and not self.standby:
            late = self.ctx.progress.untouched_users(c.slot, limits.liquidatable_untouched_slots)
            checks["liquidations_stalled"] = [f"{len(late)} liquidatable users untouched for more than "
                                              f"{limits.liquidatable_untouched_slots} slots (longest {late[0][1]}: "
                                              f"{late[0][0]})"] if late else []
        checks["subscriptions_silent"] = silent_streams(self.ctx.progress, ("slot", "oracle"), c.slot,
                                                        limits.subscription_silence_slots)
        for name, reasons in checks.items():
            if reasons and name not in self.health.problems:
                log.warning("health: %s: %s", name, "; ".join(reasons))
            self.health.set_problem(name, "; ".join(reasons) if reasons else None)

    def check_balance(self, lamports: int) -> None:
        """Export the fee payer's balance; below ``keeper.min_balance_sol`` alert once and fail /health
        (a payer that cannot pay fees has its transactions dropped without an error)."""
        floor = self.config.keeper.min_balance_sol
        self.metrics.set_fee_payer(lamports, round(floor * LAMPORTS_PER_SOL))
        sol = lamports / LAMPORTS_PER_SOL
        low = sol < floor
        if low and "sol_balance" not in self.health.problems:
            log.warning("fee payer %s holds %.4f SOL, below keeper.min_balance_sol %.4f: top it up",
                        self.ctx.authority, sol, floor)
            self.metrics.alert("keeper", "sol balance low")
        elif not low and "sol_balance" in self.health.problems:
            log.info("fee payer %s holds %.4f SOL again", self.ctx.authority, sol)
        self.health.set_problem("sol_balance", f"{sol:.4f} SOL, below {floor:.4f}" if low else None)

    # -- views --------------------------------------------------------------------------------------
    def status(self) -> dict:
        """Bots, pipeline and journal figures for the live view and /health details."""
        return {
            "slot": self.ctx.clock.slot, "unix_timestamp": self.ctx.clock.unix_timestamp,
            "bots": {name: bot.health() for name, bot in self.bots.items()},
            "in_flight": len(self.pipeline.in_flight), "journal": self.journal.counts(),
            "stats": self.stats.__dict__.copy(),
        }


__all__ = ["ALL_BOTS", "BOT_CLASSES", "Keeper", "KeeperStats", "SYSVAR_CLOCK", "bot_interval_s", "decode_clock"]


async def run_from_config(config: Config, keypair: Keypair, bots: Sequence[str] | None = None,
                          stop: asyncio.Event | None = None, clock: Clock = LIVE,
                          on_keeper: Callable[[Keeper], None] | None = None) -> None:
    """Run a keeper against the configured cluster until ``stop`` is set (``perpkeep run``); with ``[ha]``
    mode "file" or "postgres", as one process of an active/standby pair (``keepers.ha.coordinator``).
    ``on_keeper`` is called with the keeper before it starts (e.g. to reload its config on SIGHUP).

    Raises ``ChainError`` when the cluster cannot be reached at start.
    """
    from keepers.chain.rpc import RpcChain

    stop = stop or asyncio.Event()
    chain = RpcChain(config.cluster, clock=clock)
    try:
        if config.ha.mode == "none":
            keeper = Keeper(config, chain, keypair, bots, clock=clock)
            if on_keeper is not None:
                on_keeper(keeper)
            await keeper.run(stop)
            return
        from keepers.ha.coordinator import instance_name, make_lease, run_active_standby

        name = instance_name(config.ha)
        lease = make_lease(config, name)
        keeper = Keeper(config, chain, keypair, bots, clock=clock, fence=lease.valid, instance=name)
        if on_keeper is not None:
            on_keeper(keeper)
        await run_active_standby(keeper, lease, config.ha, stop)
    finally:
        await chain.close()
