"""Insurance fund keeper: sweep revenue on schedule, resolve bankruptcies, alert on thin coverage.

- ``settle_revenue_to_insurance`` per market once its fee pool holds something and the sweep
  interval passed since the market's last sweep (the program allows one per hour, with the event
  queue drained, so the transaction drains it first: ``keepers.bots.drain``);
- ``resolve_bankruptcy`` for every bankrupt user in the cache;
- coverage = insurance vault balance / open-interest notional; below ``coverage_alert_ratio`` it
  raises an alert (once per crossing) and always exports the ratio as a metric. The vault is read
  after a market or user change (what moves either side of the ratio), at most once per
  ``bots.insurance.interval_s``.

The bot wakes on market and user changes and when the Clock reaches the next sweep (``due_ts``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.bots.bankruptcy import bankruptcy_actions
from keepers.bots.base import Bot
from keepers.bots.drain import Drain, drain
from keepers.chain.base import ChainError
from keepers.execution.error_policy import ProgramErrorName as E
from keepers.execution.intents import ActionKind, intent_key
from keepers.exchange.pdas import insurance_vault_pda
from keepers.exchange.spl_token import token_amount
from keepers.execution.pipeline import Action
from programs_client.perp.accounts import Market
from programs_client.perp.constants import BASE_PRECISION, QUOTE_PRECISION

log = logging.getLogger("perpkeep.bots")

REVENUE_REWARD_LAMPORTS = 20_000
PROGRAM_SWEEP_INTERVAL_S = 3600  # settle_revenue_to_insurance refuses more often than this


def next_sweep_ts(market: Market, interval_s: float) -> int | None:
    """Unix time from which ``market``'s fee pool is swept into the fund; None while it is empty (pure)."""
    if market.fee_pool <= 0:
        return None
    return market.last_revenue_settle_ts + math.ceil(max(interval_s, PROGRAM_SWEEP_INTERVAL_S))


def sweep_due(market: Market, now_ts: int, interval_s: float) -> bool:
    """Whether ``market``'s fee pool should be swept into the fund now (pure)."""
    at = next_sweep_ts(market, interval_s)
    return at is not None and now_ts >= at


def sweep_action(bot: str, market: Market, drained: Drain, program_id: Pubkey) -> Action:
    """The revenue sweep of ``market`` (one per sweep period), after ``drained``."""
    i = market.market_index
    ixs = drained.instructions + [ix.settle_revenue_to_insurance(i, program_id)]
    return Action(bot=bot, kind=ActionKind.SETTLE_REVENUE,
                  key=intent_key(ActionKind.SETTLE_REVENUE, market=i, last_settle_ts=market.last_revenue_settle_ts),
                  target=market.event_queue, instructions=tuple(ixs), reward_lamports=REVENUE_REWARD_LAMPORTS,
                  expected=frozenset({E.RevenueSettleTooEarly}), detail={"market": i, "fee_pool": market.fee_pool})


def open_interest_notional(markets: Mapping[int, Market]) -> int:
    """Quote value of open interest (one side: longs equal shorts) at each market's mark."""
    return sum(max(m.open_interest_long, m.open_interest_short) * m.mark_price // BASE_PRECISION for m in markets.values())


def coverage_ratio(fund_balance: int, markets: Mapping[int, Market]) -> float | None:
    """Insurance fund balance over open-interest notional; None without open interest."""
    notional = open_interest_notional(markets)
    return None if notional == 0 else fund_balance / notional


class InsuranceBot(Bot):
    """See the module docstring."""

    name = "insurance"
    wakes_on = frozenset({"market", "user"})

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.vault = insurance_vault_pda(self.ctx.program_id)
        self.fund_balance: int | None = None
        self.coverage: float | None = None
        self.below = False
        self._coverage_changed = True  # a market or user changed since the last vault read

    def wake(self, kind: str = "") -> None:
        if kind in self.wakes_on:
            self._coverage_changed = True
        super().wake(kind)

    async def tick(self) -> None:
        ctx, cache = self.ctx, self.ctx.cache
        sweeps = [(index, market, next_sweep_ts(market, self.config.sweep_interval_s)) for index, market in ctx.kept_markets()]
        self.due_ts = min((at for _, _, at in sweeps if at is not None), default=None)
        for index, market, at in sweeps:
            if at is None or ctx.clock.unix_timestamp < at:
                continue
            drained = drain(index, cache.event_queue(index), cache.orderbook(index), ctx.program_id)
            if drained is not None:  # else the settler consumes part of the queue first
                self.submit(sweep_action(self.name, market, drained, ctx.program_id))
        for action in bankruptcy_actions(self.name, cache, ctx.program_id, kept=ctx.kept):
            self.submit(action)
        # A vault read: once an interval at most, not on every user change, and none while nothing changed.
        if self._coverage_changed and self.every("coverage", self.interval_s, defer=True):
            self._coverage_changed = False
            try:
                await self.check_coverage()
            except ChainError:
                self._coverage_changed = True  # read it at the next change
                raise

    async def check_coverage(self) -> None:
        """Read the fund's vault and alert when it covers too little of the open interest."""
        acc = await self.ctx.chain.get_account(self.vault)
        self.fund_balance = token_amount(acc.data) if acc is not None else None
        if self.fund_balance is None:
            return
        self.ctx.metrics.set_insurance_fund(self.fund_balance / QUOTE_PRECISION)
        self.coverage = coverage_ratio(self.fund_balance, self.ctx.cache.markets)
        if self.coverage is None:
            self.below = False
            return
        self.ctx.metrics.set_insurance_coverage(self.coverage)
        below = self.coverage < self.config.coverage_alert_ratio
        if below and not self.below:
            self.ctx.metrics.alert(self.name, "insurance coverage below threshold")
            log.warning("[insurance] fund covers %.2f%% of open interest (alert below %.2f%%)", self.coverage * 100,
                        self.config.coverage_alert_ratio * 100, extra={"bot": self.name})
        self.below = below


__all__ = ["InsuranceBot", "coverage_ratio", "next_sweep_ts", "open_interest_notional", "sweep_action", "sweep_due"]
