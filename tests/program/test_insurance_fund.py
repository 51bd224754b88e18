"""Insurance fund shares: initialize_insurance_fund, add / request_remove / remove_insurance_stake and
admin_withdraw_insurance (programs/perp/stakes.c).

The share math, computed here from the header of stakes.c: the vault balance V is split over S shares,
the protocol owns the S - staker shares; initialising makes the vault's balance protocol shares (1:1);
a stake mints floor(amount * S / V) (amount itself into a fund without shares); a removal and the admin's
withdrawal pay floor(shares * V / S) (the admin burns ceil(amount * S / V)); revenue sweeps raise V and
bankruptcy cover lowers it without minting.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import insurance_fund_pda, insurance_stake_pda
from localnet.bootstrap import LocalExchange, LocalUser
from programs_client.perp.accounts import InsuranceFund, InsuranceStake
from programs_client.perp.constants import (
    PRICE_PRECISION as PRICE,
    BANKRUPTCY_REMOVAL_LOCK_SECS as LOCK,
    INSURANCE_DEAD_SHARES as DEAD,
    INSURANCE_REMOVAL_WINDOW_SECS as WINDOW,
    INSURANCE_WIPEOUT_SHARES_PER_UNIT as WIPEOUT,
    QUOTE_PRECISION as QUOTE,
)
from programs_client.perp.errors import custom
from tests.program.helpers import (
    account_discriminator,
    account_len,
    expect_error,
    noncanonical_pda,
    single_event,
)
from tests.program.oracle_accounts import advance, market
from tests.program.tamper import with_account
from tests.program.test_bankruptcy import (
    bankrupt,
    fund_insurance_vault,
    insurance_balance,
    resolve_and_check,
)
from tests.program.test_revenue import fees_market, sweep_and_check

COOLDOWN = 7 * 24 * 3600
MAX_COOLDOWN = 90 * 24 * 3600
IF_FUND, IF_VAULT = 2, 3  # initialize_insurance_fund account indexes
ADD_STAKE = 3  # add_insurance_stake: the stake account
RR_STAKE = 2  # request_remove_insurance_stake: the stake account
RM_STAKE, RM_DEST = 3, 5  # remove_insurance_stake: the stake account, the destination
AW_DEST = 4  # admin_withdraw_insurance: the destination


def init(exchange: LocalExchange, cooldown: int = COOLDOWN, signer=None):
    signer = signer or exchange.admin
    return exchange.svm.send(
        [ix.initialize_insurance_fund(signer.pubkey(), cooldown, exchange.program_id)],
        [signer],
        payer=signer,
    )


def fund(exchange: LocalExchange) -> InsuranceFund:
    return exchange.svm.decode(InsuranceFund, insurance_fund_pda(exchange.program_id))


def stake_of(exchange: LocalExchange, u: LocalUser) -> InsuranceStake:
    return exchange.svm.decode(
        InsuranceStake, insurance_stake_pda(u.authority, exchange.program_id)
    )


def staker(exchange: LocalExchange, tokens: int = 10_000 * QUOTE) -> LocalUser:
    return exchange.add_user(tokens=tokens)


def wallet(exchange: LocalExchange, u: LocalUser) -> int:
    return exchange.svm.token_balance(u.token_account)


def add(exchange: LocalExchange, u: LocalUser, amount: int):
    return exchange.svm.send(
        [ix.add_insurance_stake(u.authority, u.token_account, amount, exchange.program_id)],
        [u.keypair],
        payer=u.keypair,
    )


def value(shares: int, v: int, s: int) -> int:
    return shares * v // s


def stake_and_check(exchange: LocalExchange, u: LocalUser, amount: int) -> int:
    """add_insurance_stake checked against the formula; returns the shares minted."""
    svm = exchange.svm
    f0, v0 = fund(exchange), insurance_balance(exchange)
    address = insurance_stake_pda(u.authority, exchange.program_id)
    acc0 = svm.account(address)
    s0 = stake_of(exchange, u) if acc0 is not None else None
    total, staker_shares, dead, epoch = f0.total_shares, f0.staker_shares, f0.dead_shares, f0.epoch
    if total and (v0 == 0 or v0 * WIPEOUT < total):  # wiped out: a new share epoch
        total, staker_shares, dead, epoch = 0, 0, 0, epoch + 1
    if s0 is not None and s0.epoch != epoch:
        s0 = replace(s0, shares=0, requested_shares=0, epoch=epoch)
    total = total or v0  # tokens without shares are the protocol's
    minted = amount if v0 == 0 else amount * total // v0
    new_dead = max(DEAD - total, 0)
    shares = minted - new_dead
    w0 = wallet(exchange, u)
    out = add(exchange, u, amount)
    assert out.ok, "\n".join(out.logs)
    f = fund(exchange)
    assert (f.total_shares, f.staker_shares, f.dead_shares, f.epoch, f.unstake_cooldown_secs, f.bump) == (
        total + minted,
        staker_shares + shares,
        dead + new_dead,
        epoch,
        f0.unstake_cooldown_secs,
        f0.bump,
    )
    assert (insurance_balance(exchange), wallet(exchange, u)) == (v0 + amount, w0 - amount)
    s = stake_of(exchange, u)
    acc = svm.account(address)
    assert acc is not None and acc.owner == exchange.program_id
    assert bytes(acc.data)[:8] == account_discriminator("InsuranceStake") and len(
        acc.data
    ) == account_len("InsuranceStake")
    if s0 is None:
        _, bump = Pubkey.find_program_address(
            [b"insurance_stake", bytes(u.authority)], exchange.program_id
        )
        assert (s.authority, s.shares, s.requested_shares, s.request_ts, s.bump) == (
            u.authority,
            shares,
            0,
            0,
            bump,
        )
        assert acc.lamports >= svm.svm.minimum_balance_for_rent_exemption(
            account_len("InsuranceStake")
        )
    else:  # reused: same account, same rent, only the shares move
        assert acc.lamports == acc0.lamports
        assert (s.authority, s.shares, s.requested_shares, s.request_ts, s.bump) == (
            s0.authority,
            s0.shares + shares,
            s0.requested_shares,
            s0.request_ts,
            s0.bump,
        )
    ev = single_event(out, "InsuranceStakeChanged")
    assert (ev.authority, ev.amount, ev.shares, ev.total_shares, ev.vault_balance, ev.ts) == (
        u.authority,
        amount,
        shares,
        total + minted,
        v0 + amount,
        svm.clock().unix_timestamp,
    )
    return shares


def request(exchange: LocalExchange, u: LocalUser, shares: int):
    return exchange.svm.send(
        [ix.request_remove_insurance_stake(u.authority, shares, exchange.program_id)],
        [u.keypair],
        payer=u.keypair,
    )


def remove(exchange: LocalExchange, u: LocalUser, dest: Pubkey | None = None):
    i = ix.remove_insurance_stake(u.authority, u.token_account, exchange.program_id)
    if dest is not None:
        i = with_account(i, RM_DEST, dest)
    return exchange.svm.send([i], [u.keypair], payer=u.keypair)


def request_and_remove(exchange: LocalExchange, u: LocalUser, shares: int) -> int:
    """Request ``shares``, wait the cooldown, remove; every change checked. Returns the amount paid."""
    svm = exchange.svm
    assert request(exchange, u, shares).ok
    s = stake_of(exchange, u)
    assert (s.requested_shares, s.request_ts) == (shares, svm.clock().unix_timestamp)
    advance(svm, fund(exchange).unstake_cooldown_secs)
    f0, v0, s0, w0 = (
        fund(exchange),
        insurance_balance(exchange),
        stake_of(exchange, u),
        wallet(exchange, u),
    )
    amount = value(shares, v0, f0.total_shares)
    out = remove(exchange, u)
    assert out.ok, "\n".join(out.logs)
    f, s = fund(exchange), stake_of(exchange, u)
    assert (f.total_shares, f.staker_shares) == (
        f0.total_shares - shares,
        f0.staker_shares - shares,
    )
    assert (s.shares, s.requested_shares) == (s0.shares - shares, 0)
    assert (insurance_balance(exchange), wallet(exchange, u)) == (v0 - amount, w0 + amount)
    ev = single_event(out, "InsuranceStakeChanged")
    assert (ev.authority, ev.amount, ev.shares, ev.total_shares, ev.vault_balance, ev.ts) == (
        u.authority,
        -amount,
        -shares,
        f0.total_shares - shares,
        v0 - amount,
        svm.clock().unix_timestamp,
    )
    return amount


def admin_withdraw(exchange: LocalExchange, amount: int, dest: Pubkey, signer=None):
    signer = signer or exchange.admin
    return exchange.svm.send(
        [ix.admin_withdraw_insurance(signer.pubkey(), dest, amount, exchange.program_id)], [signer]
    )


# ------------------------------------------------------------------------------------------------
# initialize_insurance_fund


def test_initialize_makes_the_vault_balance_protocol_shares(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 12_345_678)
    out = init(exchange, COOLDOWN)
    assert out.ok, out.logs
    address, bump = Pubkey.find_program_address([b"insurance_fund"], exchange.program_id)
    assert address == insurance_fund_pda(exchange.program_id)
    acc = exchange.svm.account(address)
    assert acc is not None and acc.owner == exchange.program_id
    assert len(acc.data) == account_len("InsuranceFund")
    assert bytes(acc.data)[:8] == account_discriminator("InsuranceFund")
    assert acc.lamports >= exchange.svm.svm.minimum_balance_for_rent_exemption(len(acc.data))
    f = fund(exchange)
    assert (f.total_shares, f.staker_shares, f.unstake_cooldown_secs, f.bump) == (
        12_345_678,
        0,
        COOLDOWN,
        bump,
    )
    assert insurance_balance(exchange) == 12_345_678  # no token moves


def test_initialize_on_an_empty_vault(exchange: LocalExchange) -> None:
    assert init(exchange).ok
    f = fund(exchange)
    assert (f.total_shares, f.staker_shares) == (0, 0)


def test_initialize_twice_is_refused(exchange: LocalExchange) -> None:
    assert init(exchange, COOLDOWN).ok
    before = fund(exchange)
    fund_insurance_vault(exchange, 1_000)
    expect_error(init(exchange, 3600), custom.AccountAlreadyInitialized)
    assert fund(exchange) == before


def test_initialize_by_another_signer_is_refused(exchange: LocalExchange) -> None:
    mallory = exchange.svm.funded_keypair(10)
    expect_error(init(exchange, COOLDOWN, signer=mallory), custom.Unauthorized)
    assert exchange.svm.account(insurance_fund_pda(exchange.program_id)) is None


def test_initialize_at_another_address_is_refused(exchange: LocalExchange) -> None:
    good = ix.initialize_insurance_fund(exchange.admin.pubkey(), COOLDOWN, exchange.program_id)
    other, _ = noncanonical_pda([b"insurance_fund"], exchange.program_id)
    for address in (
        Pubkey.new_unique(),
        other,
        insurance_stake_pda(exchange.admin.pubkey(), exchange.program_id),
    ):
        expect_error(
            exchange.svm.send([with_account(good, IF_FUND, address)], [exchange.admin]),
            custom.InvalidPda,
        )
        assert exchange.svm.account(address) is None
    # the insurance vault must be the exchange's
    expect_error(
        exchange.svm.send(
            [with_account(good, IF_VAULT, exchange.collateral_vault)], [exchange.admin]
        ),
        custom.InvalidVault,
    )
    assert exchange.svm.send([good], [exchange.admin]).ok


@pytest.mark.parametrize("cooldown", [-1, MAX_COOLDOWN + 1, -(2**63), 2**63 - 1])
def test_cooldown_out_of_range_is_refused(exchange: LocalExchange, cooldown: int) -> None:
    expect_error(init(exchange, cooldown), custom.InvalidInstructionData)
    assert exchange.svm.account(insurance_fund_pda(exchange.program_id)) is None


@pytest.mark.parametrize("cooldown", [0, MAX_COOLDOWN])
def test_cooldown_bounds_are_accepted(exchange: LocalExchange, cooldown: int) -> None:
    assert init(exchange, cooldown).ok
    assert fund(exchange).unstake_cooldown_secs == cooldown


# ------------------------------------------------------------------------------------------------
# add_insurance_stake


def test_first_stake_into_an_empty_fund_is_one_to_one_less_the_dead_shares(exchange: LocalExchange) -> None:
    assert init(exchange).ok
    u = staker(exchange)
    assert exchange.svm.account(insurance_stake_pda(u.authority, exchange.program_id)) is None
    assert stake_and_check(exchange, u, 1_234_567) == 1_234_567 - DEAD
    f = fund(exchange)
    assert (f.total_shares, f.staker_shares, f.dead_shares) == (1_234_567, 1_234_567 - DEAD, DEAD)
    # a second staker tops nothing up: the dead shares are minted once per epoch
    assert stake_and_check(exchange, staker(exchange), 5_000) == 5_000


def test_a_first_stake_must_exceed_the_dead_shares(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 400)  # 400 protocol shares: 600 more are dead
    assert init(exchange).ok
    u = staker(exchange)
    expect_error(add(exchange, u, 600), custom.InsuranceStakeTooSmall)
    assert (fund(exchange).total_shares, wallet(exchange, u)) == (400, 10_000 * QUOTE)
    assert stake_and_check(exchange, u, 601) == 1
    assert fund(exchange).dead_shares == 600


def test_later_stakes_mint_at_the_share_value_rounded_down(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 1_000_000)
    assert init(exchange).ok
    a, b = staker(exchange), staker(exchange)
    assert stake_and_check(exchange, a, 2_000_000) == 2_000_000  # V == S: still 1:1
    fund_insurance_vault(exchange, 1_500_007)  # V = 4_500_007 over S = 3_000_000
    got = stake_and_check(exchange, b, 333_333)
    assert got == 333_333 * 3_000_000 // 4_500_007 == 222_221
    assert 333_333 * 3_000_000 % 4_500_007 != 0
    # the same staker again: its account is reused
    got2 = stake_and_check(exchange, a, 999_999)
    assert stake_of(exchange, a).shares == 2_000_000 + got2
    f = fund(exchange)
    assert f.staker_shares == 2_000_000 + got + got2
    assert f.total_shares - f.staker_shares == 1_000_000  # the protocol's shares did not move


def test_stake_into_another_authoritys_account_is_refused(exchange: LocalExchange) -> None:
    assert init(exchange).ok
    a, b = staker(exchange), staker(exchange)
    good = ix.add_insurance_stake(b.authority, b.token_account, QUOTE, exchange.program_id)
    a_stake = insurance_stake_pda(a.authority, exchange.program_id)
    # a's stake account does not exist yet: it is not b's PDA
    expect_error(
        exchange.svm.send([with_account(good, ADD_STAKE, a_stake)], [b.keypair], payer=b.keypair),
        custom.InvalidPda,
    )
    assert exchange.svm.account(a_stake) is None
    stake_and_check(exchange, a, 5 * QUOTE)
    before = (stake_of(exchange, a), fund(exchange), wallet(exchange, b))
    expect_error(
        exchange.svm.send([with_account(good, ADD_STAKE, a_stake)], [b.keypair], payer=b.keypair),
        custom.Unauthorized,
    )
    assert (stake_of(exchange, a), fund(exchange), wallet(exchange, b)) == before


def test_stake_amount_checks(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 1_000)
    assert init(exchange).ok
    u = staker(exchange, tokens=100 * QUOTE)
    expect_error(add(exchange, u, 100 * QUOTE + 1), custom.InsufficientTokenBalance)
    expect_error(add(exchange, u, 0), custom.ZeroAmount)
    fund_insurance_vault(exchange, 4_000)  # V = 5_000 over S = 1_000: a share is worth 5 units
    expect_error(add(exchange, u, 4), custom.ZeroAmount)  # floor(4 * 1000 / 5000) == 0
    assert exchange.svm.account(insurance_stake_pda(u.authority, exchange.program_id)) is None
    assert wallet(exchange, u) == 100 * QUOTE
    assert stake_and_check(exchange, u, 5) == 1
    assert stake_and_check(exchange, u, 100 * QUOTE - 5) == (100 * QUOTE - 5) * 1_001 // 5_005
    expect_error(add(exchange, u, 1), custom.InsufficientTokenBalance)


def test_stake_from_another_owners_token_account_is_refused(exchange: LocalExchange) -> None:
    assert init(exchange).ok
    a, b = staker(exchange), staker(exchange)
    i = ix.add_insurance_stake(a.authority, b.token_account, QUOTE, exchange.program_id)
    expect_error(
        exchange.svm.send([i], [a.keypair], payer=a.keypair), custom.TokenAccountOwnerMismatch
    )


def test_stake_before_the_fund_exists_is_refused(exchange: LocalExchange) -> None:
    u = staker(exchange)
    expect_error(add(exchange, u, QUOTE), custom.InvalidAccountOwner)


# ------------------------------------------------------------------------------------------------
# request_remove_insurance_stake / remove_insurance_stake


def test_request_checks_the_shares_and_the_owner(exchange: LocalExchange) -> None:
    assert init(exchange).ok
    a, b = staker(exchange), staker(exchange)
    held = stake_and_check(exchange, a, 7 * QUOTE + DEAD)
    assert held == 7 * QUOTE
    stake_and_check(exchange, b, QUOTE)
    expect_error(request(exchange, a, 0), custom.InsufficientShares)
    expect_error(request(exchange, a, 7 * QUOTE + 1), custom.InsufficientShares)
    i = ix.request_remove_insurance_stake(b.authority, QUOTE, exchange.program_id)
    a_stake = insurance_stake_pda(a.authority, exchange.program_id)
    expect_error(
        exchange.svm.send([with_account(i, RR_STAKE, a_stake)], [b.keypair], payer=b.keypair),
        custom.Unauthorized,
    )
    assert (stake_of(exchange, a).requested_shares, stake_of(exchange, a).request_ts) == (0, 0)
    assert request(exchange, a, 7 * QUOTE).ok
    s = stake_of(exchange, a)
    assert (s.shares, s.requested_shares, s.request_ts) == (
        7 * QUOTE,
        7 * QUOTE,
        exchange.svm.clock().unix_timestamp,
    )
    # a new request replaces the old one and restarts the cooldown
    advance(exchange.svm, 1000)
    assert request(exchange, a, 3 * QUOTE).ok
    s = stake_of(exchange, a)
    assert (s.requested_shares, s.request_ts) == (3 * QUOTE, exchange.svm.clock().unix_timestamp)


def test_remove_waits_for_the_cooldown_and_pays_the_share_value(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 3_000_001)
    assert init(exchange).ok
    u = staker(exchange)
    expect_error(remove(exchange, u), custom.InvalidAccountOwner)  # no stake account yet
    shares = stake_and_check(exchange, u, 2_000_000)
    expect_error(remove(exchange, u), custom.InsufficientShares)  # nothing requested
    fund_insurance_vault(exchange, 777)  # V = 5_000_778 over S = 5_000_001
    assert request(exchange, u, shares).ok
    t = exchange.svm.clock().unix_timestamp
    advance(exchange.svm, COOLDOWN - 1)
    expect_error(remove(exchange, u), custom.CooldownNotElapsed)
    advance(exchange.svm, 1)
    assert exchange.svm.clock().unix_timestamp == t + COOLDOWN
    # to another owner's token account: refused
    other = staker(exchange)
    expect_error(remove(exchange, u, other.token_account), custom.TokenAccountOwnerMismatch)
    f0, v0, w0 = fund(exchange), insurance_balance(exchange), wallet(exchange, u)
    want = shares * v0 // f0.total_shares
    assert want == 2_000_000 * 5_000_778 // 5_000_001 == 2_000_310
    out = remove(exchange, u)
    assert out.ok, out.logs
    assert wallet(exchange, u) == w0 + want
    assert insurance_balance(exchange) == v0 - want
    f, s = fund(exchange), stake_of(exchange, u)
    assert (f.total_shares, f.staker_shares, s.shares, s.requested_shares) == (3_000_001, 0, 0, 0)
    ev = single_event(out, "InsuranceStakeChanged")
    assert (ev.authority, ev.amount, ev.shares, ev.total_shares, ev.vault_balance) == (
        u.authority,
        -want,
        -shares,
        3_000_001,
        v0 - want,
    )
    # the request is used up
    expect_error(remove(exchange, u), custom.InsufficientShares)
    expect_error(request(exchange, u, 1), custom.InsufficientShares)


def test_another_authority_cannot_remove_a_stake(exchange: LocalExchange) -> None:
    assert init(exchange, 0).ok
    a, b = staker(exchange), staker(exchange)
    stake_and_check(exchange, a, 3 * QUOTE + DEAD)
    stake_and_check(exchange, b, QUOTE)
    assert request(exchange, a, 3 * QUOTE).ok
    assert request(exchange, b, QUOTE).ok
    i = ix.remove_insurance_stake(b.authority, b.token_account, exchange.program_id)
    a_stake = insurance_stake_pda(a.authority, exchange.program_id)
    expect_error(
        exchange.svm.send([with_account(i, RM_STAKE, a_stake)], [b.keypair], payer=b.keypair),
        custom.Unauthorized,
    )
    assert stake_of(exchange, a).shares == 3 * QUOTE


def test_partial_removals_and_a_zero_cooldown(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 10)
    assert init(exchange, 0).ok
    u = staker(exchange)
    assert stake_and_check(exchange, u, 1_990) == 1_000  # 990 dead shares complete the 10 of the protocol
    fund_insurance_vault(exchange, 3)  # V = 2_003 over S = 2_000
    paid = [request_and_remove(exchange, u, n) for n in (1, 333, 666)]
    assert paid[0] == 1 * 2_003 // 2_000 == 1
    assert sum(paid) <= 1_000 * 2_003 // 2_000 + 1
    f = fund(exchange)
    assert (f.total_shares, f.staker_shares, f.dead_shares) == (1_000, 0, 990)


# ------------------------------------------------------------------------------------------------
# the share value moves with revenue and bankruptcy cover


def test_revenue_raises_the_share_value(exchange: LocalExchange) -> None:
    assert init(exchange).ok
    a, b = staker(exchange), staker(exchange)
    stake_and_check(exchange, a, 3 * QUOTE + DEAD)  # the first stake pays for the dead shares
    stake_and_check(exchange, b, 2 * QUOTE + 1)
    f = fees_market(exchange)
    exchange.svm.send_ok([ix.settle_pnl(f.a.address, f.index)])
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    assert sweep_and_check(exchange, f.index) == 592_148
    fd = fund(exchange)
    s = 5 * QUOTE + 1 + DEAD
    assert (fd.total_shares, fd.staker_shares) == (s, 5 * QUOTE + 1)  # no shares minted
    v = insurance_balance(exchange)
    assert v == s + 592_148
    paid_a = request_and_remove(exchange, a, 3 * QUOTE)
    assert paid_a == 3 * QUOTE * v // s > 3 * QUOTE
    paid_b = request_and_remove(exchange, b, 2 * QUOTE + 1)
    assert paid_b == (2 * QUOTE + 1) * (v - paid_a) // (2 * QUOTE + 1 + DEAD) > 2 * QUOTE + 1
    # the dead shares keep their part of the revenue in the fund
    assert insurance_balance(exchange) == v - paid_a - paid_b > DEAD


def test_bankruptcy_cover_lowers_the_share_value(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 20 * QUOTE)
    assert init(exchange).ok
    u = staker(exchange, tokens=200 * QUOTE)
    shares = stake_and_check(exchange, u, 100 * QUOTE)
    assert shares == 100 * QUOTE
    s = bankrupt(exchange, crash_to=85 * PRICE)
    got = resolve_and_check(exchange, s.target, s.index)
    assert got["insurance_paid"] == 120 * QUOTE  # all of it: the rest is larger
    assert insurance_balance(exchange) == 0
    fd = fund(exchange)
    assert (fd.total_shares, fd.staker_shares) == (120 * QUOTE, 100 * QUOTE)
    # the shares are worth nothing now; a new stake into the empty vault mints amount * S / 1 shares
    assert request(exchange, u, shares).ok
    advance(exchange.svm, COOLDOWN)
    out = remove(exchange, u)
    assert out.ok
    assert single_event(out, "InsuranceStakeChanged").amount == 0
    assert stake_of(exchange, u).shares == 0


def test_partial_bankruptcy_cover_hits_every_share_alike(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 300 * QUOTE)
    assert init(exchange).ok
    u = staker(exchange, tokens=1_000 * QUOTE)
    shares = stake_and_check(exchange, u, 700 * QUOTE)
    s = bankrupt(exchange)
    got = resolve_and_check(exchange, s.target, s.index)
    assert 0 < got["insurance_paid"] < 1_000 * QUOTE and got["socialised"] == 0
    v = insurance_balance(exchange)
    assert v == 1_000 * QUOTE - got["insurance_paid"]
    paid = request_and_remove(exchange, u, shares)
    assert paid == shares * v // (1_000 * QUOTE) < 700 * QUOTE
    # the protocol bears its part too: what is left is its 300 shares' value
    dest = exchange.svm.token_account(exchange.admin.pubkey(), exchange.mint)
    left = insurance_balance(exchange)
    expect_error(admin_withdraw(exchange, left + 1, dest), custom.InsuranceLimit)
    assert admin_withdraw(exchange, left, dest).ok
    assert exchange.svm.token_balance(dest) == left
    assert market(exchange, s.index).pnl_pool >= got["insurance_paid"]


# ------------------------------------------------------------------------------------------------
# admin_withdraw_insurance


def test_admin_withdraws_at_most_the_protocols_share(exchange: LocalExchange) -> None:
    fund_insurance_vault(exchange, 1_000_003)
    assert init(exchange).ok
    u = staker(exchange)
    stake_and_check(exchange, u, 2_000_000)
    fund_insurance_vault(
        exchange, 1_234_567
    )  # V = 4_234_570 over S = 3_000_003, protocol 1_000_003
    dest = exchange.svm.token_account(exchange.admin.pubkey(), exchange.mint)
    f0, v0 = fund(exchange), insurance_balance(exchange)
    protocol = f0.total_shares - f0.staker_shares
    limit = protocol * v0 // f0.total_shares
    staker_value = f0.staker_shares * v0 // f0.total_shares
    assert limit == 1_000_003 * 4_234_570 // 3_000_003 == 1_411_526
    expect_error(admin_withdraw(exchange, 0, dest), custom.ZeroAmount)
    expect_error(admin_withdraw(exchange, limit + 1, dest), custom.InsuranceLimit)
    mallory = exchange.svm.funded_keypair(1)
    expect_error(admin_withdraw(exchange, 1, dest, signer=mallory), custom.Unauthorized)
    wrong_mint = exchange.svm.token_account(
        exchange.admin.pubkey(), exchange.svm.create_mint(mallory.pubkey())
    )
    expect_error(admin_withdraw(exchange, 1, wrong_mint), custom.InvalidTokenAccount)
    assert (fund(exchange), insurance_balance(exchange)) == (f0, v0)

    part = 700_001
    burn = -(-part * f0.total_shares // v0)
    out = admin_withdraw(exchange, part, dest)
    assert out.ok, out.logs
    f = fund(exchange)
    assert (f.total_shares, f.staker_shares) == (f0.total_shares - burn, f0.staker_shares)
    assert (insurance_balance(exchange), exchange.svm.token_balance(dest)) == (v0 - part, part)
    ev = single_event(out, "InsuranceStakeChanged")
    assert (ev.authority, ev.amount, ev.shares, ev.total_shares, ev.vault_balance) == (
        exchange.admin.pubkey(),
        -part,
        -burn,
        f0.total_shares - burn,
        v0 - part,
    )
    # the stakers' value did not drop (the burn is rounded up)
    assert f.staker_shares * (v0 - part) // f.total_shares >= staker_value
    # the rest of the protocol's value, and not a unit more
    v1 = v0 - part
    limit2 = (f.total_shares - f.staker_shares) * v1 // f.total_shares
    expect_error(admin_withdraw(exchange, limit2 + 1, dest), custom.InsuranceLimit)
    assert admin_withdraw(exchange, limit2, dest).ok
    f2, v2 = fund(exchange), insurance_balance(exchange)
    limit3 = (f2.total_shares - f2.staker_shares) * v2 // f2.total_shares
    assert limit3 <= 1  # the first withdrawal's rounded-up burn leaves at most a unit behind
    expect_error(admin_withdraw(exchange, limit3 + 1, dest), custom.InsuranceLimit)
    assert f2.staker_shares * v2 // f2.total_shares >= staker_value
    # the staker can still take out its whole value
    paid = request_and_remove(exchange, u, 2_000_000)
    assert paid >= staker_value


def test_admin_cannot_withdraw_stakers_funds(exchange: LocalExchange) -> None:
    assert init(exchange).ok
    u = staker(exchange)
    stake_and_check(exchange, u, 5 * QUOTE)
    dest = exchange.svm.token_account(exchange.admin.pubkey(), exchange.mint)
    expect_error(admin_withdraw(exchange, 1, dest), custom.InsuranceLimit)


def test_revenue_swept_before_the_first_stake_stays_with_the_protocol(
    exchange: LocalExchange,
) -> None:
    """The fund is initialised on an empty vault (S = 0), revenue is swept in, then a user stakes.

    stakes.c: "the protocol owns the shares no InsuranceStake holds" and revenue raises V "without
    minting". The revenue arrived before any stake, so it is the protocol's; a first stake must buy its
    shares at the value they get, not 1:1 against a vault that already holds the revenue. Expected:
    the staker can take out what it staked (give or take rounding) and the admin the revenue."""
    assert init(exchange).ok
    f = fees_market(exchange)
    exchange.svm.send_ok([ix.settle_pnl(f.a.address, f.index)])
    exchange.svm.send_ok([ix.settle_pnl(f.b.address, f.index)])
    revenue = sweep_and_check(exchange, f.index)
    assert revenue == 592_148 and insurance_balance(exchange) == revenue
    fd = fund(exchange)
    assert (fd.total_shares, fd.staker_shares) == (0, 0)
    u = staker(exchange)
    amount = 1  # one unit of collateral
    assert add(exchange, u, amount).ok
    fd = fund(exchange)
    v = insurance_balance(exchange)
    shares = stake_of(exchange, u).shares
    # after the cooldown the staker takes its shares' value out
    w0 = wallet(exchange, u)
    assert request(exchange, u, shares).ok
    advance(exchange.svm, COOLDOWN)
    assert remove(exchange, u).ok
    paid = wallet(exchange, u) - w0
    left = insurance_balance(exchange)
    assert (paid, left) == (amount, revenue), (
        f"a first stake of {amount} into a fund holding {revenue} of swept revenue and no shares minted "
        f"{shares} shares (total {fd.total_shares}, staker {fd.staker_shares}, vault {v}); removing them "
        f"paid {paid} and left {left} for the protocol"
    )


def test_a_drained_fund_can_be_recapitalised(exchange: LocalExchange) -> None:
    """Bankruptcy cover can empty the vault while shares remain (S > 0, V = 0). stakes.c then divides by 1
    instead of V: a stake mints amount * S shares, and any stake above I64_MAX / S units is refused with
    ZeroAmount (or MathOverflow above U64_MAX / S). Here S = 200 QUOTE of shares, so no stake of 46,117 QUOTE
    or more can enter the drained fund. Expected: the stake lands and is worth what was staked (less a unit
    of rounding)."""
    fund_insurance_vault(exchange, 200 * QUOTE)
    assert init(exchange).ok
    s = bankrupt(exchange, crash_to=85 * PRICE)
    got = resolve_and_check(exchange, s.target, s.index)
    assert got["insurance_paid"] == 200 * QUOTE and insurance_balance(exchange) == 0
    assert fund(exchange).total_shares == 200 * QUOTE
    u = staker(exchange, tokens=50_000 * QUOTE)
    out = add(exchange, u, 50_000 * QUOTE)
    assert out.ok, f"a 50,000 QUOTE stake into the drained fund failed with {out.error_name}"
    fd, v = fund(exchange), insurance_balance(exchange)
    assert stake_of(exchange, u).shares * v // fd.total_shares >= 50_000 * QUOTE - DEAD - 1  # less the new dead shares


# ------------------------------------------------------------------------------------------------
# attacks (security review, issue 12 items 9 and 12, and the wipe-out low)


def test_share_inflation_by_the_first_staker_costs_the_attacker_its_donation(exchange: LocalExchange) -> None:
    """The first staker stakes the least it can, sends 1,000 QUOTE straight to the vault so that its one
    share is worth more than the next staker's deposit, and hopes to take part of that deposit through
    the rounding of its shares. Before the dead shares: 1 unit bought the only share, the victim's
    500 QUOTE minted floor(500e6 * 1 / 1000e6) = 0 shares (refused), 1,500 QUOTE minted 1 share worth
    half the fund, and the attacker took 250 QUOTE of it. Now the donation is shared with the dead
    shares: the victim keeps its deposit within 0.1%, and the attacker loses almost all it sent."""
    assert init(exchange, 0).ok
    attacker, victim = staker(exchange, tokens=2_000 * QUOTE), staker(exchange, tokens=500 * QUOTE)
    expect_error(add(exchange, attacker, 1), custom.InsuranceStakeTooSmall)
    assert stake_and_check(exchange, attacker, DEAD + 1) == 1
    fund_insurance_vault(exchange, 1_000 * QUOTE)  # stands for a plain SPL transfer into the vault
    spent = DEAD + 1 + 1_000 * QUOTE
    shares = stake_and_check(exchange, victim, 500 * QUOTE)
    assert shares > 0
    f, v = fund(exchange), insurance_balance(exchange)
    victim_value = shares * v // f.total_shares
    assert 500 * QUOTE - victim_value < 500 * QUOTE // 1_000
    got_attacker = request_and_remove(exchange, attacker, 1)
    got_victim = request_and_remove(exchange, victim, shares)
    assert got_victim == victim_value
    assert got_attacker < spent // 1_000  # it lost what it sent
    assert (500 * QUOTE - got_victim) * 1_000 < spent - got_attacker  # its loss, 1,000 times the victim's


def test_a_unit_sent_to_a_drained_vault_does_not_keep_the_old_shares_alive(exchange: LocalExchange) -> None:
    """A bankruptcy empties the vault while 300 QUOTE of shares remain; someone sends one unit to the vault.
    Before: the old shares stayed alive over that unit, the next stake minted amount * 300e6 shares, and
    any stake above I64_MAX / 300e6 units (30,744 QUOTE) failed. Now a fund worth less than one token
    per INSURANCE_WIPEOUT_SHARES_PER_UNIT shares starts a new epoch at the next stake."""
    fund_insurance_vault(exchange, 200 * QUOTE)
    assert init(exchange).ok
    old = staker(exchange, tokens=100 * QUOTE)
    stake_and_check(exchange, old, 100 * QUOTE)
    s = bankrupt(exchange, crash_to=85 * PRICE)
    assert resolve_and_check(exchange, s.target, s.index)["insurance_paid"] == 300 * QUOTE
    fund_insurance_vault(exchange, 1)
    epoch = fund(exchange).epoch
    u = staker(exchange, tokens=50_000 * QUOTE)
    shares = stake_and_check(exchange, u, 50_000 * QUOTE)
    f, v = fund(exchange), insurance_balance(exchange)
    assert f.epoch == epoch + 1 and f.total_shares == 1 + 50_000 * QUOTE
    assert shares * v // f.total_shares >= 50_000 * QUOTE - DEAD
    assert stake_of(exchange, old).epoch == epoch  # voided: its next use clears it
    expect_error(request(exchange, old, 1), custom.InsufficientShares)


def test_a_removal_request_expires_after_its_window(exchange: LocalExchange) -> None:
    """A request made long ago was a standing option to leave at once (for instance on seeing a bankrupting
    liquidation). It can now be executed only during INSURANCE_REMOVAL_WINDOW_SECS after the cooldown."""
    fund_insurance_vault(exchange, QUOTE)
    assert init(exchange).ok
    u = staker(exchange)
    shares = stake_and_check(exchange, u, 5 * QUOTE)
    assert request(exchange, u, shares).ok
    advance(exchange.svm, COOLDOWN + WINDOW + 1)
    expect_error(remove(exchange, u), custom.RemovalRequestExpired)
    assert stake_of(exchange, u).shares == shares
    # at the window's last second it still goes through
    assert request(exchange, u, shares).ok
    advance(exchange.svm, COOLDOWN + WINDOW)
    assert remove(exchange, u).ok
    assert stake_of(exchange, u).shares == 0


def test_a_staker_cannot_leave_between_a_bankrupting_liquidation_and_its_cover(exchange: LocalExchange) -> None:
    """The staker's request is ripe when a liquidation leaves a user below zero. Before: it removed its
    whole stake before resolve_bankruptcy ran, and the others (here the protocol) paid its part of the
    loss. Now removals (and the admin's withdrawal) wait with BankruptcyPending until the cover lands."""
    fund_insurance_vault(exchange, 300 * QUOTE)
    assert init(exchange).ok
    u = staker(exchange, tokens=1_000 * QUOTE)
    shares = stake_and_check(exchange, u, 700 * QUOTE)
    assert request(exchange, u, shares).ok
    advance(exchange.svm, COOLDOWN)
    assert exchange.state().bankrupt_users == 0
    s = bankrupt(exchange)
    ex = exchange.state()
    assert ex.bankrupt_users == 1 and ex.last_bankruptcy_ts == exchange.svm.clock().unix_timestamp
    before = (fund(exchange), stake_of(exchange, u), insurance_balance(exchange))
    expect_error(remove(exchange, u), custom.BankruptcyPending)
    dest = exchange.svm.token_account(exchange.admin.pubkey(), exchange.mint)
    expect_error(admin_withdraw(exchange, 1, dest), custom.BankruptcyPending)
    assert (fund(exchange), stake_of(exchange, u), insurance_balance(exchange)) == before
    got = resolve_and_check(exchange, s.target, s.index)
    assert got["insurance_paid"] > 0 and exchange.state().bankrupt_users == 0
    v = insurance_balance(exchange)
    paid = shares * v // fund(exchange).total_shares
    out = remove(exchange, u)
    assert out.ok, out.logs
    assert paid == wallet(exchange, u) - 300 * QUOTE < 700 * QUOTE  # it bore its part of the cover


def test_the_removal_lock_ends_a_day_after_the_last_bankruptcy(exchange: LocalExchange) -> None:
    """A flagged user that never becomes resolvable (it deposited again and keeps a position, so it is
    not flat) must not freeze the fund for good: the lock lasts BANKRUPTCY_REMOVAL_LOCK_SECS."""
    fund_insurance_vault(exchange, 300 * QUOTE)
    assert init(exchange, 0).ok
    u = staker(exchange)
    shares = stake_and_check(exchange, u, 100 * QUOTE)
    bankrupt(exchange)
    assert request(exchange, u, shares).ok
    expect_error(remove(exchange, u), custom.BankruptcyPending)
    advance(exchange.svm, LOCK - 1)
    expect_error(remove(exchange, u), custom.BankruptcyPending)
    advance(exchange.svm, 1)
    assert exchange.state().bankrupt_users == 1
    assert remove(exchange, u).ok
