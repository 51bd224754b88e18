"""The RPC bootstrap and RPC price feed (the path used with solana-test-validator), run against the LiteSVM node,
and the one bootstrap plan carried out by both transports (in-process and over RPC) to the same exchange."""

from __future__ import annotations

import asyncio

from solana.rpc.async_api import AsyncClient
from solana.rpc.types import MemcmpOpts
from solders.keypair import Keypair
from spl.token.constants import MINT_LEN

from keepers.exchange.oracles import OracleKind, decode_oracle
from localnet.deployment import BootstrapPlan, send_steps_local
from localnet.market_oracles import PRICE_EXPONENT, feed_id_for
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID
from localnet.price_service import PriceOptions, RpcPriceFeed
from localnet.rpc import NodeConfig, NodeThread, RpcNode
from localnet.rpc.encoding import b58encode
from localnet.rpc_bootstrap import bootstrap_over_rpc, send_steps_over_rpc
from localnet.svm import LocalSvm
from programs_client.perp.accounts import Exchange, Market, User
from programs_client.perp.constants import PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.program_id import PROGRAM_ID


async def test_bootstrap_over_rpc_creates_the_same_exchange(perp_program: bytes, mock_oracle_program: bytes) -> None:
    svm = LocalSvm(perp_program)
    svm.add_program(MOCK_ORACLE_PROGRAM_ID, mock_oracle_program)
    node = RpcNode(svm, NodeConfig(rpc_port=0, ws_port=0, slot_ms=20, finalized_depth_slots=4))
    thread = NodeThread(node).start()
    client = AsyncClient(node.rpc_url, timeout=10)
    feed = None
    try:
        plan = BootstrapPlan(markets=("ETH-PERP",), users=2, user_deposit=250 * QUOTE, prices={"ETH-PERP": 2_500.5})
        admin = Keypair()
        svm.set_upgrade_authority(admin.pubkey())  # as deploying the program would
        dep = await asyncio.wait_for(bootstrap_over_rpc(client, PROGRAM_ID, plan, node.rpc_url, node.ws_url, poll_s=0.02,
                                                        admin=admin), 30)
        exchange = Exchange.decode(bytes((await client.get_account_info(dep.exchange, commitment="confirmed")).value.data))
        assert exchange.market_count == 1 and exchange.collateral_mint == dep.mint
        user_len = len((await client.get_account_info(dep.user_accounts["user-0"])).value.data)
        users = await client.get_program_accounts(
            PROGRAM_ID, encoding="base64", filters=[user_len, MemcmpOpts(offset=0, bytes=b58encode(User.discriminator))])
        assert len(users.value) == 2  # the node indexed the accounts created over RPC
        assert all(User.decode(bytes(u.account.data)).collateral == 250 * QUOTE for u in users.value)

        # The market names its mock-oracle accounts and was cranked once at the first price.
        info = dep.markets[0]
        market = Market.decode(bytes((await client.get_account_info(info.address, commitment="confirmed")).value.data))
        cfg = market.oracle
        assert (cfg.primary, cfg.fallback) == (info.oracle, info.fallback_oracle)
        assert cfg.primary_program == cfg.fallback_program == MOCK_ORACLE_PROGRAM_ID
        assert bytes(cfg.fallback_feed_id) == feed_id_for("ETH-PERP")
        assert market.index_price == market.mark_price == 2_500_500_000
        for feed_info in info.oracles.feeds:
            acc = (await client.get_account_info(feed_info.address, commitment="confirmed")).value
            assert acc.owner == MOCK_ORACLE_PROGRAM_ID
            assert decode_oracle(feed_info.kind, bytes(acc.data), feed_info.feed_id).price_1e6 == 2_500_500_000
        assert feed_info.exponent == PRICE_EXPONENT

        # The RPC price feed (solana-test-validator mode) moves the price through sendTransaction.
        feed = RpcPriceFeed(node.rpc_url, dep, PriceOptions(seed=3), poll_s=0.02).start()
        deadline = asyncio.get_running_loop().time() + 5
        price = 2_500_500_000
        while price == 2_500_500_000 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            acc = (await client.get_account_info(info.oracle, commitment="processed")).value
            price = decode_oracle(OracleKind.PYTH_LEGACY, bytes(acc.data)).price_1e6
        assert price != 2_500_500_000 and abs(price - 2_500_500_000) < 250_000_000
    finally:
        if feed is not None:
            feed.stop()
        await client.close()
        thread.stop()


async def test_one_plan_sent_in_process_and_over_rpc_creates_the_same_exchange(perp_program: bytes,
                                                                                mock_oracle_program: bytes) -> None:
    def chain() -> LocalSvm:
        svm = LocalSvm(perp_program)
        svm.add_program(MOCK_ORACLE_PROGRAM_ID, mock_oracle_program)
        return svm

    in_process, behind_node = chain(), chain()
    plan = BootstrapPlan(markets=("SOL-PERP", "BTC-PERP"), users=2, makers=1, keeper_tokens=700 * QUOTE,
                         keeper_deposit=500 * QUOTE)
    steps = plan.steps(PROGRAM_ID, in_process.rent_exempt_balance(MINT_LEN))
    dep = steps.deployment
    # the mock oracle, the mint and exchange, price accounts and market for each market, four margin accounts
    assert len(steps.transactions) == 1 + 1 + 2 * 2 + 4
    send_steps_local(in_process, steps)

    behind_node.set_upgrade_authority(steps.upgrade_authority)  # as deploying the program would
    node = RpcNode(behind_node, NodeConfig(rpc_port=0, ws_port=0, slot_ms=20, finalized_depth_slots=4))
    thread = NodeThread(node).start()
    client = AsyncClient(node.rpc_url, timeout=10)
    try:
        await asyncio.wait_for(send_steps_over_rpc(client, steps, poll_s=0.02), 30)
    finally:
        await client.close()
        thread.stop()

    # Same accounts, to the byte where nothing depends on the slot: exchange, margin accounts, token accounts.
    same = [dep.exchange, dep.mint] + list(dep.user_accounts.values())
    for address in same:
        a, b = in_process.account(address), behind_node.account(address)
        assert a is not None and b is not None, address
        assert (a.owner, bytes(a.data)) == (b.owner, bytes(b.data)), address
    assert Exchange.decode(bytes(in_process.account(dep.exchange).data)).market_count == 2
    assert User.decode(bytes(in_process.account(dep.user_accounts["keeper"]).data)).collateral == 500 * QUOTE
    assert in_process.token_balance(dep.user_accounts["keeper-tokens"]) == 200 * QUOTE
    assert in_process.token_balance(dep.user_accounts["maker-0-tokens"]) == 0  # makers deposit all they get
    for m in dep.markets:  # markets and their first crank agree; their slots and timestamps need not
        a, b = in_process.decode(Market, m.address), behind_node.decode(Market, m.address)
        assert (a.name, a.oracle, a.params) == (b.name, b.oracle, b.params)
        price = round(plan.price_of(m.name) * PRICE)
        assert a.index_price == b.index_price == a.mark_price == b.mark_price == price
