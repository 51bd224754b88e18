"""Margin accounts: initialize_user, set_user_delegate, deposit, withdraw.

Token balances are read straight from the SPL Token account bytes; expected balances, collateral
and totals are tracked in the test. Users that hold collateral are registered with the exchange
fixture, whose teardown checks vault == exchange total == users' collateral + PnL pools.
"""

from __future__ import annotations

import dataclasses

import pytest
from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID
from spl.token.instructions import (
    ApproveParams,
    InitializeAccountParams,
    approve,
    initialize_account,
)

from keepers.exchange import instructions as ix
from localnet.bootstrap import LocalExchange, LocalUser
from localnet.svm import LocalSvm
from programs_client.perp.accounts import Exchange, User
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from tests.program.tamper import with_account
from tests.program.helpers import (
    account_discriminator,
    account_len,
    expect_error,
    events,
    noncanonical_pda,
    single_event,
)

USER_LEN = account_len("User")
COLLATERAL_OFFSET = 8 + 32 + 32
# account indexes (idl/perp.json order)
IU_AUTHORITY, IU_EXCHANGE, IU_USER, IU_SYSTEM = range(4)
D_AUTHORITY, D_EXCHANGE, D_USER, D_SOURCE, D_VAULT, D_TOKEN = range(6)
W_AUTHORITY, W_EXCHANGE, W_USER, W_VAULT, W_DEST, W_TOKEN = range(6)


def user_pda(authority: Pubkey, sub_id: int, program_id: Pubkey) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address(
        [b"user", bytes(authority), sub_id.to_bytes(2, "little")], program_id
    )


def rent(svm: LocalSvm, size: int) -> int:
    return svm.svm.minimum_balance_for_rent_exemption(size)


def balances(ex: LocalExchange, *accounts: Pubkey) -> list[int]:
    return [ex.svm.token_balance(a) for a in accounts]


def collateral(ex: LocalExchange, user: LocalUser) -> int:
    return ex.svm.decode(User, user.address).collateral


def copy_to(
    svm: LocalSvm, source: Pubkey, *, owner: Pubkey | None = None, extra: bytes = b""
) -> Pubkey:
    acc = svm.account(source)
    assert acc is not None
    new = Pubkey.new_unique()
    data = bytes(acc.data) + extra
    svm.set_account(
        new, Account(max(acc.lamports, rent(svm, len(data))), data, owner or acc.owner, False, 0)
    )
    return new


def snapshot(ex: LocalExchange, *addresses: Pubkey) -> list[bytes | None]:
    out = []
    for a in addresses:
        acc = ex.svm.account(a)
        out.append(None if acc is None else bytes(acc.data))
    return out


def assert_user_fields(
    u: User, authority: Pubkey, delegate: Pubkey, sub_id: int, bump: int, collateral_: int = 0
) -> None:
    assert u.authority == authority
    assert u.delegate == delegate
    assert u.collateral == collateral_
    assert len(u.positions) == 8
    for p in u.positions:
        assert (
            p.base_amount,
            p.quote_entry_amount,
            p.last_cumulative_funding,
            p.open_bids,
            p.open_asks,
            p.unsettled_pnl,
            p.market_index,
            p.open_orders,
            list(p.padding),
        ) == (0, 0, 0, 0, 0, 0, 0, 0, [0] * 5)
    assert u.sub_id == sub_id
    assert u.bump == bump
    assert u.flags == 0
    assert list(u.padding) == [0, 0, 0, 0]


# ------------------------------------------------------------------------------------------------
# initialize_user


def test_initialize_user_without_delegate(exchange: LocalExchange) -> None:
    svm = exchange.svm
    kp = svm.funded_keypair(2)
    before = exchange.state()
    bal = svm.svm.get_balance(kp.pubkey())
    out = svm.send_ok([ix.initialize_user(kp.pubkey(), 0)], [kp])  # harness payer pays the fee
    addr, bump = user_pda(kp.pubkey(), 0, exchange.program_id)
    acc = svm.account(addr)
    assert acc is not None and acc.owner == exchange.program_id
    assert len(acc.data) == USER_LEN == 536
    assert bytes(acc.data)[:8] == account_discriminator("User")
    assert acc.lamports == rent(svm, USER_LEN)
    assert bal - svm.svm.get_balance(kp.pubkey()) == rent(
        svm, USER_LEN
    )  # the authority paid the rent
    assert_user_fields(svm.decode(User, addr), kp.pubkey(), Pubkey.default(), 0, bump)
    assert exchange.state() == before
    assert events(out) == []


