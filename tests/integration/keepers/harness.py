"""A keeper against the LiteSVM RPC node over real HTTP and websockets, with the trading scenario
(``sim.scenario``) running on the node's ledger at every slot.

``KeeperWorld.start`` boots the node with the scenario's exchange; ``run_keeper`` runs a
``keepers.runtime.Keeper`` with an ``RpcChain`` in the test's loop; ``on_node`` reads or writes the
ledger on the node's thread (the only safe way to touch it).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from keepers.chain.rpc import RpcChain
from keepers.config import Config
from keepers.exchange.margin import MarketState, Position, compute_margin
from keepers.exchange.margin_scan import counted, flat
from keepers.execution.journal import read_only_rows as journal_rows
from keepers.runtime import Keeper
from programs_client.perp.accounts import Market
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from sim.scenario import Scenario, ScenarioSettings, conservation, seed_insurance_fund, slot_clock, users_of
from tests.integration.localnet.conftest import LocalNode, start_node, stop_node

T = TypeVar("T")

# Fast, short scenario: the crash comes after the takers opened; an hour of chain time passes in 180 slots
# (9 s at 50 ms a slot) and a funding period in 30 (1.5 s: a keeper busy with the crash still makes it).
SETTINGS = ScenarioSettings(users=12, crash_at=40, crash_drop=0.14, seconds_per_slot=20, funding_period_s=600,
                            takers_per_slot=2, insurance_stake=1_000 * QUOTE)


@dataclass
class KeeperWorld:
    """The node, its scenario and what a keeper needs to connect."""

    node: LocalNode
    scenario: Scenario
    settings: ScenarioSettings
    tmp: Path
    keeper_path: Path = field(init=False)

    @classmethod
    def start(cls, perp_program: bytes, mock_oracle: bytes, tmp: Path, settings: ScenarioSettings = SETTINGS,
              **node_config: Any) -> KeeperWorld:
        """Boot a node with the scenario's exchange, chain time running ``seconds_per_slot`` per slot."""
        node = start_node(perp_program, mock_oracle, plan=settings.plan(), **node_config)
        ledger = node.node.chain

        def prepare() -> Scenario:
            ledger.wall_clock = slot_clock(lambda: ledger, ledger.slot, settings.seconds_per_slot,
                                           ledger.svm.get_clock().unix_timestamp)
            seed_insurance_fund(ledger, node.deployment, settings.insurance_stake)
            return Scenario(ledger, node.deployment, settings)

        scenario = node.thread.call(prepare)
        world = cls(node, scenario, settings, tmp)
        world.keeper_path = tmp / "keeper.json"
        fd = os.open(world.keeper_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(list(bytes(node.deployment.wallets["keeper"])), f)
        return world

    def stop(self) -> None:
        self.on_node(self.scenario.detach)
        stop_node(self.node)

    def on_node(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the node's thread and return its result."""
        return self.node.thread.call(fn, *args)

    def begin_trading(self) -> None:
        """Start the scenario: one step per slot from now on."""
        self.on_node(self.scenario.attach)

    def config(self, **sections: dict[str, Any]) -> Config:
        """A keeper configuration for this node (metrics on a free port, journal in the temp folder)."""
        data: dict[str, Any] = {
            "cluster": {"rpc_url": self.node.rpc_url, "ws_url": self.node.ws_url, "commitment": "confirmed",
                        "silence_s": 2.0},
            "keeper": {"keypair_path": str(self.keeper_path), "journal_path": str(self.tmp / "journal.sqlite")},
            "metrics": {"port": 0},
            "logging": {"level": "info", "format": "text"},
            "bots": {"settler": {"interval_s": 0.5, "funding_threshold_quote": 50 * QUOTE, "pnl_threshold_quote": QUOTE},
                     "mark_price": {"deviation_bps": 10, "heartbeat_s": 120.0}},
            # Chain time runs at 20 s a 50 ms slot here (400 times real time): one 429 pause of 1 s is 400 s of
            # it, so /health's limits in chain time are wider than the defaults (3 heartbeats would be 0.9 s).
            "health": {"price_age_heartbeats": 20.0, "funding_lag_periods": 2.0},
        }
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        return Config.from_mapping(data, self.tmp)

    def config_file(self, journal_path: Path, extra: str = "") -> Path:
        """A ``keeper.toml`` for ``perpkeep run`` on this node (the settings ``config()`` builds, less
        ``[health]``), with the TOML ``extra`` appended."""
        path = self.tmp / "keeper.toml"
        path.write_text(
            f'[cluster]\nrpc_url = "{self.node.rpc_url}"\nws_url = "{self.node.ws_url}"\ncommitment = "confirmed"\n'
            f'silence_s = 2.0\nrequest_timeout_s = 5.0\n\n'
            f'[keeper]\nkeypair_path = "{self.keeper_path}"\njournal_path = "{journal_path}"\n\n'
            f'[metrics]\nport = 0\n\n[logging]\nlevel = "info"\nformat = "text"\n\n'
            f'[bots.settler]\ninterval_s = 0.5\nfunding_threshold_quote = {50 * QUOTE}\npnl_threshold_quote = {QUOTE}\n\n'
            f'[bots.mark_price]\ndeviation_bps = 10\nheartbeat_s = 120.0\n' + (f"\n{extra}" if extra else ""))
        return path

    # -- what the chain says ----------------------------------------------------------------------
    def slot(self) -> int:
        return self.on_node(lambda: self.node.node.chain.slot)

    def markets(self) -> list[Market]:
        return self.on_node(_markets, self.node.node.chain, self.node.deployment)

    def liquidatable_users(self) -> list[str]:
        """Users below maintenance at the chain's current marks, computed with the exact margin mirror."""
        def read() -> list[str]:
            ledger = self.node.node.chain
            states = {m.market_index: MarketState.from_account(m) for m in _markets(ledger, self.node.deployment)}
            out = []
            for u in users_of(ledger, self.node.deployment.program_id):
                positions = [Position.from_account(p) for p in u.positions if counted(p)]
                if flat(u):
                    continue
                if compute_margin(u.collateral, positions, states).liquidatable:
                    out.append(str(u.authority))
            return out

        return self.on_node(read)

    def bankrupt_users(self) -> int:
        """Flat users whose collateral plus unsettled PnL is negative (what resolve_bankruptcy fixes)."""
        def read() -> int:
            users = users_of(self.node.node.chain, self.node.deployment.program_id)
            return sum(1 for u in users if flat(u) and u.collateral + sum(p.unsettled_pnl for p in u.positions) < 0)

        return self.on_node(read)

    def conservation(self) -> tuple[int, int, int]:
        return self.on_node(conservation, self.node.node.chain, self.node.deployment)

    def queued_fills(self) -> int:
        from programs_client.perp.accounts import EventQueue
        from keepers.exchange.pdas import event_queue_pda

        def read() -> int:
            ledger = self.node.node.chain
            return sum(EventQueue.decode(bytes(ledger.get_account(event_queue_pda(m.index, self.node.deployment.program_id)).data)).count
                       for m in self.node.deployment.markets)

        return self.on_node(read)


def _markets(ledger: Any, dep: Any) -> list[Market]:
    """The deployment's markets as the ledger holds them (call on the node's thread)."""
    return [Market.decode(bytes(ledger.get_account(m.address).data)) for m in dep.markets]


async def wait_until(predicate: Callable[[], bool], timeout_s: float, poll_s: float = 0.1) -> float:
    """Poll ``predicate`` until it holds; return the seconds waited; AssertionError after ``timeout_s``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(poll_s)
    return time.monotonic() - started


class RunningKeeper:
    """A keeper started in the test's loop on an ``RpcChain``; ``stop`` stops both."""

    def __init__(self, world: KeeperWorld, config: Config, bots: tuple[str, ...] | None = None,
                 chain_options: dict[str, Any] | None = None) -> None:
        self.chain = RpcChain(replace(config.cluster, request_timeout_s=5.0), max_backoff_s=0.5, **(chain_options or {}))
        keypair = world.node.deployment.wallets["keeper"]
        self.keeper = Keeper(config, self.chain, keypair, bots,
                             pipeline_options={"poll_s": 0.1, "resend_s": 0.5, "max_confirm_s": 20.0})

    async def start(self) -> RunningKeeper:
        await self.keeper.start()
        return self

    async def stop(self) -> None:
        await self.keeper.stop()
        await self.chain.close()

    def landed(self, kind: str) -> int:
        return self.keeper.pipeline.outcomes.get((kind, "landed"), 0)


async def drop_websockets(world: KeeperWorld, stop: asyncio.Event, dropped: list[int], every_s: tuple[float, float],
                          seed: int = 5) -> None:
    """Abort every websocket connection of the node at random intervals in ``every_s`` until ``stop``."""
    rng = random.Random(seed)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(*every_s))
            return
        except asyncio.TimeoutError:
            pass
        reply = await asyncio.to_thread(world.node.rpc, "perpkeep_dropWebsockets", [])
        dropped.append(int(reply["result"]))


# -- journal and HTTP checks shared by the tests ---------------------------------------------------------
def landed_twice(path: Path) -> list[tuple[str, int]]:
    """Journal keys with more than one landed action: the same intent done twice."""
    return journal_rows(path, "SELECT key, COUNT(*) FROM actions WHERE status = 'landed' GROUP BY key HAVING COUNT(*) > 1")


def liquidations_from_same_state(path: Path) -> list[tuple[str, str, list[str]]]:
    """Landed liquidations of one user planned from the same read of its account (its key's slot).

    A liquidation's key is ``liquidate:{user}:{market}:{slot of the user's account read}:{mark}``, so
    two landed keys with the same user and slot were both planned from one state of the user.
    """
    by_state: dict[tuple[str, str], list[str]] = {}
    for (key,) in journal_rows(path, "SELECT key FROM actions WHERE status = 'landed' AND kind = 'liquidate_perp'"):
        _, user, _market, slot, _mark = key.split(":")
        by_state.setdefault((user, slot), []).append(key)
    return [(user, slot, keys) for (user, slot), keys in by_state.items() if len(keys) > 1]


def unfinished(path: Path) -> list[tuple[int, str, str, str]]:
    """(id, key, kind, status) of the actions the journal holds as pending or sent."""
    return journal_rows(path, "SELECT id, key, kind, status FROM actions WHERE status IN ('pending', 'sent') ORDER BY id")


def http_get(url: str) -> tuple[int, bytes]:
    """(status, body) of a GET on 127.0.0.1 (blocking: run it in a thread from async tests)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


__all__ = ["SETTINGS", "KeeperWorld", "RunningKeeper", "http_get", "journal_rows", "landed_twice",
           "liquidations_from_same_state", "unfinished", "wait_until"]
