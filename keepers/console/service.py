"""What the console does to a running ``Keeper``: read its state, steer its bots, send manual orders, and
sample the series the dashboard charts.

Every operation here is what one API route calls; the routes (``keepers.console.app``) add authentication,
roles, rate limits and the audit log. Mutations go through the keeper's own means: ``pause_bot`` and
``resume_bot``, ``apply_config`` with a section rebuilt by the config file's rules
(``keepers.config.rebuild_section``), and the keeper's transaction pipeline for orders and cancels.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
import uuid
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keepers.bots.liquidator import other_markets
from keepers.chain.base import ChainError
from keepers.config import STRATEGY_NAMES, ConfigError, rebuild_section, section_values
from keepers.console import risk
from keepers.console.pretrade import Refusal, pretrade_refusal
from keepers.exchange import instructions as ix
from keepers.exchange.margin import BID
from keepers.exchange.pdas import insurance_vault_pda, user_pda
from keepers.exchange.spl_token import token_amount
from keepers.execution.pipeline import Action, ActionResult
from keepers.strategies.market_maker.bot import own_orders
from programs_client.perp.constants import BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION
from programs_client.perp.types import order_type, side as side_

if TYPE_CHECKING:
    from keepers.runtime import Keeper

log = logging.getLogger("perpkeep.console")
HISTORY = 900  # samples kept for the charts and VaR (15 min at one a second)
FUND_TTL_S = 2.0
ORDER_TIMEOUT_S = 30.0
CONSOLE_BOT = "console"
ORDER_KIND, CANCEL_KIND = "console_order", "console_cancel"  # the console's own action kinds (journal keys)


class ConsoleError(Exception):
    """An operation the console refuses; ``status`` is the HTTP status, ``check`` the pre-trade check, if any."""

    def __init__(self, message: str, status: int = 400, check: str | None = None) -> None:
        super().__init__(message)
        self.status, self.check = status, check


def result_view(r: ActionResult) -> dict[str, Any]:
    """An action's outcome as plain data."""
    return {"status": str(r.status), "signature": str(r.signature) if r.signature else None, "error": r.error,
            "slot": r.slot}


