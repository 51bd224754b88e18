"""initialize_exchange, set_paused_operations and transfer_admin: happy paths and every rejection.

Expected addresses, bumps, sizes and rents are computed here (find_program_address with literal
seeds, Borsh sizes from the generated layouts, LiteSVM's rent), never read from the program.
"""

from __future__ import annotations

import dataclasses

import pytest
from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import program_data_pda
from localnet.bootstrap import LocalExchange, default_market_params, oracle_config
from localnet.svm import LocalSvm
from programs_client.perp.accounts import Exchange, Market, User
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from tests.program.tamper import with_account, with_data, without_accounts_from
from tests.program.helpers import (
    account_len,
    account_discriminator,
    expect_error,
    instruction_discriminator,
    noncanonical_pda,
    single_event,
)

# initialize_exchange account indexes (idl/perp.json order)
ADMIN, EXCHANGE, MINT, VAULT, INSURANCE, TOKEN, SYSTEM, PROGRAM_DATA = range(8)
TOKEN_ACCOUNT_LEN = 165
EXCHANGE_LEN = account_len("Exchange")


def pda(seeds: list[bytes], program_id: Pubkey) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address(seeds, program_id)


def fresh(svm: LocalSvm, decimals: int = 6) -> tuple[Keypair, Pubkey]:
    """A funded admin, made the program's upgrade authority, and a new mint with ``decimals``."""
    admin = svm.funded_keypair(10)
    svm.set_upgrade_authority(admin.pubkey())
    return admin, svm.create_mint(Keypair().pubkey(), decimals)


def rent(svm: LocalSvm, size: int) -> int:
    return svm.svm.minimum_balance_for_rent_exemption(size)


def token_fields(svm: LocalSvm, address: Pubkey) -> dict:
    """The SPL Token account layout (spl-token state.rs), parsed here."""
    acc = svm.account(address)
    assert acc is not None, f"no account at {address}"
    d = bytes(acc.data)
    return {
        "program": acc.owner,
        "len": len(d),
        "lamports": acc.lamports,
        "mint": Pubkey.from_bytes(d[0:32]),
        "owner": Pubkey.from_bytes(d[32:64]),
        "amount": int.from_bytes(d[64:72], "little"),
        "delegate_tag": int.from_bytes(d[72:76], "little"),
        "state": d[108],
        "is_native_tag": int.from_bytes(d[109:113], "little"),
        "delegated_amount": int.from_bytes(d[121:129], "little"),
        "close_authority_tag": int.from_bytes(d[129:133], "little"),
    }


def copy_to(
    svm: LocalSvm, source: Pubkey, *, owner: Pubkey | None = None, extra: bytes = b""
) -> Pubkey:
    """Place a copy of ``source`` (optionally another owner, optionally longer data) at a new address."""
    acc = svm.account(source)
    assert acc is not None
    new = Pubkey.new_unique()
    data = bytes(acc.data) + extra
    svm.set_account(
        new, Account(max(acc.lamports, rent(svm, len(data))), data, owner or acc.owner, False, 0)
    )
    return new


# ------------------------------------------------------------------------------------------------
# initialize_exchange


def test_initialize_exchange_creates_exchange_and_vaults(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    pid = svm.program_id
    exchange, bump = pda([b"exchange"], pid)
    vault, vault_bump = pda([b"collateral_vault"], pid)
    insurance, insurance_bump = pda([b"insurance_vault"], pid)
    admin_before = svm.svm.get_balance(admin.pubkey())

    # The harness payer pays the fee; the admin signs and pays the three accounts' rent.
    svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint)], [admin])

    acc = svm.account(exchange)
    assert acc is not None and acc.owner == pid
    assert len(acc.data) == EXCHANGE_LEN == 168
    assert bytes(acc.data)[:8] == account_discriminator("Exchange")
    assert acc.lamports == rent(svm, EXCHANGE_LEN)
    ex = svm.decode(Exchange, exchange)
    assert ex.admin == admin.pubkey()
    assert ex.collateral_mint == mint
    assert ex.collateral_vault == vault
    assert ex.insurance_vault == insurance
    assert ex.total_collateral == 0
    assert ex.market_count == 0
    assert ex.paused_operations == 0
    assert ex.bump == bump
    assert ex.collateral_vault_bump == vault_bump
    assert ex.insurance_vault_bump == insurance_bump
    assert ex.collateral_decimals == 6
    assert (ex.bankrupt_users, ex.last_bankruptcy_ts) == (0, 0)

    for v in (vault, insurance):
        t = token_fields(svm, v)
        assert t["program"] == TOKEN_PROGRAM_ID
        assert t["len"] == TOKEN_ACCOUNT_LEN
        assert t["lamports"] == rent(svm, TOKEN_ACCOUNT_LEN)
        assert t["mint"] == mint
        assert t["owner"] == exchange
        assert t["amount"] == 0
        assert t["state"] == 1  # Initialized
        assert t["delegate_tag"] == 0 and t["delegated_amount"] == 0
        assert t["is_native_tag"] == 0
        assert t["close_authority_tag"] == 0

    assert admin_before - svm.svm.get_balance(admin.pubkey()) == rent(svm, EXCHANGE_LEN) + 2 * rent(
        svm, TOKEN_ACCOUNT_LEN
    )


