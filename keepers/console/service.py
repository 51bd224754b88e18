"""What the console does to a running ``Keeper``, on the keeper's loop: read its state, steer its bots, send
manual orders, and sample the series the dashboard charts.

The console's worker process (``keepers.console.worker``) serves the API; it asks for these operations
over the link (``handle``) and serves reads from the ``snapshot`` this side pushes every stream interval,
so that however many clients poll, the keeper's loop builds one snapshot an interval (another only when a
push is late) and never parses, authenticates or serialises a request. Mutations go through
the keeper's own means: ``pause_bot`` and ``resume_bot``, ``apply_config`` with a section rebuilt by the
config file's rules (``keepers.config.rebuild_section``), and the keeper's transaction pipeline for orders
and cancels; each answers with the state before and after it (for the audit log) and a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from keepers.console.protocol import HISTORY, ConsoleError
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
FUND_TTL_S = 2.0
ORDER_TIMEOUT_S = 30.0
READS = frozenset({"snapshot", "status"})  # calls ``handle`` answers at once, without awaiting anything
CONSOLE_BOT = "console"
ORDER_KIND, CANCEL_KIND = "console_order", "console_cancel"  # the console's own action kinds (journal keys)


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

    async def pause(self, name: str) -> dict[str, Any]:
        """Stop ``name``'s loop: its state before and after (``ConsoleError`` 409 when it was not running)."""
        before = self.bot_view(name)["state"]
        if not await self.keeper.pause_bot(name):
            raise ConsoleError(f"{name} is not running ({before})", 409, before=before)
        return {"before": before, "after": self.bot_view(name)["state"]}

    def resume(self, name: str) -> dict[str, Any]:
        """Start ``name``'s loop again: its state before and after (``ConsoleError`` 409 when it already runs
        or the keeper is a standby)."""
        before = self.bot_view(name)["state"]
        if not self.keeper.resume_bot(name):
            raise ConsoleError(f"{name} cannot resume ({before})", 409, before=before)
        return {"before": before, "after": self.bot_view(name)["state"]}

    def set_params(self, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` to ``[bots.<name>]``, checked by the config file's rules, from the next tick: the
        section's parameters, and the changed keys' values before and after. Raises ``ConsoleError`` (nothing
        applied) when a key is unknown or a value fails its check."""
        bot = self._bot(name)
        config = self.keeper.config
        current = section_values(bot.config)
        before = {k: current.get(k) for k in changes}
        base = config.path.parent if config.path is not None else Path.cwd()
        try:
            section = rebuild_section(bot.config, changes, f"bots.{name}", base)
        except ConfigError as e:
            raise ConsoleError(str(e), 422, before=before) from None
        self.keeper.apply_config(dataclasses.replace(config, bots=dataclasses.replace(config.bots, **{name: section})))
        params = section_values(section)
        return {"params": params, "before": before, "after": {k: params[k] for k in changes}}

    def _states(self) -> dict[str, str]:
        return {b["name"]: b["state"] for b in self.bots()}

    async def kill(self, timeout_s: float = ORDER_TIMEOUT_S) -> dict[str, Any]:
        """The kill switch: stop every strategy bot, then cancel every order of the keeper wallet in every market.
        ``result``: the bots stopped and each cancel's outcome; ``before`` and ``after``: the bots' states."""
        before = {"bots": self._states(), "orders": len(self.own_orders())}
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
        return {"result": {"stopped": stopped, "cancels": results}, "before": before, "after": {"bots": self._states()}}

    # -- portfolio and orders -----------------------------------------------------------------------
    def portfolio(self) -> dict[str, Any]:
        """Every margin account of the keeper wallet: collateral, equity, health, positions, open orders."""
        k = self.keeper
        accounts = [risk.account_view(k.cache, a, u, k.ctx.clock.slot) for a, u in risk.own_accounts(k.cache, k.ctx.authority)]
        return {"authority": str(k.ctx.authority), "slot": k.ctx.clock.slot, "accounts": accounts,
                "equity": sum(a["equity"] for a in accounts)}

    def own_orders(self, market: int | None = None) -> list[dict[str, Any]]:
        """The keeper wallet's resting orders (in ``market``, or every market)."""
        return [o for a in self.portfolio()["accounts"] for o in a["orders"] if market is None or o["market"] == market]

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
        (raises ``ConsoleError`` naming the failed check: nothing is sent): ``result``, the outcome, and
        ``before``, the number of our orders that rested in ``market``."""
        p, b = round(price * PRICE_PRECISION), round(size * BASE_PRECISION)
        before = len(self.own_orders(market)) if market in self.keeper.cache.markets else 0
        refusal = self.check_order(market, side, p, b)
        if refusal is not None:
            raise ConsoleError(f"{refusal.check}: {refusal.reason}", 422, refusal.check, before)
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
        return {"result": (await self._submit_all([action], ORDER_TIMEOUT_S))[0], "before": before}

    def _cancel_action(self, own: Any, market: int, order_id: int | None, why: str) -> Action:
        k = self.keeper
        instruction = (ix.cancel_all_orders(k.ctx.authority, own, market, k.program_id) if order_id is None
                       else ix.cancel_order(k.ctx.authority, own, market, order_id, k.program_id))
        return Action(bot=CONSOLE_BOT, kind=CANCEL_KIND, key=f"{CANCEL_KIND}:{why}:{uuid.uuid4().hex}", target=own,
                      instructions=(instruction,), locks=((CONSOLE_BOT, f"cancel:{market}:{own}"),), simulate_first=False,
                      detail={"market": market, "order_id": order_id, "reason": why})

    async def cancel(self, market: int, order_id: int | None) -> dict[str, Any]:
        """Cancel one order of the keeper's account by id, or all of them in ``market`` (``order_id`` None):
        ``result``, the outcome, and ``before``, the number of our orders that rested in ``market``."""
        if market not in self.keeper.cache.markets:
            raise ConsoleError(f"no market {market} on chain", 404, before=0)
        before = len(self.own_orders(market))
        result = await self._submit_all([self._cancel_action(self.own_address, market, order_id, "manual")],
                                        ORDER_TIMEOUT_S)
        return {"result": result[0], "before": before}

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
        VaR and expected shortfall of our positions, OI concentration, and the fund after a move of -move and +move
        (the worker keeps it for ``console.risk_refresh_s``: computed that seldom however many dashboards poll)."""
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

    def status(self) -> dict[str, Any]:
        """The keeper: slot, active or standby, health problems, in-flight actions, journal counts, alerts."""
        k = self.keeper
        out = k.status()
        out.update(active=k.active, problems=dict(k.health.problems), alerts=self.alerts())
        return out

    def sample(self, portfolio: dict[str, Any]) -> dict[str, Any] | None:
        """Record one point of the charts' series from ``portfolio`` (``portfolio()``): equity, PnL since the
        console started, inventory and marks (none before the keeper's snapshot filled the cache)."""
        k = self.keeper
        cache = k.cache
        if not cache.markets:
            return None
        inventory: dict[str, float] = {}
        for view in portfolio["accounts"]:
            for p in view["positions"]:
                inventory[str(p["market"])] = inventory.get(str(p["market"]), 0.0) + p["base"]
        equity = portfolio["equity"]
        if self._start_equity is None and equity:
            self._start_equity = equity
        point = {"ts": round(time.time(), 3), "slot": k.ctx.clock.slot, "equity": equity,
                 "pnl": equity - (self._start_equity or equity), "inventory": inventory,
                 "marks": {str(i): m.mark_price / PRICE_PRECISION for i, m in sorted(cache.markets.items())}}
        self.history.append(point)
        return point

    def snapshot(self, sample: bool = False) -> dict[str, Any]:
        """What the worker serves reads and the stream from: the bots, alerts, the portfolio and the last
        point of the series (``sample``: a new point is taken first)."""
        k = self.keeper
        portfolio = self.portfolio()
        if sample:
            self.sample(portfolio)
        return {"slot": k.ctx.clock.slot, "active": k.active, "bots": self.bots(), "alerts": self.alerts(),
                "portfolio": portfolio,
                "point": self.history[-1] if self.history else None, "in_flight": len(k.pipeline.in_flight)}

    async def handle(self, op: str, args: dict[str, Any]) -> Any:
        """Carry out the worker's call ``op`` (raises ``ConsoleError`` for a refusal); a mutation's answer
        carries a fresh ``snapshot``."""
        if op in READS:
            return self.snapshot() if op == "snapshot" else self.status()
        if op == "risk":
            return await self.risk(float(args["move"]))
        if op == "shock":
            return await self.shock(float(args["move"]))
        if op == "pause":
            out = await self.pause(str(args["name"]))
        elif op == "resume":
            out = self.resume(str(args["name"]))
        elif op == "set_params":
            out = self.set_params(str(args["name"]), dict(args["changes"]))
        elif op == "kill":
            out = await self.kill()
        elif op == "place_order":
            out = await self.place_order(int(args["market"]), str(args["side"]), float(args["price"]),
                                         float(args["size"]), bool(args["post_only"]), bool(args["reduce_only"]))
        elif op == "cancel":
            order_id = args.get("order_id")
            out = await self.cancel(int(args["market"]), None if order_id is None else int(order_id))
        else:
            raise ConsoleError(f"unknown console operation {op!r}", 400)
        out["snapshot"] = self.snapshot()
        return out


__all__ = ["READS", "ConsoleService", "result_view"]
