"""Instruction framing, checked for every instruction of the IDL: discriminators, data lengths,
account counts, signer and writable flags.

Each case is a valid instruction in a state where it lands (the control test proves it), so that
each tampered variant fails only because of the one thing changed. Expected discriminators and
argument lengths are computed here from idl/perp.json (sha256 and Borsh sizes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from localnet.bootstrap import LocalExchange, default_market_params, oracle_config
from localnet.svm import LocalSvm
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import market_status, order_type, side, trigger_condition, trigger_kind
from tests.program.helpers import (
    IDL_JSON,
    account_discriminator,
    borsh_size,
    event_discriminator,
    expect_error,
    instruction_discriminator,
    set_market_prices,
)
from tests.program import test_liquidation as tl
from tests.program.oracle_accounts import advance, crank, let_orders_rest, priced_market, rest, trade
from tests.program.tamper import with_account, with_data, without_accounts_from
from tests.program.test_bankruptcy import bankrupt, fund_insurance_vault
from tests.program.test_insurance_fund import COOLDOWN
from tests.program.test_revenue import fees_market
from tests.program.test_trading import Trading

IDL_IXS = {i["name"]: i for i in IDL_JSON["instructions"]}
NAMES = list(IDL_IXS)
ARGS_LEN = {n: sum(borsh_size(a["type"]) for a in i["args"]) for n, i in IDL_IXS.items()}
WRITABLE = [(n, k) for n, i in IDL_IXS.items() for k, a in enumerate(i["accounts"]) if a["isMut"]]
SIGNERS = [(n, k) for n, i in IDL_IXS.items() for k, a in enumerate(i["accounts"]) if a["isSigner"]]


@dataclass
class Case:
    svm: LocalSvm
    ix: Instruction
    signers: list[Keypair]
    remaining: int = 0  # accounts after the IDL's (consumeEvents: the makers)

    def send(self, instruction: Instruction, signers: list[Keypair] | None = None) -> Any:
        """Send with the harness payer as fee payer, so only the instruction's own flags matter."""
        return self.svm.send([instruction], self.signers if signers is None else signers)

    def snapshot(self) -> list[Any]:
        out = []
        for m in self.ix.accounts:
            acc = self.svm.account(m.pubkey)
            out.append(None if acc is None else (acc.lamports, bytes(acc.data), acc.owner))
        return out


def make_case(name: str, request: pytest.FixtureRequest) -> Case:
    """A valid, landing instance of instruction ``name``."""
    if name == "initializeExchange":
        svm: LocalSvm = request.getfixturevalue("svm")
        admin = svm.funded_keypair(10)
        svm.set_upgrade_authority(admin.pubkey())
        mint = svm.create_mint(Keypair().pubkey(), 6)
        return Case(svm, ix.initialize_exchange(admin.pubkey(), mint), [admin])
    ex: LocalExchange = request.getfixturevalue("exchange")
    if name in PRICED:
        return PRICED[name](ex)
    svm = ex.svm
    ex.add_market("SOL-PERP")
    user = ex.add_user(tokens=100 * QUOTE, deposit=50 * QUOTE)
    a = ex.admin
    oracle = oracle_config(Pubkey.new_unique(), Pubkey.new_unique())
    if name == "initializeUser":
        kp = svm.funded_keypair(1)
        return Case(svm, ix.initialize_user(kp.pubkey(), 4, Pubkey.new_unique()), [kp])
    if name in TRADING:
        return trading_case(name, ex, user)
    if name in SETTLEMENT:
        return settlement_case(name, ex, user)
    if name in INSURANCE:
        return insurance_case(name, ex, user)
    if name in TRIGGERS:
        return trigger_case(name, ex, user)
    table = {
        "setPausedOperations": (ix.set_paused_operations(a.pubkey(), 3), [a]),
        "transferAdmin": (ix.transfer_admin(a.pubkey(), Pubkey.new_unique()), [a]),
        "initializeMarket": (
            ix.initialize_market(a.pubkey(), 1, "ETH-PERP", oracle, default_market_params()),
            [a],
        ),
        "updateMarketParams": (
            ix.update_market_params(a.pubkey(), 0, default_market_params(taker_fee_bps=20)),
            [a],
        ),
        "updateMarketOracle": (ix.update_market_oracle(a.pubkey(), 0, oracle), [a]),
        "setMarketStatus": (ix.set_market_status(a.pubkey(), 0, market_status.ReduceOnly()), [a]),
        "setUserDelegate": (
            ix.set_user_delegate(user.authority, Pubkey.new_unique()),
            [user.keypair],
        ),
        "deposit": (ix.deposit(user.authority, user.token_account, 5 * QUOTE), [user.keypair]),
        "withdraw": (ix.withdraw(user.authority, user.token_account, 5 * QUOTE), [user.keypair]),
    }
    i, signers = table[name]
    return Case(svm, i, signers)


