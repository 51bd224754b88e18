"""The settler prunes expired orders against the LiteSVM RPC node: a market maker whose connection drops
leaves quotes good until a slot; once that slot has passed, the keeper removes them with
``prune_expired_orders`` and consumes their out events, which releases the margin they reserved, while
a good-til-cancelled order of the same user stays."""

from __future__ import annotations

from pathlib import Path

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import event_queue_pda, orderbook_pda
from programs_client.perp.accounts import EventQueue, Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION as BASE
from programs_client.perp.types import side
from tests.integration.keepers.harness import KeeperWorld, RunningKeeper, journal_rows, landed_twice, wait_until

EXPIRES_IN = 20  # slots (1 s at 50 ms a slot)


async def test_settler_prunes_expired_quotes_and_frees_their_margin(perp_program: bytes, mock_oracle_program: bytes,
                                                                   tmp_path: Path) -> None:
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path)
    running = None
    dep = world.node.deployment
    pid, owner, user = dep.program_id, dep.wallets["user-0"], dep.user_accounts["user-0"]
    size = BASE // 10

    def quote() -> tuple[int, int]:
        """Three asks that expire EXPIRES_IN slots on and one that does not (on the node's thread)."""
        ledger = world.node.node.chain
        m = Market.decode(bytes(ledger.get_account(dep.markets[0].address).data))
        tick = m.params.tick_size
        expiry = ledger.slot + EXPIRES_IN
        prices = [m.mark_price * (104 + k) // 100 // tick * tick for k in range(4)]
        ixs = [ix.place_order(owner.pubkey(), user, 0, ix.order_args(side.Ask(), p, size, expiry_slot=expiry if k else 0), [], pid)
               for k, p in enumerate(prices)]
        out = ledger.send(ixs, [owner])
        assert out.ok, out
        return expiry, prices[0]

    def state() -> tuple[list[tuple[int, int]], int, tuple[int, int]]:
        """(price, expiry) of the resting asks, the queued events, and the user's (open asks, open orders)."""
        ledger = world.node.node.chain
        book = Orderbook.decode(bytes(ledger.get_account(orderbook_pda(0, pid)).data))
        queue = EventQueue.decode(bytes(ledger.get_account(event_queue_pda(0, pid)).data))
        u = User.decode(bytes(ledger.get_account(user).data))
        pos = next(p for p in u.positions if p.market_index == 0 and (p.open_asks or p.open_orders or p.base_amount))
        return [(o.price, o.expiry_slot) for o in book.asks[:book.ask_count]], queue.count, (pos.open_asks, pos.open_orders)

    try:
        expiry, kept_price = world.on_node(quote)
        asks, _, reserved = world.on_node(state)
        assert len(asks) == 4 and reserved == (4 * size, 4)
        running = await RunningKeeper(world, world.config(), bots=("settler",)).start()
        await wait_until(lambda: running.landed("prune_expired_orders") > 0, 30)
        assert world.slot() > expiry
        await wait_until(lambda: world.on_node(state)[1:] == (0, (size, 1)), 30)
        assert world.on_node(state)[0] == [(kept_price, 0)]
        # pruned once, all three expired asks; nothing landed twice
        keys = [k for (k,) in journal_rows(tmp_path / "journal.sqlite",
                                           "SELECT key FROM actions WHERE kind = 'prune_expired_orders' AND status = 'landed'")]
        assert len(keys) == 1 and keys[0].startswith("prune_expired:0:") and keys[0].endswith(":3"), keys
        assert landed_twice(tmp_path / "journal.sqlite") == []
    finally:
        if running is not None:
            await running.stop()
        world.stop()
