"""The RPC bootstrap (the path used with solana-test-validator), run against the LiteSVM node."""

from __future__ import annotations

import asyncio

from solana.rpc.async_api import AsyncClient
from solana.rpc.types import MemcmpOpts

from localnet.bootstrap import QUOTE
from localnet.deployment import BootstrapPlan
from localnet.rpc import NodeConfig, NodeThread, RpcNode
from localnet.rpc.encoding import b58encode
from localnet.rpc_bootstrap import bootstrap_over_rpc
from localnet.svm import LocalSvm
from programs_client.perp.accounts import Exchange, User
from programs_client.perp.program_id import PROGRAM_ID


async def test_bootstrap_over_rpc_creates_the_same_exchange(perp_program: bytes) -> None:
    node = RpcNode(LocalSvm(perp_program), NodeConfig(rpc_port=0, ws_port=0, slot_ms=20, finalized_depth_slots=4))
    thread = NodeThread(node).start()
    client = AsyncClient(node.rpc_url, timeout=10)
    try:
        plan = BootstrapPlan(markets=("ETH-PERP",), users=2, user_deposit=250 * QUOTE)
        dep = await asyncio.wait_for(bootstrap_over_rpc(client, PROGRAM_ID, plan, node.rpc_url, node.ws_url, poll_s=0.02), 30)
        exchange = Exchange.decode(bytes((await client.get_account_info(dep.exchange, commitment="confirmed")).value.data))
        assert exchange.market_count == 1 and exchange.collateral_mint == dep.mint
        user_len = len((await client.get_account_info(dep.user_accounts["user-0"])).value.data)
        users = await client.get_program_accounts(
            PROGRAM_ID, encoding="base64", filters=[user_len, MemcmpOpts(offset=0, bytes=b58encode(User.discriminator))])
        assert len(users.value) == 2  # the node indexed the accounts created over RPC
        assert all(User.decode(bytes(u.account.data)).collateral == 250 * QUOTE for u in users.value)
    finally:
        await client.close()
        thread.stop()