TRADING = ("placeOrder", "cancelOrder", "cancelAllOrders", "consumeEvents", "pruneExpiredOrders")


def trading_case(name: str, ex: LocalExchange, user: Any) -> Case:
    """Market 0 priced at 100; ``user`` (50 deposited) has a resting bid, order id 1, for the cancels;
    for consumeEvents a maker's ask has been filled by ``user`` and waits in the queue."""
    svm = ex.svm
    set_market_prices(svm, ex.market_address(0), 100 * PRICE)
    kp = user.keypair

    def order(s: Any, price: int, kind: Any = None) -> Instruction:
        args = ix.order_args(s, price, BASE // 10, kind)
        return ix.place_order(user.authority, user.address, 0, args)

    if name == "placeOrder":
        return Case(svm, order(side.Bid(), 99 * PRICE), [kp])
    if name == "consumeEvents":
        maker = ex.add_user(tokens=50 * QUOTE, deposit=50 * QUOTE)
        args = ix.order_args(side.Ask(), 100 * PRICE, BASE // 10)
        svm.send_ok([ix.place_order(maker.authority, maker.address, 0, args)], [maker.keypair])
        svm.send_ok([order(side.Bid(), 100 * PRICE, order_type.ImmediateOrCancel())], [kp])
        return Case(svm, ix.consume_events(0, [maker.address], 1), [], remaining=1)
    if name == "pruneExpiredOrders":
        expiry = svm.clock().slot + 1
        args = ix.order_args(side.Bid(), 99 * PRICE, BASE // 10, expiry_slot=expiry)
        svm.send_ok([ix.place_order(user.authority, user.address, 0, args)], [kp])
        svm.warp(expiry + 1)
        return Case(svm, ix.prune_expired_orders(0, 4), [])
    svm.send_ok([order(side.Bid(), 99 * PRICE)], [kp])
    if name == "cancelOrder":
        return Case(svm, ix.cancel_order(user.authority, user.address, 0, 1), [kp])
    return Case(svm, ix.cancel_all_orders(user.authority, user.address, 0), [kp])


# ------------------------------------------------------------------------------------------------
# The instructions added with oracles, funding, liquidation, settlement and the insurance fund


def update_prices_case(ex: LocalExchange) -> Case:
    """A priced market (first update at 100), a minute on, the oracle publishes 101: an EMA step."""
    index, feed = priced_market(ex, 100 * PRICE)
    advance(ex.svm, 60)
    feed.set(101 * PRICE)
    return Case(ex.svm, ix.update_prices(index, feed.address), [])


def premium_market(ex: LocalExchange) -> tuple[int, Any]:
    """A priced market, ``long`` bought one base at 100 from ``short``, who then quotes 100.40 / 100.80;
    a funding period on, prices are cranked: the mark TWAP sits above the index TWAP. Returns
    (market index, long)."""
    index, feed = priced_market(ex, 100 * PRICE)
    long_, short = ex.add_user(deposit=1_000 * QUOTE), ex.add_user(deposit=1_000 * QUOTE)
    trade(ex, short, long_, index, side.Bid(), 100 * PRICE, BASE)
    assert rest(ex, short, index, side.Bid(), 100_400_000, BASE).ok
    assert rest(ex, short, index, side.Ask(), 100_800_000, BASE).ok
    let_orders_rest(ex, index)
    advance(ex.svm, default_market_params().funding_period_secs)
    feed.set(100 * PRICE)
    out = crank(ex, index, feed)
    assert out.ok, "\n".join(out.logs)
    return index, long_


def update_funding_case(ex: LocalExchange) -> Case:
    index, _ = premium_market(ex)
    return Case(ex.svm, ix.update_funding(index), [])


def settle_funding_case(ex: LocalExchange) -> Case:
    """The long of ``premium_market`` owes the period's (non-zero) funding; its market is the one extra account."""
    index, long_ = premium_market(ex)
    ex.svm.send_ok([ix.update_funding(index)])
    return Case(ex.svm, ix.settle_funding(long_.address, [ex.market_address(index)]), [], remaining=1)


def liquidate_perp_case(ex: LocalExchange) -> Case:
    """test_liquidation's set-up (target long 95 at 100 on 1,000), the mark falls to 93: below maintenance."""
    s = tl.setup(ex)
    tl.reprice(ex, s.index, s.feed, 93 * PRICE)
    i = ix.liquidate_perp(s.liq.authority, s.liq.address, s.target.address, s.index, 100 * BASE)
    return Case(ex.svm, i, [s.liq.keypair])


def resolve_bankruptcy_case(ex: LocalExchange) -> Case:
    """A flat user with negative equity (test_bankruptcy.bankrupt); the insurance vault covers part of
    the loss (a token transfer), the rest is socialised over the open interest."""
    s = bankrupt(ex)
    fund_insurance_vault(ex, 10 * QUOTE)
    return Case(ex.svm, ix.resolve_bankruptcy(s.target.address, s.index), [])


PRICED = {
    "updatePrices": update_prices_case,
    "updateFunding": update_funding_case,
    "settleFunding": settle_funding_case,
    "liquidatePerp": liquidate_perp_case,
    "resolveBankruptcy": resolve_bankruptcy_case,
}
SETTLEMENT = ("settlePnl", "settleRevenueToInsurance", "settleMarket", "settleExpiredPosition")
INSURANCE = (
    "initializeInsuranceFund",
    "addInsuranceStake",
    "requestRemoveInsuranceStake",
    "removeInsuranceStake",
    "adminWithdrawInsurance",
)


def settlement_case(name: str, ex: LocalExchange, user: Any) -> Case:
    """Market 0 priced at 100 (set directly); for settlePnl and settleExpiredPosition ``user`` bought 0.1
    base from a maker whose fill was applied, so it holds a position and owes the taker fee as unsettled
    PnL. settleRevenueToInsurance uses test_revenue's fees market instead."""
    svm, a = ex.svm, ex.admin
    if name == "settleRevenueToInsurance":
        # test_revenue's fees market; the maker's loss settled into the PnL pool backs part of the fees
        f = fees_market(ex)
        svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
        return Case(svm, ix.settle_revenue_to_insurance(f.index), [])
    set_market_prices(svm, ex.market_address(0), 100 * PRICE)
    if name == "settleMarket":
        return Case(svm, ix.settle_market(a.pubkey(), 0, 97 * PRICE), [a])
    maker = ex.add_user(tokens=50 * QUOTE, deposit=50 * QUOTE)
    trade(ex, maker, user, 0, side.Bid(), 100 * PRICE, BASE // 10)
    if name == "settlePnl":
        return Case(svm, ix.settle_pnl(user.address, 0), [])
    svm.send_ok([ix.settle_market(a.pubkey(), 0, 97 * PRICE)], [a])
    return Case(svm, ix.settle_expired_position(user.address, 0), [])


def insurance_case(name: str, ex: LocalExchange, user: Any) -> Case:
    """``user`` has 50 collateral tokens left in its wallet. adminWithdrawInsurance: 20 tokens were in the
    insurance vault before the fund was initialised (protocol shares). The stake cases: ``user`` staked
    10 (10e6 shares); removeInsuranceStake: it requested 4e6 of them and the cooldown has passed."""
    svm, a = ex.svm, ex.admin
    kp, wallet = user.keypair, user.token_account
    if name == "initializeInsuranceFund":
        return Case(svm, ix.initialize_insurance_fund(a.pubkey(), COOLDOWN), [a])
    if name == "adminWithdrawInsurance":
        fund_insurance_vault(ex, 20 * QUOTE)
    svm.send_ok([ix.initialize_insurance_fund(a.pubkey(), COOLDOWN)], [a])
    if name == "adminWithdrawInsurance":
        destination = svm.token_account(a.pubkey(), ex.mint)
        return Case(svm, ix.admin_withdraw_insurance(a.pubkey(), destination, 5 * QUOTE), [a])
    if name == "addInsuranceStake":
        return Case(svm, ix.add_insurance_stake(user.authority, wallet, 10 * QUOTE), [kp])
    svm.send_ok([ix.add_insurance_stake(user.authority, wallet, 10 * QUOTE)], [kp])
    if name == "requestRemoveInsuranceStake":
        return Case(svm, ix.request_remove_insurance_stake(user.authority, 4 * QUOTE), [kp])
    svm.send_ok([ix.request_remove_insurance_stake(user.authority, 4 * QUOTE)], [kp])
    advance(svm, COOLDOWN)
    return Case(svm, ix.remove_insurance_stake(user.authority, wallet), [kp])


TRIGGERS = ("initTriggerOrders", "placeTriggerOrder", "cancelTriggerOrder", "triggerOrder")


def trigger_case(name: str, ex: LocalExchange, user: Any) -> Case:
    """Market 0 priced at 100 in this slot; ``user`` has a TriggerOrders account holding trigger 1, a
    stop-market bid above 100 (it holds at the mark): cancelTriggerOrder removes it, triggerOrder fires it
    for a keeper with a margin account of its own (no asks: nothing fills)."""
    svm, kp = ex.svm, user.keypair
    set_market_prices(svm, ex.market_address(0), 100 * PRICE)
    if name == "initTriggerOrders":
        return Case(svm, ix.init_trigger_orders(user.authority, user.address), [kp])
    svm.send_ok([ix.init_trigger_orders(user.authority, user.address)], [kp])
    args = ix.trigger_args(side.Bid(), trigger_kind.StopMarket(), trigger_condition.Above(), 100 * PRICE, BASE // 10)
    place = ix.place_trigger_order(user.authority, user.address, 0, args)
    if name == "placeTriggerOrder":
        return Case(svm, place, [kp])
    svm.send_ok([place], [kp])
    if name == "cancelTriggerOrder":
        return Case(svm, ix.cancel_trigger_order(user.authority, user.address, 1), [kp])
    keeper = ex.add_user(tokens=0)
    return Case(svm, ix.trigger_order(keeper.authority, keeper.address, user.address, 0, 1), [keeper.keypair])


def check_trading(name: str, request: pytest.FixtureRequest) -> None:
    """After a trading instruction landed: conservation and reservations (tests/program/test_trading.py)."""
    if name in TRADING:
        checker = Trading(request.getfixturevalue("exchange"), markets=0)
        checker.markets.append(0)
        checker.check()


def test_idl_lists_the_instructions_covered_here() -> None:
    assert set(NAMES) == {
        "initializeExchange",
        "setPausedOperations",
        "transferAdmin",
        "initializeMarket",
        "updateMarketParams",
        "updateMarketOracle",
        "setMarketStatus",
        "initializeUser",
        "setUserDelegate",
        "deposit",
        "withdraw",
        "placeOrder",
        "cancelOrder",
        "cancelAllOrders",
        "consumeEvents",
        "pruneExpiredOrders",
        "updatePrices",
        "updateFunding",
        "settleFunding",
        "settlePnl",
        "liquidatePerp",
        "resolveBankruptcy",
        "settleRevenueToInsurance",
        "settleMarket",
        "settleExpiredPosition",
        "initializeInsuranceFund",
        "addInsuranceStake",
        "requestRemoveInsuranceStake",
        "removeInsuranceStake",
        "adminWithdrawInsurance",
        "initTriggerOrders",
        "placeTriggerOrder",
        "cancelTriggerOrder",
        "triggerOrder",
    }


@pytest.mark.parametrize("name", NAMES)
def test_control_valid_instruction_lands(name: str, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    assert bytes(c.ix.data[:8]) == instruction_discriminator(name)
    assert len(c.ix.data) == 8 + ARGS_LEN[name]
    assert len(c.ix.accounts) == len(IDL_IXS[name]["accounts"]) + c.remaining
    before = c.snapshot()
    out = c.send(c.ix)
    assert out.ok, f"{name}: {out.error_name}\n" + "\n".join(out.logs)
    assert c.snapshot() != before  # it did something
    check_trading(name, request)


@pytest.mark.parametrize("name", NAMES)
def test_args_one_byte_short(name: str, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    before = c.snapshot()
    out = c.send(with_data(c.ix, bytes(c.ix.data[:-1])))
    # initializeExchange has no args: 7 bytes cannot even hold a discriminator
    expect_error(
        out, custom.InvalidInstructionData if ARGS_LEN[name] > 0 else custom.UnknownInstruction
    )
    assert c.snapshot() == before


@pytest.mark.parametrize("extra", [b"\0", b"\xff"], ids=["zero", "ff"])
@pytest.mark.parametrize("name", NAMES)
def test_args_one_byte_long(name: str, extra: bytes, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    before = c.snapshot()
    expect_error(c.send(with_data(c.ix, bytes(c.ix.data) + extra)), custom.InvalidInstructionData)
    assert c.snapshot() == before


@pytest.mark.parametrize("name", [n for n in NAMES if ARGS_LEN[n] > 1])
def test_discriminator_without_args(name: str, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    expect_error(c.send(with_data(c.ix, bytes(c.ix.data[:8]))), custom.InvalidInstructionData)


@pytest.mark.parametrize("name", [n for n in NAMES if ARGS_LEN[n] > 0])
def test_args_far_too_long(name: str, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    expect_error(c.send(with_data(c.ix, bytes(c.ix.data) * 2)), custom.InvalidInstructionData)


@pytest.mark.parametrize("name", NAMES)
def test_data_shorter_than_a_discriminator(name: str, request: pytest.FixtureRequest) -> None:
    # Empty data and every proper prefix of the real discriminator.
    c = make_case(name, request)
    before = c.snapshot()
    for n in range(8):
        expect_error(c.send(with_data(c.ix, bytes(c.ix.data[:n]))), custom.UnknownInstruction)
    assert c.snapshot() == before


@pytest.mark.parametrize("name", NAMES)
def test_corrupted_discriminator(name: str, request: pytest.FixtureRequest) -> None:
    # Flip one bit in each discriminator byte in turn; the args stay valid.
    c = make_case(name, request)
    data = bytes(c.ix.data)
    for pos in range(8):
        bad = bytearray(data)
        bad[pos] ^= 0x01
        expect_error(c.send(with_data(c.ix, bytes(bad))), custom.UnknownInstruction)


UNKNOWN = {
    "zeros": bytes(8),
    "ones": b"\xff" * 8,
    "global_liquidate": instruction_discriminator("liquidate"),
    "global_closeUser": instruction_discriminator("closeUser"),
    "account_Exchange": account_discriminator("Exchange"),
    "event_DepositEvent": event_discriminator("DepositEvent"),
    "camel_case_not_snake": hashlib.sha256(b"global:initializeExchange").digest()[:8],
}


@pytest.mark.parametrize("disc", list(UNKNOWN.values()), ids=list(UNKNOWN))
def test_unknown_discriminator(exchange: LocalExchange, disc: bytes) -> None:
    svm, a = exchange.svm, exchange.admin
    base = ix.set_paused_operations(a.pubkey(), 0)
    for tail in (b"", bytes(2), bytes(64)):
        expect_error(svm.send([with_data(base, disc + tail)], [a]), custom.UnknownInstruction)
    # without any account at all
    expect_error(svm.send([Instruction(svm.program_id, disc, [])]), custom.UnknownInstruction)
    assert exchange.state().paused_operations == 0


def test_empty_instruction_without_accounts(svm: LocalSvm) -> None:
    expect_error(svm.send([Instruction(svm.program_id, b"", [])]), custom.UnknownInstruction)


@pytest.mark.parametrize("name", NAMES)
def test_not_enough_accounts(name: str, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    before = c.snapshot()
    n = len(IDL_IXS[name]["accounts"])
    assert len(c.ix.accounts) == n + c.remaining
    # every proper prefix among n - 1, 1 and 0 accounts (with a single account, 1 is not fewer)
    for keep in dict.fromkeys(k for k in (n - 1, 1, 0) if k < n):
        signers = c.signers if keep > 0 else []
        expect_error(c.send(without_accounts_from(c.ix, keep), signers), custom.NotEnoughAccounts)
    assert c.snapshot() == before


@pytest.mark.parametrize("name,index", SIGNERS, ids=[f"{n}-{k}" for n, k in SIGNERS])
def test_missing_signer(name: str, index: int, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    before = c.snapshot()
    unsigned = with_account(c.ix, index, is_signer=False)
    signer_key = c.ix.accounts[index].pubkey
    # the harness payer pays and signs; the required signer does not
    out = c.send(unsigned, [s for s in c.signers if s.pubkey() != signer_key])
    expect_error(out, custom.MissingSigner)
    assert c.snapshot() == before


@pytest.mark.parametrize("name,index", WRITABLE, ids=[f"{n}-{k}" for n, k in WRITABLE])
def test_account_not_writable(name: str, index: int, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    before = c.snapshot()
    expect_error(c.send(with_account(c.ix, index, is_writable=False)), custom.AccountNotWritable)
    assert c.snapshot() == before


@pytest.mark.parametrize("name", NAMES)
def test_too_many_accounts(name: str, request: pytest.FixtureRequest) -> None:
    c = make_case(name, request)
    before = c.snapshot()
    extra = [AccountMeta(c.ix.accounts[-1].pubkey, False, False)] * 64
    crowded = Instruction(c.ix.program_id, c.ix.data, list(c.ix.accounts) + extra)
    expect_error(c.send(crowded), custom.TooManyAccounts)
    assert c.snapshot() == before


@pytest.mark.parametrize("name", NAMES)
def test_trailing_extra_accounts_are_ignored(name: str, request: pytest.FixtureRequest) -> None:
    # Like Anchor's remaining accounts: a couple of extra accounts after the required ones are tolerated.
    c = make_case(name, request)
    extra = [
        AccountMeta(Pubkey.new_unique(), False, False),
        AccountMeta(c.ix.accounts[0].pubkey, False, False),
    ]
    out = c.send(Instruction(c.ix.program_id, c.ix.data, list(c.ix.accounts) + extra))
    assert out.ok, f"{name}: {out.error_name}\n" + "\n".join(out.logs)
    check_trading(name, request)