def test_initialize_user_with_delegate_and_two_sub_ids(exchange: LocalExchange) -> None:
    svm = exchange.svm
    kp = svm.funded_keypair(2)
    delegate = Keypair().pubkey()
    svm.send_ok([ix.initialize_user(kp.pubkey(), 0, delegate)], [kp], payer=kp)
    svm.send_ok([ix.initialize_user(kp.pubkey(), 7)], [kp], payer=kp)
    svm.send_ok([ix.initialize_user(kp.pubkey(), 0xFFFF, kp.pubkey())], [kp], payer=kp)
    a0, b0 = user_pda(kp.pubkey(), 0, exchange.program_id)
    a7, b7 = user_pda(kp.pubkey(), 7, exchange.program_id)
    am, bm = user_pda(kp.pubkey(), 0xFFFF, exchange.program_id)
    assert len({a0, a7, am}) == 3
    assert_user_fields(svm.decode(User, a0), kp.pubkey(), delegate, 0, b0)
    assert_user_fields(svm.decode(User, a7), kp.pubkey(), Pubkey.default(), 7, b7)
    assert_user_fields(svm.decode(User, am), kp.pubkey(), kp.pubkey(), 0xFFFF, bm)


def test_initialize_user_twice_is_rejected(exchange: LocalExchange) -> None:
    svm = exchange.svm
    kp = svm.funded_keypair(2)
    svm.send_ok([ix.initialize_user(kp.pubkey(), 3)], [kp])
    addr = user_pda(kp.pubkey(), 3, exchange.program_id)[0]
    before = snapshot(exchange, addr)
    expect_error(
        svm.send([ix.initialize_user(kp.pubkey(), 3, Keypair().pubkey())], [kp]),
        custom.AccountAlreadyInitialized,
    )
    assert snapshot(exchange, addr) == before


def test_initialize_user_does_not_reset_a_funded_account(exchange: LocalExchange) -> None:
    user = exchange.add_user(tokens=10 * QUOTE, deposit=4 * QUOTE)
    out = exchange.svm.send([ix.initialize_user(user.authority, 0)], [user.keypair])
    expect_error(out, custom.AccountAlreadyInitialized)
    assert collateral(exchange, user) == 4 * QUOTE


def _wrong_user_address(exchange: LocalExchange, kp: Keypair, kind: str) -> Pubkey:
    pid = exchange.program_id
    if kind == "random":
        return Pubkey.new_unique()
    if kind == "other_authority":
        return user_pda(Keypair().pubkey(), 0, pid)[0]
    if kind == "other_sub_id":
        return user_pda(kp.pubkey(), 1, pid)[0]
    if kind == "noncanonical":
        return noncanonical_pda([b"user", bytes(kp.pubkey()), (0).to_bytes(2, "little")], pid)[0]
    if kind == "sub_id_big_endian":
        return Pubkey.find_program_address(
            [b"user", bytes(kp.pubkey()), (0x0100).to_bytes(2, "big")], pid
        )[0]
    if kind == "no_sub_id":
        return Pubkey.find_program_address([b"user", bytes(kp.pubkey())], pid)[0]
    if kind == "other_program":
        return user_pda(kp.pubkey(), 0, Pubkey.new_unique())[0]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "random",
        "other_authority",
        "other_sub_id",
        "noncanonical",
        "sub_id_big_endian",
        "no_sub_id",
        "other_program",
    ],
)
def test_initialize_user_rejects_wrong_pda(exchange: LocalExchange, kind: str) -> None:
    svm = exchange.svm
    kp = svm.funded_keypair(2)
    sub_id = 0x0100 if kind == "sub_id_big_endian" else 0
    bad = _wrong_user_address(exchange, kp, kind)
    i = with_account(ix.initialize_user(kp.pubkey(), sub_id), IU_USER, bad)
    expect_error(svm.send([i], [kp]), custom.InvalidPda)
    assert svm.account(bad) is None
    assert svm.account(user_pda(kp.pubkey(), sub_id, exchange.program_id)[0]) is None


@pytest.mark.parametrize("prefund", ["below_rent", "above_rent"])
def test_initialize_user_succeeds_on_prefunded_address(
    exchange: LocalExchange, prefund: str
) -> None:
    svm = exchange.svm
    kp = svm.funded_keypair(2)
    addr, bump = user_pda(kp.pubkey(), 0, exchange.program_id)
    lamports = 890 if prefund == "below_rent" else rent(svm, USER_LEN) * 2
    svm.set_account(addr, Account(lamports, b"", SYSTEM_PROGRAM_ID, False, 0))
    svm.send_ok([ix.initialize_user(kp.pubkey(), 0)], [kp])
    acc = svm.account(addr)
    assert acc.owner == exchange.program_id and acc.lamports == max(lamports, rent(svm, USER_LEN))
    assert_user_fields(svm.decode(User, addr), kp.pubkey(), Pubkey.default(), 0, bump)


def test_initialize_user_rejects_address_owned_by_another_program(exchange: LocalExchange) -> None:
    svm = exchange.svm
    kp = svm.funded_keypair(2)
    addr = user_pda(kp.pubkey(), 0, exchange.program_id)[0]
    svm.set_account(addr, Account(rent(svm, 0), b"", Pubkey.new_unique(), False, 0))
    expect_error(
        svm.send([ix.initialize_user(kp.pubkey(), 0)], [kp]), custom.AccountAlreadyInitialized
    )