def test_initialize_exchange_admin_as_fee_payer(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint)], [admin], payer=admin)
    ex = svm.decode(Exchange, pda([b"exchange"], svm.program_id)[0])
    assert ex.admin == admin.pubkey() and ex.collateral_mint == mint


@pytest.mark.parametrize("decimals", [0, 5, 9])
def test_initialize_exchange_rejects_mint_with_other_decimals(svm: LocalSvm, decimals: int) -> None:
    admin, mint = fresh(svm, decimals)
    expect_error(
        svm.send([ix.initialize_exchange(admin.pubkey(), mint)], [admin]), custom.InvalidMint
    )
    assert svm.account(pda([b"exchange"], svm.program_id)[0]) is None


def test_initialize_exchange_rejects_mint_not_owned_by_token_program(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    fake = copy_to(svm, mint, owner=Pubkey.new_unique())  # byte-identical mint data, wrong owner
    expect_error(
        svm.send([ix.initialize_exchange(admin.pubkey(), fake)], [admin]), custom.InvalidMint
    )


def test_initialize_exchange_rejects_uninitialized_mint(svm: LocalSvm) -> None:
    admin, _ = fresh(svm)
    fake = Pubkey.new_unique()
    data = bytearray(82)
    data[44] = 6  # decimals 6 but is_initialized false
    svm.set_account(fake, Account(rent(svm, 82), bytes(data), TOKEN_PROGRAM_ID, False, 0))
    expect_error(
        svm.send([ix.initialize_exchange(admin.pubkey(), fake)], [admin]), custom.InvalidMint
    )


def test_initialize_exchange_rejects_token_account_as_mint(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    ata = svm.token_account(admin.pubkey(), mint)
    expect_error(
        svm.send([ix.initialize_exchange(admin.pubkey(), ata)], [admin]), custom.InvalidMint
    )


def _bad_address(svm: LocalSvm, kind: str, seed: bytes) -> Pubkey:
    if kind == "random":
        return Pubkey.new_unique()
    if kind == "noncanonical":
        return noncanonical_pda([seed], svm.program_id)[0]
    if kind == "other_seed":
        other = {
            b"exchange": b"collateral_vault",
            b"collateral_vault": b"insurance_vault",
            b"insurance_vault": b"collateral_vault",
        }[seed]
        return pda([other], svm.program_id)[0]
    if kind == "other_program":
        return pda([seed], Pubkey.new_unique())[0]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["random", "noncanonical", "other_seed", "other_program"])
@pytest.mark.parametrize(
    "index,seed",
    [(EXCHANGE, b"exchange"), (VAULT, b"collateral_vault"), (INSURANCE, b"insurance_vault")],
)
def test_initialize_exchange_rejects_wrong_pda(
    svm: LocalSvm, index: int, seed: bytes, kind: str
) -> None:
    admin, mint = fresh(svm)
    bad = _bad_address(svm, kind, seed)
    out = svm.send(
        [with_account(ix.initialize_exchange(admin.pubkey(), mint), index, bad)], [admin]
    )
    expect_error(out, custom.InvalidPda)
    # all or nothing: nothing was created
    for s in (b"exchange", b"collateral_vault", b"insurance_vault"):
        assert svm.account(pda([s], svm.program_id)[0]) is None
    assert svm.account(bad) is None


def test_initialize_exchange_rejects_swapped_vaults(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    i = ix.initialize_exchange(admin.pubkey(), mint)
    vault, insurance = i.accounts[VAULT].pubkey, i.accounts[INSURANCE].pubkey
    swapped = with_account(with_account(i, VAULT, insurance), INSURANCE, vault)
    expect_error(svm.send([swapped], [admin]), custom.InvalidPda)


def test_initialize_exchange_twice_is_rejected(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint)], [admin])
    exchange = pda([b"exchange"], svm.program_id)[0]
    before = bytes(svm.account(exchange).data)
    # Same admin, or a new admin with a new mint: the exchange is never re-initialised.
    expect_error(
        svm.send([ix.initialize_exchange(admin.pubkey(), mint)], [admin]),
        custom.AccountAlreadyInitialized,
    )
    intruder, other_mint = fresh(svm)
    expect_error(
        svm.send([ix.initialize_exchange(intruder.pubkey(), other_mint)], [intruder]),
        custom.AccountAlreadyInitialized,
    )
    assert bytes(svm.account(exchange).data) == before