class ConsoleService:
    """The console's operations on ``keeper`` (see the module docstring)."""

    def __init__(self, keeper: Keeper) -> None:
        self.keeper = keeper
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self._start_equity: float | None = None
        self._fund: tuple[float, int | None] = (-1e9, None)
        self.killed_at: float | None = None
        self._event: tuple[float, int, bytes] = (-1e9, -1, b"")
        self.closing = False  # the server stops: open streams end
        self._risk: tuple[float, float, dict[str, Any]] = (-1e9, 0.0, {})

    # -- bots ---------------------------------------------------------------------------------------
    @property
    def config(self) -> Any:
        return self.keeper.config

    def _bot(self, name: str) -> Any:
        bot = self.keeper.bots.get(name)
        if bot is None:
            raise ConsoleError(f"no bot {name!r} runs in this keeper (running: {', '.join(self.keeper.bots)})", 404)
        return bot

    def bot_view(self, name: str) -> dict[str, Any]:
        """One bot: its state (running, paused, standby), health figures and parameters."""
        bot = self._bot(name)
        state = "running" if self.keeper.bot_running(name) else "standby" if not self.keeper.active else "paused"
        return {"name": name, "kind": "strategy" if name in STRATEGY_NAMES else "keeper", "state": state,
                "health": bot.health(), "params": section_values(bot.config)}

    def bots(self) -> list[dict[str, Any]]:
        """Every bot of the keeper."""
        return [self.bot_view(name) for name in self.keeper.bots]

    async def pause(self, name: str) -> bool:
        """Stop ``name``'s loop; False when it was not running."""
        self._bot(name)
        return await self.keeper.pause_bot(name)

    def resume(self, name: str) -> bool:
        """Start ``name``'s loop again; False when it already runs (or the keeper is a standby)."""
        self._bot(name)
        return self.keeper.resume_bot(name)

    def set_params(self, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` to ``[bots.<name>]``, checked by the config file's rules, from the next tick.
        Raises ``ConsoleError`` (nothing applied) when a key is unknown or a value fails its check."""
        bot = self._bot(name)
        config = self.keeper.config
        base = config.path.parent if config.path is not None else Path.cwd()
        try:
            section = rebuild_section(bot.config, changes, f"bots.{name}", base)
        except ConfigError as e:
            raise ConsoleError(str(e), 422) from None
        self.keeper.apply_config(dataclasses.replace(config, bots=dataclasses.replace(config.bots, **{name: section})))
        return section_values(section)

    async def kill(self, timeout_s: float = ORDER_TIMEOUT_S) -> dict[str, Any]:
        """The kill switch: stop every strategy bot, then cancel every order of the keeper wallet in every market."""
        self.killed_at = time.time()
        stopped = [name for name in self.keeper.bots if name in STRATEGY_NAMES and await self.keeper.pause_bot(name)]
        cache, me = self.keeper.cache, self.keeper.ctx.authority
        actions = []
        for address, user in risk.own_accounts(cache, me):
            with_orders = {p.market_index for p in user.positions if p.open_orders}
            for index in sorted(cache.markets):
                if index in with_orders or own_orders(cache.orderbook(index), address, self.keeper.ctx.clock.slot):
                    actions.append(self._cancel_action(address, index, None, "kill"))
        for name in stopped:  # a maker's quotes the cache may not show yet
            bot = self.keeper.bots[name]
            own = getattr(bot, "own_address", None)
            for index, mq in getattr(bot, "markets", {}).items():
                if own is not None and mq.generation and not any(a.detail["market"] == index and a.target == own
                                                                 for a in actions):
                    actions.append(self._cancel_action(own, index, None, "kill"))
        results = await self._submit_all(actions, timeout_s)
        return {"stopped": stopped, "cancels": results}

    # -- portfolio and orders -----------------------------------------------------------------------
    def portfolio(self) -> dict[str, Any]:
        """Every margin account of the keeper wallet: collateral, equity, health, positions, open orders."""
        k = self.keeper
        accounts = [risk.account_view(k.cache, a, u, k.ctx.clock.slot) for a, u in risk.own_accounts(k.cache, k.ctx.authority)]
        return {"authority": str(k.ctx.authority), "slot": k.ctx.clock.slot, "accounts": accounts,
                "equity": sum(a["equity"] for a in accounts)}

    @property
    def own_address(self) -> Any:
        return user_pda(self.keeper.ctx.authority, self.keeper.config.keeper.sub_id, self.keeper.program_id)

    def check_order(self, market: int, side: str, price: int, base: int) -> Refusal | None:
        """The pre-trade check a manual order fails (``keepers.console.pretrade``), or None."""
        cache = self.keeper.cache
        m = cache.markets.get(market)
        if m is None:
            return Refusal("market", f"no market {market} on chain")
        user = cache.users.get(self.own_address)
        return pretrade_refusal(self.config.console, m, cache.market_states(), user, BID if side == "bid" else 1, price,
                                base)

    async def place_order(self, market: int, side: str, price: float, size: float, post_only: bool = False,
                          reduce_only: bool = False) -> dict[str, Any]:
        """A limit order from the keeper's account through its pipeline, once it passed the pre-trade checks
        (raises ``ConsoleError`` naming the failed check: nothing is sent)."""
        p, b = round(price * PRICE_PRECISION), round(size * BASE_PRECISION)
        refusal = self.check_order(market, side, p, b)
        if refusal is not None:
            raise ConsoleError(f"{refusal.check}: {refusal.reason}", 422, refusal.check)
        k, own = self.keeper, self.own_address
        user = k.cache.users[own]
        addresses = {i: k.cache.market_address(i) for i in k.cache.markets}
        order = ix.order_args(side_.Bid() if side == "bid" else side_.Ask(), p, b,
                              order_type.PostOnly() if post_only else order_type.Limit(), reduce_only=reduce_only)
        action = Action(bot=CONSOLE_BOT, kind=ORDER_KIND, key=f"{ORDER_KIND}:{uuid.uuid4().hex}", target=own,
                        instructions=(ix.place_order(k.ctx.authority, own, market, order,
                                                     other_markets([user], market, addresses), k.program_id),),
                        locks=((CONSOLE_BOT, f"order:{market}"),),
                        detail={"market": market, "side": side, "price": price, "size": size})
        return (await self._submit_all([action], ORDER_TIMEOUT_S))[0]

    def _cancel_action(self, own: Any, market: int, order_id: int | None, why: str) -> Action:
        k = self.keeper
        instruction = (ix.cancel_all_orders(k.ctx.authority, own, market, k.program_id) if order_id is None
                       else ix.cancel_order(k.ctx.authority, own, market, order_id, k.program_id))
        return Action(bot=CONSOLE_BOT, kind=CANCEL_KIND, key=f"{CANCEL_KIND}:{why}:{uuid.uuid4().hex}", target=own,
                      instructions=(instruction,), locks=((CONSOLE_BOT, f"cancel:{market}:{own}"),), simulate_first=False,
                      detail={"market": market, "order_id": order_id, "reason": why})

    async def cancel(self, market: int, order_id: int | None) -> dict[str, Any]:
        """Cancel one order of the keeper's account by id, or all of them in ``market`` (``order_id`` None)."""
        if market not in self.keeper.cache.markets:
            raise ConsoleError(f"no market {market} on chain", 404)
        return (await self._submit_all([self._cancel_action(self.own_address, market, order_id, "manual")],
                                       ORDER_TIMEOUT_S))[0]

    async def _submit_all(self, actions: list[Action], timeout_s: float) -> list[dict[str, Any]]:
        async def one(a: Action) -> dict[str, Any]:
            try:
                r = await asyncio.wait_for(self.keeper.pipeline.submit(a), timeout_s)
            except TimeoutError:
                return {"status": "timeout", "market": a.detail["market"]}
            return dict(result_view(r), market=a.detail["market"])
        return list(await asyncio.gather(*(one(a) for a in actions)))

    # -- risk ---------------------------------------------------------------------------------------
    async def fund_balance(self) -> int | None:
        """The insurance fund's vault balance (quote 1e6), read at most every ``FUND_TTL_S``."""
        at, balance = self._fund
        if time.monotonic() - at < FUND_TTL_S:
            return balance
        insurance = self.keeper.bots.get("insurance")
        balance = getattr(insurance, "fund_balance", None)
        if balance is None:
            try:
                acc = await self.keeper.chain.get_account(insurance_vault_pda(self.keeper.program_id))
                balance = token_amount(acc.data) if acc is not None else None
            except ChainError as e:
                log.debug("insurance vault read failed: %s", e)
                balance = self._fund[1]
        self._fund = (time.monotonic(), balance)
        return balance

    def liquidation_queue(self) -> list[dict[str, Any]]:
        """Users the liquidator found liquidatable and has not finished, longest waiting first."""
        slot = self.keeper.ctx.clock.slot
        return [{"address": str(u), "waiting_slots": w} for u, w in self.keeper.ctx.progress.untouched_users(slot, -1)]

    def price_history(self) -> dict[int, list[float]]:
        """Per market, the marks of the sampled history."""
        out: dict[int, list[float]] = {}
        for point in self.history:
            for i, mark in point["marks"].items():
                out.setdefault(int(i), []).append(mark)
        return out

    async def risk(self, move: float = 0.1) -> dict[str, Any]:
        """The risk panel: exposure, users closest to liquidation, the liquidation queue, the insurance fund,
        VaR and expected shortfall of our positions, OI concentration, and the fund after a move of -move and +move."""
        at, cached_move, cached = self._risk
        if cached_move == move and time.monotonic() - at < self.config.console.risk_refresh_s:
            return cached  # many dashboards polling share one computation, every risk_refresh_s at most
        cache = self.keeper.cache
        fund = await self.fund_balance()
        exposure = risk.exposure(cache, self.keeper.ctx.authority)
        # Each part over every user is a few ms at 10k users: the loop is given back between them, so that an
        # oracle update waiting to be handled (the liquidation path) is not held up behind the whole view.
        view: dict[str, Any] = {"slot": self.keeper.ctx.clock.slot, "exposure": exposure}
        parts: list[tuple[str, Any]] = [
            ("closest", lambda: risk.closest_to_liquidation(cache)),
            ("liquidation_queue", self.liquidation_queue),
            ("var", lambda: risk.var_es({e["market"]: e["notional"] for e in exposure}, self.price_history())),
            ("concentration", lambda: risk.oi_concentration(cache)),
            ("shock_down", lambda: risk.shock(cache, fund, -abs(move))),
            ("shock_up", lambda: risk.shock(cache, fund, abs(move))),
        ]
        for name, part in parts:
            await asyncio.sleep(0)
            view[name] = part()
        view.update(insurance_fund=None if fund is None else fund / QUOTE_PRECISION,
                    var_horizon_s=self.config.console.stream_interval_s,
                    shocks=[view.pop("shock_down"), view.pop("shock_up")])
        self._risk = (time.monotonic(), move, view)
        return view

    async def shock(self, move: float) -> dict[str, Any]:
        """The insurance fund after every mark moves by ``move``."""
        return risk.shock(self.keeper.cache, await self.fund_balance(), move)

    # -- the stream ---------------------------------------------------------------------------------
    def alerts(self) -> list[dict[str, Any]]:
        """What needs an operator: the keeper's health problems, the strategies' kill switches, a pulled kill switch."""
        out = [{"source": "health", "name": n, "detail": r} for n, r in sorted(self.keeper.health.problems.items())]
        for name, bot in self.keeper.bots.items():
            for index, kills in sorted(getattr(bot, "kills", {}).items()):
                if kills:
                    out.append({"source": name, "name": f"market {index}", "detail": ", ".join(sorted(map(str, kills)))})
            if getattr(bot, "stopped", False):
                out.append({"source": name, "name": "stopped", "detail": "drawdown stop"})
        if self.killed_at is not None:
            out.append({"source": "console", "name": "kill switch", "detail": time.strftime(
                "%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.killed_at))})
        return out

    def sample(self) -> dict[str, Any] | None:
        """Record one point of the charts' series: equity, PnL since the console started, inventory and marks
        (none before the keeper's snapshot filled the cache)."""
        k = self.keeper
        cache, equity = k.cache, 0.0
        if not cache.markets:
            return None
        inventory: dict[str, float] = {}
        for address, user in risk.own_accounts(cache, k.ctx.authority):
            view = risk.account_view(cache, address, user, k.ctx.clock.slot)
            equity += view["equity"]
            for p in view["positions"]:
                inventory[str(p["market"])] = inventory.get(str(p["market"]), 0.0) + p["base"]
        if self._start_equity is None and equity:
            self._start_equity = equity
        point = {"ts": round(time.time(), 3), "slot": k.ctx.clock.slot, "equity": equity,
                 "pnl": equity - (self._start_equity or equity), "inventory": inventory,
                 "marks": {str(i): m.mark_price / PRICE_PRECISION for i, m in sorted(cache.markets.items())}}
        self.history.append(point)
        return point

    def snapshot(self, audit_seq: int) -> dict[str, Any]:
        """What each stream update carries."""
        k = self.keeper
        return {"slot": k.ctx.clock.slot, "active": k.active, "bots": self.bots(), "alerts": self.alerts(),
                "point": self.history[-1] if self.history else None, "audit_seq": audit_seq,
                "in_flight": len(k.pipeline.in_flight)}

    def stream_event(self, audit_seq: int) -> bytes:
        """The snapshot as one server-sent event, built once per half interval (or audit entry) for every listener."""
        at, seq, event = self._event
        if seq == audit_seq and time.monotonic() - at < self.config.console.stream_interval_s / 2:
            return event
        event = b"data: " + json.dumps(self.snapshot(audit_seq), default=str).encode() + b"\n\n"
        self._event = (time.monotonic(), audit_seq, event)
        return event

    async def run_sampler(self, stop: asyncio.Event) -> None:
        """Sample every ``console.stream_interval_s`` until ``stop``."""
        while not stop.is_set():
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a sample is display only; the keeper goes on
                log.exception("console sample failed")
            try:
                await asyncio.wait_for(stop.wait(), self.config.console.stream_interval_s)
            except TimeoutError:
                pass


__all__ = ["ConsoleError", "ConsoleService", "result_view"]