def test_initialize_user_requires_signature(exchange: LocalExchange) -> None:
    svm = exchange.svm
    victim = Keypair().pubkey()
    i = with_account(ix.initialize_user(victim, 0), IU_AUTHORITY, is_signer=False)
    expect_error(svm.send([i]), custom.MissingSigner)
    assert svm.account(user_pda(victim, 0, exchange.program_id)[0]) is None


@pytest.mark.parametrize("index", [IU_AUTHORITY, IU_USER])
def test_initialize_user_requires_writable(exchange: LocalExchange, index: int) -> None:
    kp = exchange.svm.funded_keypair(2)
    i = with_account(ix.initialize_user(kp.pubkey(), 0), index, is_writable=False)
    expect_error(exchange.svm.send([i], [kp]), custom.AccountNotWritable)


@pytest.mark.parametrize(
    "replacement",
    [TOKEN_PROGRAM_ID, Pubkey.from_string("11111111111111111111111111111112")],
    ids=["token", "random"],
)
def test_initialize_user_rejects_wrong_system_program(
    exchange: LocalExchange, replacement: Pubkey
) -> None:
    kp = exchange.svm.funded_keypair(2)
    i = with_account(ix.initialize_user(kp.pubkey(), 0), IU_SYSTEM, replacement)
    expect_error(exchange.svm.send([i], [kp]), custom.InvalidProgramId)


def test_initialize_user_exchange_checks(exchange: LocalExchange) -> None:
    svm = exchange.svm
    kp = svm.funded_keypair(2)
    other = exchange.add_user(tokens=0)
    market = exchange.market_address(exchange.add_market("SOL-PERP"))
    fake = copy_to(svm, exchange.address, owner=Pubkey.new_unique())
    base = ix.initialize_user(kp.pubkey(), 0)
    expect_error(
        svm.send([with_account(base, IU_EXCHANGE, fake)], [kp]), custom.InvalidAccountOwner
    )
    expect_error(
        svm.send([with_account(base, IU_EXCHANGE, other.address)], [kp]),
        custom.InvalidDiscriminator,
    )
    expect_error(
        svm.send([with_account(base, IU_EXCHANGE, market)], [kp]), custom.InvalidDiscriminator
    )
    assert svm.account(user_pda(kp.pubkey(), 0, exchange.program_id)[0]) is None


def test_initialize_user_before_the_exchange_exists(svm: LocalSvm) -> None:
    kp = svm.funded_keypair(2)
    expect_error(svm.send([ix.initialize_user(kp.pubkey(), 0)], [kp]), custom.InvalidAccountOwner)


# ------------------------------------------------------------------------------------------------
# set_user_delegate


def test_set_user_delegate(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=10 * QUOTE, deposit=3 * QUOTE, sub_id=2)
    d1, d2 = Keypair().pubkey(), Keypair().pubkey()
    before = svm.decode(User, user.address)
    for delegate in (d1, d2, None):
        out = svm.send_ok(
            [ix.set_user_delegate(user.authority, delegate, sub_id=2)], [user.keypair]
        )
        after = svm.decode(User, user.address)
        assert after.delegate == (delegate or Pubkey.default())
        assert dataclasses.replace(after, delegate=before.delegate) == before
        assert events(out) == []
    assert exchange.state().total_collateral == 3 * QUOTE


def test_set_user_delegate_by_someone_else(exchange: LocalExchange) -> None:
    svm = exchange.svm
    victim = exchange.add_user(tokens=0)
    intruder = svm.funded_keypair(1)
    i = with_account(ix.set_user_delegate(intruder.pubkey(), intruder.pubkey()), 1, victim.address)
    expect_error(svm.send([i], [intruder]), custom.Unauthorized)
    assert svm.decode(User, victim.address).delegate == Pubkey.default()


def test_delegate_cannot_change_the_delegate(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=0)
    delegate = svm.funded_keypair(1)
    svm.send_ok([ix.set_user_delegate(user.authority, delegate.pubkey())], [user.keypair])
    for new in (Pubkey.new_unique(), None):
        i = with_account(ix.set_user_delegate(delegate.pubkey(), new), 1, user.address)
        expect_error(svm.send([i], [delegate]), custom.Unauthorized)
    assert svm.decode(User, user.address).delegate == delegate.pubkey()