def test_only_the_upgrade_authority_can_initialize_the_exchange(svm: LocalSvm) -> None:
    """initialize_exchange was open to whoever called it first: a watcher of the deployment could take the
    admin key (pause flags, markets, the protocol's insurance) before the deployer. It now requires the
    signer to be the upgrade authority in the program's ProgramData (BPF upgradeable loader)."""
    deployer, mint = fresh(svm)
    squatter = svm.funded_keypair(10)
    exchange = pda([b"exchange"], svm.program_id)[0]
    expect_error(svm.send([ix.initialize_exchange(squatter.pubkey(), mint)], [squatter]), custom.NotUpgradeAuthority)
    assert svm.account(exchange) is None
    # a ProgramData of the squatter's making, at another address or owned by another program, is refused
    good = svm.account(program_data_pda(svm.program_id))
    assert good is not None
    forged = bytes(good.data)[:13] + bytes(squatter.pubkey())
    fake = Pubkey.new_unique()
    svm.set_account(fake, Account(good.lamports, forged, good.owner, False, 0))
    i = with_account(ix.initialize_exchange(squatter.pubkey(), mint), PROGRAM_DATA, fake)
    expect_error(svm.send([i], [squatter]), custom.NotUpgradeAuthority)
    svm.set_account(program_data_pda(svm.program_id), Account(good.lamports, forged, SYSTEM_PROGRAM_ID, False, 0))
    expect_error(svm.send([ix.initialize_exchange(squatter.pubkey(), mint)], [squatter]), custom.NotUpgradeAuthority)
    # an immutable program (no upgrade authority) cannot be initialised by anyone
    svm.set_upgrade_authority(None)
    expect_error(svm.send([ix.initialize_exchange(deployer.pubkey(), mint)], [deployer]), custom.NotUpgradeAuthority)
    assert svm.account(exchange) is None
    svm.set_upgrade_authority(deployer.pubkey())
    svm.send_ok([ix.initialize_exchange(deployer.pubkey(), mint)], [deployer])
    assert svm.decode(Exchange, exchange).admin == deployer.pubkey()


@pytest.mark.parametrize("seed", [b"collateral_vault", b"insurance_vault"])
def test_initialize_exchange_rejects_vault_address_already_holding_data(
    svm: LocalSvm, seed: bytes
) -> None:
    admin, mint = fresh(svm)
    vault = pda([seed], svm.program_id)[0]
    svm.set_account(
        vault,
        Account(rent(svm, TOKEN_ACCOUNT_LEN), bytes(TOKEN_ACCOUNT_LEN), TOKEN_PROGRAM_ID, False, 0),
    )
    expect_error(
        svm.send([ix.initialize_exchange(admin.pubkey(), mint)], [admin]),
        custom.AccountAlreadyInitialized,
    )
    assert svm.account(pda([b"exchange"], svm.program_id)[0]) is None


