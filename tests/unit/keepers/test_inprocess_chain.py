"""``InProcessChain``: the ``Chain`` interface over the in-process ledger, as the demo and the simulator use it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from keepers.exchange import instructions as ix
from keepers.chain.base import AccountData, Chain, ChainError, DataSizeFilter, MemcmpFilter
from keepers.chain.inprocess import InProcessChain
from localnet.build import build_program
from programs_client.perp.accounts import Market, User
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world


@pytest.fixture
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(ScenarioSettings(users=2), perp_program, Path(build_program("mock_oracle")).read_bytes())


@pytest.fixture
async def chain(world: LedgerWorld) -> InProcessChain:
    c = InProcessChain(world.ledger)
    yield c
    await c.close()


async def _deposit_tx(world: LedgerWorld, chain: InProcessChain, amount: int) -> VersionedTransaction:
    kp = world.dep.wallets["user-0"]
    tokens = world.dep.user_accounts["user-0-tokens"]
    blockhash = (await chain.get_latest_blockhash()).blockhash
    msg = MessageV0.try_compile(kp.pubkey(), [ix.deposit(kp.pubkey(), tokens, amount, 0, world.dep.program_id)], [], blockhash)
    return VersionedTransaction(msg, [kp])


async def test_it_is_a_chain(chain: InProcessChain) -> None:
    assert isinstance(chain, Chain)


async def test_reads_and_filters(world: LedgerWorld, chain: InProcessChain) -> None:
    market = await chain.get_account(world.dep.markets[0].address)
    assert market is not None and market.owner == world.dep.program_id
    assert Market.decode(market.data).market_index == 0
    markets = await chain.get_program_accounts(world.dep.program_id, [MemcmpFilter(0, bytes(Market.discriminator))])
    assert sorted(bytes(a.pubkey) for a in markets) == sorted(bytes(m.address) for m in world.dep.markets)
    user_len = len((await chain.get_account(world.dep.user_accounts["user-0"])).data)
    users = await chain.get_program_accounts(world.dep.program_id,
                                             [MemcmpFilter(0, bytes(User.discriminator)), DataSizeFilter(user_len)])
    expected = {v for k, v in world.dep.user_accounts.items() if not k.endswith("-tokens")}
    assert {a.pubkey for a in users} == expected
    assert await chain.get_program_accounts(world.dep.program_id, [DataSizeFilter(user_len + 1)]) == []
    assert await chain.get_account(world.dep.mint.__class__.new_unique()) is None
    assert await chain.get_balance(world.dep.wallets["keeper"].pubkey()) > 0


async def test_send_status_and_subscriptions(world: LedgerWorld, chain: InProcessChain) -> None:
    user = world.dep.user_accounts["user-0"]
    seen: list[AccountData] = []
    landed: list[object] = []
    slots: list[int] = []
    chain.on_account(user, seen.append)
    chain.on_slot(slots.append)
    tx = await _deposit_tx(world, chain, 5 * 10**6)
    chain.on_signature(tx.signatures[0], lambda sig, status: landed.append(status))
    sim = await chain.simulate(tx)
    assert sim.err is None and sim.units_consumed > 0
    assert await chain.send(tx) == tx.signatures[0]
    assert seen == [] and landed == []  # delivered on the loop, never inside the send
    await asyncio.sleep(0)
    assert len(landed) == 1 and landed[0].err is None
    assert User.decode(seen[-1].data).collateral == 1_005 * 10**6
    status = (await chain.get_signature_statuses([tx.signatures[0]]))[0]
    assert status is not None and status.err is None
    world.ledger.advance_slot()
    await asyncio.sleep(0)
    assert slots == [world.ledger.slot]


async def test_a_failing_transaction_reports_the_program_error(world: LedgerWorld, chain: InProcessChain) -> None:
    kp = world.dep.wallets["user-0"]
    tokens = world.dep.user_accounts["user-0-tokens"]
    blockhash = (await chain.get_latest_blockhash()).blockhash
    too_much = ix.withdraw(kp.pubkey(), tokens, 10**15, 0, world.dep.program_id)
    tx = VersionedTransaction(MessageV0.try_compile(kp.pubkey(), [too_much], [], blockhash), [kp])
    assert (await chain.simulate(tx)).custom_code == 6021  # InsufficientCollateral, idl/perp.json
    await chain.send(tx)
    status = (await chain.get_signature_statuses([tx.signatures[0]]))[0]
    assert status is not None and status.custom_code == 6021


async def test_closed_subscriptions_and_chain(world: LedgerWorld, chain: InProcessChain) -> None:
    seen: list[int] = []
    sub = chain.on_slot(seen.append)
    sub.close()
    world.ledger.advance_slot()
    await asyncio.sleep(0)
    assert seen == []
    await chain.close()
    with pytest.raises(ChainError):
        await chain.get_slot()