def test_set_user_delegate_account_checks(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=0)
    market = exchange.market_address(exchange.add_market("SOL-PERP"))
    fake = copy_to(svm, user.address, owner=Pubkey.new_unique())
    base = ix.set_user_delegate(user.authority, Pubkey.new_unique())
    expect_error(
        svm.send([with_account(base, 1, fake)], [user.keypair]), custom.InvalidAccountOwner
    )
    expect_error(
        svm.send([with_account(base, 1, market)], [user.keypair]), custom.InvalidDiscriminator
    )
    expect_error(
        svm.send([with_account(base, 1, exchange.address)], [user.keypair]),
        custom.InvalidDiscriminator,
    )
    expect_error(
        svm.send([with_account(base, 1, copy_to(svm, user.address, extra=b"\0"))], [user.keypair]),
        custom.InvalidAccountSize,
    )
    expect_error(svm.send([with_account(base, 0, is_signer=False)]), custom.MissingSigner)
    expect_error(
        svm.send([with_account(base, 1, is_writable=False)], [user.keypair]),
        custom.AccountNotWritable,
    )
    assert svm.decode(User, user.address).delegate == Pubkey.default()


# ------------------------------------------------------------------------------------------------
# deposit


def test_deposit(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=10_000 * QUOTE)
    vault = exchange.collateral_vault
    amount = 1_234_567_890  # 1234.56789 quote
    svm.warp(31_337)
    out = svm.send_ok([ix.deposit(user.authority, user.token_account, amount)], [user.keypair])
    assert balances(exchange, user.token_account, vault) == [10_000 * QUOTE - amount, amount]
    assert collateral(exchange, user) == amount
    assert exchange.state().total_collateral == amount
    ev = single_event(out, "DepositEvent")
    assert (ev.user, ev.authority, ev.amount, ev.collateral_after, ev.slot) == (
        user.address,
        user.authority,
        amount,
        amount,
        31_337,
    )

    # a second deposit accumulates; the user account is otherwise untouched
    before = svm.decode(User, user.address)
    out = svm.send_ok([ix.deposit(user.authority, user.token_account, 1)], [user.keypair])
    assert balances(exchange, user.token_account, vault) == [
        10_000 * QUOTE - amount - 1,
        amount + 1,
    ]
    after = svm.decode(User, user.address)
    assert after.collateral == amount + 1
    assert dataclasses.replace(after, collateral=before.collateral) == before
    assert exchange.state().total_collateral == amount + 1
    ev = single_event(out, "DepositEvent")
    assert (ev.amount, ev.collateral_after) == (1, amount + 1)


def test_deposits_of_several_users_and_sub_accounts(exchange: LocalExchange) -> None:
    a = exchange.add_user(tokens=1_000 * QUOTE)
    a1 = exchange.add_user(
        tokens=500 * QUOTE, sub_id=1, keypair=a.keypair
    )  # same wallet, second sub account
    b = exchange.add_user(tokens=300 * QUOTE)
    assert a.token_account == a1.token_account
    plan = [(a, 100 * QUOTE), (b, 250 * QUOTE), (a1, 600 * QUOTE), (a, 7)]
    for u, amt in plan:
        exchange.svm.send_ok(
            [ix.deposit(u.authority, u.token_account, amt, sub_id=u.sub_id)], [u.keypair]
        )
    assert collateral(exchange, a) == 100 * QUOTE + 7
    assert collateral(exchange, a1) == 600 * QUOTE
    assert collateral(exchange, b) == 250 * QUOTE
    total = 950 * QUOTE + 7
    assert exchange.state().total_collateral == total
    assert balances(exchange, exchange.collateral_vault, a.token_account, b.token_account) == [
        total,
        1_500 * QUOTE - 700 * QUOTE - 7,
        50 * QUOTE,
    ]


def test_deposit_entire_wallet_then_one_more(exchange: LocalExchange) -> None:
    user = exchange.add_user(tokens=42 * QUOTE)
    exchange.svm.send_ok(
        [ix.deposit(user.authority, user.token_account, 42 * QUOTE)], [user.keypair]
    )
    assert balances(exchange, user.token_account) == [0]
    expect_error(
        exchange.svm.send([ix.deposit(user.authority, user.token_account, 1)], [user.keypair]),
        custom.InsufficientTokenBalance,
    )
    assert collateral(exchange, user) == 42 * QUOTE


def test_deposit_more_than_wallet_holds(exchange: LocalExchange) -> None:
    user = exchange.add_user(tokens=100 * QUOTE, deposit=10 * QUOTE)
    for amount in (90 * QUOTE + 1, 2**63, 2**64 - 1):
        out = exchange.svm.send(
            [ix.deposit(user.authority, user.token_account, amount)], [user.keypair]
        )
        expect_error(out, custom.InsufficientTokenBalance)
    assert balances(exchange, user.token_account, exchange.collateral_vault) == [
        90 * QUOTE,
        10 * QUOTE,
    ]
    assert collateral(exchange, user) == 10 * QUOTE
    assert exchange.state().total_collateral == 10 * QUOTE


def test_deposit_zero(exchange: LocalExchange) -> None:
    user = exchange.add_user(tokens=100 * QUOTE)
    expect_error(
        exchange.svm.send([ix.deposit(user.authority, user.token_account, 0)], [user.keypair]),
        custom.ZeroAmount,
    )
    assert collateral(exchange, user) == 0