def test_initialize_exchange_rejects_exchange_address_owned_by_another_program(
    svm: LocalSvm,
) -> None:
    admin, mint = fresh(svm)
    exchange = pda([b"exchange"], svm.program_id)[0]
    svm.set_account(exchange, Account(rent(svm, 0), b"", Pubkey.new_unique(), False, 0))
    expect_error(
        svm.send([ix.initialize_exchange(admin.pubkey(), mint)], [admin]),
        custom.AccountAlreadyInitialized,
    )


@pytest.mark.parametrize("seed", [b"exchange", b"collateral_vault", b"insurance_vault"])
@pytest.mark.parametrize("prefund", ["below_rent", "above_rent"])
def test_initialize_exchange_succeeds_when_addresses_were_prefunded(
    svm: LocalSvm, seed: bytes, prefund: str
) -> None:
    # Anyone can send lamports to a PDA before it is created; that must not block initialisation.
    admin, mint = fresh(svm)
    target = pda([seed], svm.program_id)[0]
    size = EXCHANGE_LEN if seed == b"exchange" else TOKEN_ACCOUNT_LEN
    lamports = 1_000 if prefund == "below_rent" else rent(svm, size) + 777
    svm.set_account(target, Account(lamports, b"", SYSTEM_PROGRAM_ID, False, 0))
    svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint)], [admin])
    acc = svm.account(target)
    assert acc.lamports == max(lamports, rent(svm, size))
    assert len(acc.data) == size
    ex = svm.decode(Exchange, pda([b"exchange"], svm.program_id)[0])
    assert ex.admin == admin.pubkey() and ex.collateral_mint == mint
    if seed != b"exchange":
        t = token_fields(svm, target)
        assert (t["program"], t["mint"], t["owner"], t["state"]) == (
            TOKEN_PROGRAM_ID,
            mint,
            pda([b"exchange"], svm.program_id)[0],
            1,
        )


@pytest.mark.parametrize(
    "index,replacement",
    [
        (TOKEN, TOKEN_2022_PROGRAM_ID),
        (TOKEN, SYSTEM_PROGRAM_ID),
        (TOKEN, Pubkey.from_string("11111111111111111111111111111112")),
        (SYSTEM, TOKEN_PROGRAM_ID),
        (SYSTEM, Pubkey.from_string("11111111111111111111111111111112")),
    ],
    ids=["token=token2022", "token=system", "token=random", "system=token", "system=random"],
)
def test_initialize_exchange_rejects_wrong_program_ids(
    svm: LocalSvm, index: int, replacement: Pubkey
) -> None:
    admin, mint = fresh(svm)
    out = svm.send(
        [with_account(ix.initialize_exchange(admin.pubkey(), mint), index, replacement)], [admin]
    )
    expect_error(out, custom.InvalidProgramId)


def test_initialize_exchange_requires_admin_signature(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    out = svm.send(
        [with_account(ix.initialize_exchange(admin.pubkey(), mint), ADMIN, is_signer=False)]
    )
    expect_error(out, custom.MissingSigner)


@pytest.mark.parametrize("index", [EXCHANGE, VAULT, INSURANCE])
def test_initialize_exchange_requires_writable_accounts(svm: LocalSvm, index: int) -> None:
    admin, mint = fresh(svm)
    out = svm.send(
        [with_account(ix.initialize_exchange(admin.pubkey(), mint), index, is_writable=False)],
        [admin],
    )
    expect_error(out, custom.AccountNotWritable)


def test_initialize_exchange_requires_writable_admin(svm: LocalSvm) -> None:
    admin, mint = fresh(svm)
    # fee payer is the harness payer, so the admin is only as writable as the instruction says
    out = svm.send(
        [with_account(ix.initialize_exchange(admin.pubkey(), mint), ADMIN, is_writable=False)],
        [admin],
    )
    expect_error(out, custom.AccountNotWritable)


@pytest.mark.parametrize("count", [0, 1, 6])
def test_initialize_exchange_not_enough_accounts(svm: LocalSvm, count: int) -> None:
    admin, mint = fresh(svm)
    out = svm.send(
        [without_accounts_from(ix.initialize_exchange(admin.pubkey(), mint), count)],
        [admin] if count else [],
    )
    expect_error(out, custom.NotEnoughAccounts)


# ------------------------------------------------------------------------------------------------
# set_paused_operations


@pytest.mark.parametrize("flags", [1, 2, 3, 0])
def test_set_paused_operations(exchange: LocalExchange, flags: int) -> None:
    svm, admin = exchange.svm, exchange.admin
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 3 - flags if flags else 3)], [admin])
    before = exchange.state()
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), flags)], [admin])
    after = exchange.state()
    assert after.paused_operations == flags
    assert dataclasses.replace(after, paused_operations=before.paused_operations) == before


@pytest.mark.parametrize("flags", [4, 8, 0x10, 0x100, 0x8000, 0xFFFF, 0x0007, 0x8001])
def test_set_paused_operations_rejects_unknown_bits(exchange: LocalExchange, flags: int) -> None:
    svm, admin = exchange.svm, exchange.admin
    svm.send_ok([ix.set_paused_operations(admin.pubkey(), 1)], [admin])
    expect_error(
        svm.send([ix.set_paused_operations(admin.pubkey(), flags)], [admin]),
        custom.InvalidInstructionData,
    )
    assert exchange.state().paused_operations == 1


def test_set_paused_operations_not_admin(exchange: LocalExchange) -> None:
    intruder = exchange.svm.funded_keypair(1)
    out = exchange.svm.send([ix.set_paused_operations(intruder.pubkey(), 3)], [intruder])
    expect_error(out, custom.Unauthorized)
    assert exchange.state().paused_operations == 0


def test_set_paused_operations_requires_signature(exchange: LocalExchange) -> None:
    i = with_account(ix.set_paused_operations(exchange.admin.pubkey(), 3), 0, is_signer=False)
    expect_error(exchange.svm.send([i]), custom.MissingSigner)
    assert exchange.state().paused_operations == 0


def test_set_paused_operations_requires_writable_exchange(exchange: LocalExchange) -> None:
    i = with_account(ix.set_paused_operations(exchange.admin.pubkey(), 3), 1, is_writable=False)
    expect_error(exchange.svm.send([i], [exchange.admin]), custom.AccountNotWritable)


def test_set_paused_operations_exchange_owned_by_another_program(exchange: LocalExchange) -> None:
    svm = exchange.svm
    fake = copy_to(svm, exchange.address, owner=Pubkey.new_unique())
    i = with_account(ix.set_paused_operations(exchange.admin.pubkey(), 3), 1, fake)
    expect_error(svm.send([i], [exchange.admin]), custom.InvalidAccountOwner)


def test_set_paused_operations_exchange_owned_by_token_program(exchange: LocalExchange) -> None:
    svm = exchange.svm
    fake = copy_to(svm, exchange.address, owner=TOKEN_PROGRAM_ID)
    i = with_account(ix.set_paused_operations(exchange.admin.pubkey(), 3), 1, fake)
    expect_error(svm.send([i], [exchange.admin]), custom.InvalidAccountOwner)