def test_deposit_paused(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    user = exchange.add_user(tokens=100 * QUOTE, deposit=50 * QUOTE)
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 1)], [admin])
    expect_error(
        svm.send([ix.deposit(user.authority, user.token_account, QUOTE)], [user.keypair]),
        custom.OperationPaused,
    )
    svm.send_ok(
        [ix.withdraw(user.authority, user.token_account, QUOTE)], [user.keypair]
    )  # withdrawals still run
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 3)], [admin])
    expect_error(
        svm.send([ix.deposit(user.authority, user.token_account, QUOTE)], [user.keypair]),
        custom.OperationPaused,
    )
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 0)], [admin])
    svm.send_ok([ix.deposit(user.authority, user.token_account, 2 * QUOTE)], [user.keypair])
    assert collateral(exchange, user) == 51 * QUOTE
    assert balances(exchange, user.token_account) == [49 * QUOTE]


def test_deposit_from_token_account_of_another_mint(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE)
    mint_auth = Keypair()
    other_mint = svm.create_mint(mint_auth.pubkey(), 6)
    other_ata = svm.token_account(user.authority, other_mint)
    svm.mint_to(other_mint, mint_auth, other_ata, 100 * QUOTE)
    expect_error(
        svm.send([ix.deposit(user.authority, other_ata, QUOTE)], [user.keypair]), custom.InvalidMint
    )
    assert balances(exchange, other_ata, exchange.collateral_vault) == [100 * QUOTE, 0]
    assert collateral(exchange, user) == 0


def test_deposit_from_someone_elses_token_account(exchange: LocalExchange) -> None:
    svm = exchange.svm
    victim = exchange.add_user(tokens=100 * QUOTE)
    thief = exchange.add_user(tokens=0)
    i = ix.deposit(thief.authority, victim.token_account, 10 * QUOTE)
    expect_error(svm.send([i], [thief.keypair]), custom.TokenAccountOwnerMismatch)
    # even with an SPL Token approval to the thief, the source must belong to the margin account's authority
    svm.send_ok(
        [
            approve(
                ApproveParams(
                    program_id=TOKEN_PROGRAM_ID,
                    source=victim.token_account,
                    delegate=thief.authority,
                    owner=victim.authority,
                    amount=100 * QUOTE,
                )
            )
        ],
        [victim.keypair],
    )
    expect_error(svm.send([i], [thief.keypair]), custom.TokenAccountOwnerMismatch)
    assert balances(exchange, victim.token_account) == [100 * QUOTE]
    assert collateral(exchange, thief) == 0


def test_deposit_from_account_that_is_not_a_token_account(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=10 * QUOTE)
    for bad in (user.authority, user.address, exchange.mint):
        expect_error(
            svm.send([ix.deposit(user.authority, bad, QUOTE)], [user.keypair]),
            custom.InvalidTokenAccount,
        )
    assert collateral(exchange, user) == 0


def _exchange_owned_token_account(exchange: LocalExchange) -> Pubkey:
    """The exchange PDA's associated token account for the collateral mint: right mint and owner, not the vault."""
    return exchange.svm.token_account(exchange.address, exchange.mint)


@pytest.mark.parametrize("wrong", ["insurance_vault", "exchange_ata", "own_token_account"])
def test_deposit_into_wrong_vault(exchange: LocalExchange, wrong: str) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE)
    target = {
        "insurance_vault": exchange.insurance_vault,
        "own_token_account": user.token_account,
    }.get(wrong) or _exchange_owned_token_account(exchange)
    i = with_account(ix.deposit(user.authority, user.token_account, 5 * QUOTE), D_VAULT, target)
    expect_error(svm.send([i], [user.keypair]), custom.InvalidVault)
    assert balances(exchange, user.token_account) == [100 * QUOTE]
    assert collateral(exchange, user) == 0


def test_deposit_into_someone_elses_margin_account(exchange: LocalExchange) -> None:
    svm = exchange.svm
    owner = exchange.add_user(tokens=0)
    payer = exchange.add_user(tokens=100 * QUOTE)
    i = with_account(
        ix.deposit(payer.authority, payer.token_account, 5 * QUOTE), D_USER, owner.address
    )
    expect_error(svm.send([i], [payer.keypair]), custom.Unauthorized)
    assert collateral(exchange, owner) == 0


def test_delegate_cannot_deposit(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=0)
    delegate = exchange.add_user(tokens=50 * QUOTE)  # a wallet with collateral tokens of its own
    svm.send_ok([ix.set_user_delegate(user.authority, delegate.authority)], [user.keypair])
    i = with_account(
        ix.deposit(delegate.authority, delegate.token_account, 5 * QUOTE), D_USER, user.address
    )
    expect_error(svm.send([i], [delegate.keypair]), custom.Unauthorized)
    assert collateral(exchange, user) == 0


def test_deposit_account_checks(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE)
    market = exchange.market_address(exchange.add_market("SOL-PERP"))
    base = ix.deposit(user.authority, user.token_account, 5 * QUOTE)
    kp = [user.keypair]
    user_copy = copy_to(svm, user.address, owner=Pubkey.new_unique())
    exchange_copy = copy_to(svm, exchange.address, owner=Pubkey.new_unique())
    expect_error(svm.send([with_account(base, D_USER, user_copy)], kp), custom.InvalidAccountOwner)
    expect_error(svm.send([with_account(base, D_USER, market)], kp), custom.InvalidDiscriminator)
    expect_error(
        svm.send([with_account(base, D_USER, exchange.address)], kp), custom.InvalidDiscriminator
    )
    expect_error(
        svm.send([with_account(base, D_EXCHANGE, exchange_copy)], kp), custom.InvalidAccountOwner
    )
    expect_error(
        svm.send([with_account(base, D_EXCHANGE, user.address)], kp), custom.InvalidDiscriminator
    )
    expect_error(
        svm.send([with_account(base, D_EXCHANGE, market)], kp), custom.InvalidDiscriminator
    )
    for wrong in (TOKEN_2022_PROGRAM_ID, SYSTEM_PROGRAM_ID):
        expect_error(svm.send([with_account(base, D_TOKEN, wrong)], kp), custom.InvalidProgramId)
    expect_error(svm.send([with_account(base, D_AUTHORITY, is_signer=False)]), custom.MissingSigner)
    for idx in (D_EXCHANGE, D_USER, D_SOURCE, D_VAULT):
        expect_error(
            svm.send([with_account(base, idx, is_writable=False)], kp), custom.AccountNotWritable
        )
    assert balances(exchange, user.token_account, exchange.collateral_vault) == [100 * QUOTE, 0]
    assert collateral(exchange, user) == 0
    assert exchange.state().total_collateral == 0


# ------------------------------------------------------------------------------------------------
# withdraw


def test_withdraw(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=8_000 * QUOTE, deposit=5_000 * QUOTE)
    vault = exchange.collateral_vault
    svm.warp(77_777)
    before = svm.decode(User, user.address)
    out = svm.send_ok(
        [ix.withdraw(user.authority, user.token_account, 1_200 * QUOTE + 3)], [user.keypair]
    )
    left = 3_800 * QUOTE - 3
    assert balances(exchange, user.token_account, vault) == [4_200 * QUOTE + 3, left]
    after = svm.decode(User, user.address)
    assert after.collateral == left
    assert dataclasses.replace(after, collateral=before.collateral) == before
    assert exchange.state().total_collateral == left
    ev = single_event(out, "WithdrawEvent")
    assert (ev.user, ev.authority, ev.amount, ev.collateral_after, ev.slot) == (
        user.address,
        user.authority,
        1_200 * QUOTE + 3,
        left,
        77_777,
    )

    # withdraw everything that is left
    out = svm.send_ok([ix.withdraw(user.authority, user.token_account, left)], [user.keypair])
    assert balances(exchange, user.token_account, vault) == [8_000 * QUOTE, 0]
    assert collateral(exchange, user) == 0
    assert exchange.state().total_collateral == 0
    ev = single_event(out, "WithdrawEvent")
    assert (ev.amount, ev.collateral_after) == (left, 0)


def test_withdraw_to_another_own_token_account(exchange: LocalExchange) -> None:
    # Any token account of the collateral mint owned by the authority is a valid destination.
    svm = exchange.svm
    user = exchange.add_user(tokens=10 * QUOTE, deposit=10 * QUOTE)
    second = Keypair()
    svm.send_ok(
        [
            create_account(
                CreateAccountParams(
                    from_pubkey=svm.payer.pubkey(),
                    to_pubkey=second.pubkey(),
                    lamports=rent(svm, 165),
                    space=165,
                    owner=TOKEN_PROGRAM_ID,
                )
            ),
            initialize_account(
                InitializeAccountParams(
                    program_id=TOKEN_PROGRAM_ID,
                    account=second.pubkey(),
                    mint=exchange.mint,
                    owner=user.authority,
                )
            ),
        ],
        [second],
    )
    svm.send_ok([ix.withdraw(user.authority, second.pubkey(), 4 * QUOTE)], [user.keypair])
    assert balances(exchange, second.pubkey(), user.token_account, exchange.collateral_vault) == [
        4 * QUOTE,
        0,
        6 * QUOTE,
    ]
    assert collateral(exchange, user) == 6 * QUOTE