def test_set_paused_operations_user_or_market_as_exchange(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    user = exchange.add_user(tokens=0, keypair=admin)  # a User whose authority is the admin key
    market = exchange.market_address(exchange.add_market("SOL-PERP"))
    for wrong in (user.address, market):
        i = with_account(ix.set_paused_operations(admin.pubkey(), 3), 1, wrong)
        expect_error(svm.send([i], [admin]), custom.InvalidDiscriminator)
    assert exchange.state().paused_operations == 0
    assert svm.decode(User, user.address).authority == admin.pubkey()
    assert svm.decode(Market, market).market_index == 0


def test_set_paused_operations_exchange_with_wrong_size(exchange: LocalExchange) -> None:
    svm = exchange.svm
    longer = copy_to(
        svm, exchange.address, extra=b"\0"
    )  # owned by the program, right discriminator
    i = with_account(ix.set_paused_operations(exchange.admin.pubkey(), 3), 1, longer)
    expect_error(svm.send([i], [exchange.admin]), custom.InvalidAccountSize)


def test_set_paused_operations_uninitialized_exchange(svm: LocalSvm) -> None:
    admin = svm.funded_keypair(1)
    # no exchange exists: the address is an empty System account
    expect_error(
        svm.send([ix.set_paused_operations(admin.pubkey(), 1)], [admin]), custom.InvalidAccountOwner
    )


# ------------------------------------------------------------------------------------------------
# transfer_admin


def test_transfer_admin(exchange: LocalExchange) -> None:
    svm, old = exchange.svm, exchange.admin
    new = svm.funded_keypair(5)
    before = exchange.state()
    out = svm.send_ok([ix.transfer_admin(old.pubkey(), new.pubkey())], [old])
    ev = single_event(out, "AdminTransferred")
    assert ev.old_admin == old.pubkey()
    assert ev.new_admin == new.pubkey()
    after = exchange.state()
    assert after.admin == new.pubkey()
    assert dataclasses.replace(after, admin=old.pubkey()) == before

    # the old admin is now rejected everywhere an admin is needed
    expect_error(svm.send([ix.set_paused_operations(old.pubkey(), 1)], [old]), custom.Unauthorized)
    expect_error(
        svm.send([ix.transfer_admin(old.pubkey(), old.pubkey())], [old]), custom.Unauthorized
    )
    mkt = ix.initialize_market(
        old.pubkey(),
        0,
        "SOL-PERP",
        oracle_config(Pubkey.new_unique(), Pubkey.new_unique()),
        default_market_params(),
    )
    expect_error(svm.send([mkt], [old]), custom.Unauthorized)
    assert exchange.state().admin == new.pubkey()

    # the new admin can act, and hand the role back
    svm.send_ok([ix.set_paused_operations(new.pubkey(), 2)], [new])
    assert exchange.state().paused_operations == 2
    out = svm.send_ok([ix.transfer_admin(new.pubkey(), old.pubkey())], [new])
    ev = single_event(out, "AdminTransferred")
    assert (ev.old_admin, ev.new_admin) == (new.pubkey(), old.pubkey())
    assert exchange.state().admin == old.pubkey()


def test_transfer_admin_to_zero_key_is_rejected(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    out = svm.send([ix.transfer_admin(admin.pubkey(), Pubkey.default())], [admin])
    expect_error(out, custom.InvalidInstructionData)
    assert exchange.state().admin == admin.pubkey()


def test_transfer_admin_not_admin(exchange: LocalExchange) -> None:
    svm = exchange.svm
    intruder = svm.funded_keypair(1)
    expect_error(
        svm.send([ix.transfer_admin(intruder.pubkey(), intruder.pubkey())], [intruder]),
        custom.Unauthorized,
    )
    assert exchange.state().admin == exchange.admin.pubkey()


def test_transfer_admin_requires_signature(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    i = with_account(ix.transfer_admin(admin.pubkey(), svm.payer.pubkey()), 0, is_signer=False)
    expect_error(svm.send([i]), custom.MissingSigner)
    assert exchange.state().admin == admin.pubkey()


def test_transfer_admin_exchange_owned_by_another_program(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    fake = copy_to(svm, exchange.address, owner=Pubkey.new_unique())
    i = with_account(ix.transfer_admin(admin.pubkey(), Pubkey.new_unique()), 1, fake)
    expect_error(svm.send([i], [admin]), custom.InvalidAccountOwner)


def test_transfer_admin_user_as_exchange(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    user = exchange.add_user(tokens=0, keypair=admin)
    i = with_account(ix.transfer_admin(admin.pubkey(), Pubkey.new_unique()), 1, user.address)
    expect_error(svm.send([i], [admin]), custom.InvalidDiscriminator)
    assert svm.decode(User, user.address).authority == admin.pubkey()


def test_transfer_admin_data_is_the_new_key(exchange: LocalExchange) -> None:
    # Built by hand from the IDL (discriminator + 32-byte key), independently of the client.
    svm, admin = exchange.svm, exchange.admin
    new = Pubkey.new_unique()
    data = instruction_discriminator("transferAdmin") + bytes(new)
    svm.send_ok([with_data(ix.transfer_admin(admin.pubkey(), Pubkey.new_unique()), data)], [admin])
    assert exchange.state().admin == new


def test_exchange_keeps_total_collateral_across_admin_changes(exchange: LocalExchange) -> None:
    svm, admin = exchange.svm, exchange.admin
    exchange.add_user(tokens=10 * QUOTE, deposit=7 * QUOTE)
    new = Keypair()
    svm.send_ok([ix.transfer_admin(admin.pubkey(), new.pubkey())], [admin])
    st = exchange.state()
    assert st.total_collateral == 7 * QUOTE and st.admin == new.pubkey()