def test_withdraw_beyond_collateral(exchange: LocalExchange) -> None:
    svm = exchange.svm
    rich = exchange.add_user(
        tokens=1_000 * QUOTE, deposit=1_000 * QUOTE
    )  # the vault holds far more than the user's share
    user = exchange.add_user(tokens=100 * QUOTE, deposit=60 * QUOTE)
    for amount in (60 * QUOTE + 1, 1_000 * QUOTE, 2**64 - 1):
        expect_error(
            svm.send([ix.withdraw(user.authority, user.token_account, amount)], [user.keypair]),
            custom.InsufficientCollateral,
        )
    assert balances(exchange, user.token_account, exchange.collateral_vault) == [
        40 * QUOTE,
        1_060 * QUOTE,
    ]
    assert collateral(exchange, user) == 60 * QUOTE
    assert collateral(exchange, rich) == 1_000 * QUOTE


def test_withdraw_without_deposit(exchange: LocalExchange) -> None:
    exchange.add_user(tokens=10 * QUOTE, deposit=10 * QUOTE)
    user = exchange.add_user(tokens=10 * QUOTE)
    expect_error(
        exchange.svm.send([ix.withdraw(user.authority, user.token_account, 1)], [user.keypair]),
        custom.InsufficientCollateral,
    )


def test_withdraw_zero(exchange: LocalExchange) -> None:
    user = exchange.add_user(tokens=10 * QUOTE, deposit=10 * QUOTE)
    expect_error(
        exchange.svm.send([ix.withdraw(user.authority, user.token_account, 0)], [user.keypair]),
        custom.ZeroAmount,
    )
    assert collateral(exchange, user) == 10 * QUOTE


def test_withdraw_paused(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    user = exchange.add_user(tokens=100 * QUOTE, deposit=50 * QUOTE)
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 2)], [admin])
    expect_error(
        svm.send([ix.withdraw(user.authority, user.token_account, QUOTE)], [user.keypair]),
        custom.OperationPaused,
    )
    svm.send_ok(
        [ix.deposit(user.authority, user.token_account, QUOTE)], [user.keypair]
    )  # deposits still run
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 3)], [admin])
    expect_error(
        svm.send([ix.withdraw(user.authority, user.token_account, QUOTE)], [user.keypair]),
        custom.OperationPaused,
    )
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 1)], [admin])
    svm.send_ok([ix.withdraw(user.authority, user.token_account, 3 * QUOTE)], [user.keypair])
    assert collateral(exchange, user) == 48 * QUOTE
    assert balances(exchange, user.token_account) == [52 * QUOTE]


def test_delegate_cannot_withdraw(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    delegate = exchange.add_user(tokens=0)
    svm.send_ok([ix.set_user_delegate(user.authority, delegate.authority)], [user.keypair])
    # to the delegate's own token account, and to the authority's token account
    for dest in (delegate.token_account, user.token_account):
        i = with_account(ix.withdraw(delegate.authority, dest, 10 * QUOTE), W_USER, user.address)
        expect_error(svm.send([i], [delegate.keypair]), custom.Unauthorized)
    assert collateral(exchange, user) == 100 * QUOTE
    assert balances(exchange, delegate.token_account, user.token_account) == [0, 0]


def test_withdraw_from_someone_elses_margin_account(exchange: LocalExchange) -> None:
    svm = exchange.svm
    victim = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    thief = exchange.add_user(tokens=0)
    i = with_account(
        ix.withdraw(thief.authority, thief.token_account, 10 * QUOTE), W_USER, victim.address
    )
    expect_error(svm.send([i], [thief.keypair]), custom.Unauthorized)
    assert collateral(exchange, victim) == 100 * QUOTE


def test_withdraw_to_someone_elses_token_account(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    other = exchange.add_user(tokens=0)
    expect_error(
        svm.send([ix.withdraw(user.authority, other.token_account, 10 * QUOTE)], [user.keypair]),
        custom.TokenAccountOwnerMismatch,
    )
    # the exchange's own token accounts are not the authority's either
    ex_ata = _exchange_owned_token_account(exchange)
    expect_error(
        svm.send([ix.withdraw(user.authority, ex_ata, 10 * QUOTE)], [user.keypair]),
        custom.TokenAccountOwnerMismatch,
    )
    assert balances(exchange, other.token_account) == [0]
    assert collateral(exchange, user) == 100 * QUOTE


def test_withdraw_to_token_account_of_another_mint(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    other_mint = svm.create_mint(Keypair().pubkey(), 6)
    other_ata = svm.token_account(user.authority, other_mint)
    expect_error(
        svm.send([ix.withdraw(user.authority, other_ata, 10 * QUOTE)], [user.keypair]),
        custom.InvalidMint,
    )
    assert collateral(exchange, user) == 100 * QUOTE


def test_withdraw_to_account_that_is_not_a_token_account(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    for bad in (user.authority, user.address, exchange.mint):
        expect_error(
            svm.send([ix.withdraw(user.authority, bad, QUOTE)], [user.keypair]),
            custom.InvalidTokenAccount,
        )
    assert collateral(exchange, user) == 100 * QUOTE


@pytest.mark.parametrize("wrong", ["insurance_vault", "exchange_ata", "own_token_account"])
def test_withdraw_from_wrong_vault(exchange: LocalExchange, wrong: str) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    if wrong == "insurance_vault":
        target = exchange.insurance_vault
    elif wrong == "exchange_ata":
        target = _exchange_owned_token_account(exchange)
    else:
        target = user.token_account
    if wrong != "own_token_account":
        svm.mint_to(
            exchange.mint, exchange.mint_authority, target, 500 * QUOTE
        )  # make it worth stealing from
    i = with_account(ix.withdraw(user.authority, user.token_account, 10 * QUOTE), W_VAULT, target)
    expect_error(svm.send([i], [user.keypair]), custom.InvalidVault)
    assert collateral(exchange, user) == 100 * QUOTE
    assert balances(exchange, user.token_account) == [0]


def test_withdraw_account_checks(exchange: LocalExchange) -> None:
    svm = exchange.svm
    user = exchange.add_user(tokens=100 * QUOTE, deposit=100 * QUOTE)
    market = exchange.market_address(exchange.add_market("SOL-PERP"))
    base = ix.withdraw(user.authority, user.token_account, 5 * QUOTE)
    kp = [user.keypair]
    user_copy = copy_to(svm, user.address, owner=Pubkey.new_unique())
    exchange_copy = copy_to(svm, exchange.address, owner=Pubkey.new_unique())
    expect_error(svm.send([with_account(base, W_USER, user_copy)], kp), custom.InvalidAccountOwner)
    expect_error(svm.send([with_account(base, W_USER, market)], kp), custom.InvalidDiscriminator)
    expect_error(
        svm.send([with_account(base, W_USER, exchange.address)], kp), custom.InvalidDiscriminator
    )
    expect_error(
        svm.send([with_account(base, W_USER, copy_to(svm, user.address, extra=bytes(8)))], kp),
        custom.InvalidAccountSize,
    )
    expect_error(
        svm.send([with_account(base, W_EXCHANGE, exchange_copy)], kp), custom.InvalidAccountOwner
    )
    expect_error(
        svm.send([with_account(base, W_EXCHANGE, user.address)], kp), custom.InvalidDiscriminator
    )
    expect_error(
        svm.send([with_account(base, W_EXCHANGE, market)], kp), custom.InvalidDiscriminator
    )
    for wrong in (TOKEN_2022_PROGRAM_ID, SYSTEM_PROGRAM_ID):
        expect_error(svm.send([with_account(base, W_TOKEN, wrong)], kp), custom.InvalidProgramId)
    expect_error(svm.send([with_account(base, W_AUTHORITY, is_signer=False)]), custom.MissingSigner)
    for idx in (W_EXCHANGE, W_USER, W_VAULT, W_DEST):
        expect_error(
            svm.send([with_account(base, idx, is_writable=False)], kp), custom.AccountNotWritable
        )
    assert balances(exchange, user.token_account, exchange.collateral_vault) == [0, 100 * QUOTE]
    assert collateral(exchange, user) == 100 * QUOTE
    assert exchange.state().total_collateral == 100 * QUOTE


# ------------------------------------------------------------------------------------------------
# Overflow: collateral and totals never wrap (state forged with set_account, so no exchange fixture)


def _forge_u64(svm: LocalSvm, address: Pubkey, offset: int, value: int) -> None:
    acc = svm.account(address)
    data = bytearray(acc.data)
    data[offset : offset + 8] = value.to_bytes(8, "little")
    svm.set_account(address, Account(acc.lamports, bytes(data), acc.owner, False, 0))


def test_deposit_overflowing_user_collateral(svm: LocalSvm) -> None:
    ex = LocalExchange.create(svm)
    user = ex.add_user(tokens=10 * QUOTE)
    _forge_u64(svm, user.address, COLLATERAL_OFFSET, 2**64 - 5 * QUOTE)
    assert svm.decode(User, user.address).collateral == 2**64 - 5 * QUOTE
    expect_error(
        svm.send([ix.deposit(user.authority, user.token_account, 5 * QUOTE)], [user.keypair]),
        custom.MathOverflow,
    )
    assert balances(ex, user.token_account, ex.collateral_vault) == [10 * QUOTE, 0]


def test_deposit_overflowing_exchange_total(svm: LocalSvm) -> None:
    ex = LocalExchange.create(svm)
    user = ex.add_user(tokens=10 * QUOTE)
    total_offset = 8 + 4 * 32
    _forge_u64(svm, ex.address, total_offset, 2**64 - 1)
    assert svm.decode(Exchange, ex.address).total_collateral == 2**64 - 1
    expect_error(
        svm.send([ix.deposit(user.authority, user.token_account, 1)], [user.keypair]),
        custom.MathOverflow,
    )
    assert collateral(ex, user) == 0
    assert balances(ex, user.token_account) == [10 * QUOTE]
