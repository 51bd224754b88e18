"""Client of the localnet mock oracle program (``programs/mock_oracle``, ``idl/mock_oracle.json``).

Pure instruction builders (the generated ``programs_client.mock_oracle.fast_instructions`` builders with the config PDA
filled in and 128-bit values split into limbs) and ``MockOracle``, which sends them through any
``send(instructions, signers)`` callable: ``LocalSvm.send`` today, an RPC client later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account

from keepers.exchange.oracles import ACCOUNT_LEN, OracleKind
from keepers.execution.results import Failed, Outcome
from programs_client.mock_oracle import fast_instructions as gen
from programs_client.mock_oracle.program_id import PROGRAM_ID as MOCK_ORACLE_PROGRAM_ID
from programs_client.mock_oracle.types import verification_level
from programs_client.perp.types import oracle_kind
from programs_client.perp.types.oracle_config import OracleConfig

Send = Callable[[Sequence[Instruction], Sequence[Keypair]], Outcome]

CONFIG_SEED = b"config"
PYTH_TRADING = 1
# Rent of every cluster's default Rent sysvar: 3,480 lamports per byte-year, exempt at 2 years.
_LAMPORTS_PER_BYTE_YEAR = 3480
_ACCOUNT_STORAGE_OVERHEAD = 128
_U64 = (1 << 64) - 1


@lru_cache(maxsize=16)
def config_pda(program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID) -> Pubkey:
    """Return the mock oracle's config PDA ['config']."""
    return Pubkey.find_program_address([CONFIG_SEED], program_id)[0]


def rent_exempt_lamports(size: int) -> int:
    """Return the rent-exempt balance of an account of ``size`` bytes under the default Rent sysvar."""
    return (_ACCOUNT_STORAGE_OVERHEAD + size) * _LAMPORTS_PER_BYTE_YEAR * 2


def i128_limbs(value: int) -> tuple[int, int]:
    """Split a signed 128-bit value into its two's-complement (lo, hi) u64 limbs."""
    if not -(1 << 127) <= value < (1 << 127):
        raise ValueError(f"{value} does not fit in an i128")
    raw = value & ((1 << 128) - 1)
    return raw & _U64, raw >> 64


def initialize_ix(authority: Pubkey, program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID) -> Instruction:
    """Create the config PDA; ``authority`` pays and becomes the only writer."""
    return gen.initialize(authority=authority, config=config_pda(program_id), program_id=program_id)


def create_price_account_ix(
    payer: Pubkey, account: Pubkey, kind: OracleKind, program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID
) -> Instruction:
    """Create ``account`` (which must sign) with the real size of layout ``kind``, owned by the mock oracle."""
    size = ACCOUNT_LEN[kind]
    return create_account(
        CreateAccountParams(
            from_pubkey=payer, to_pubkey=account, lamports=rent_exempt_lamports(size), space=size, owner=program_id
        )
    )


def _accounts(authority: Pubkey, target_name: str, target: Pubkey, program_id: Pubkey) -> dict[str, Pubkey]:
    return {"authority": authority, "config": config_pda(program_id), target_name: target}


def write_pyth_legacy_ix(
    authority: Pubkey,
    account: Pubkey,
    *,
    price: int,
    conf: int,
    exponent: int,
    status: int = PYTH_TRADING,
    publish_slot: int = 0,
    program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID,
) -> Instruction:
    """Write a Pyth legacy price account: raw price and conf at 10^exponent; publish_slot 0 = now."""
    args = {"price": price, "conf": conf, "publish_slot": publish_slot, "exponent": exponent, "status": status}
    return gen.write_pyth_legacy(**_accounts(authority, "price_account", account, program_id),
                                 **args, program_id=program_id)


def write_price_update_v2_ix(
    authority: Pubkey,
    account: Pubkey,
    *,
    feed_id: bytes,
    price: int,
    conf: int,
    exponent: int,
    full: bool = True,
    num_signatures: int = 0,
    publish_time: int = 0,
    publish_slot: int = 0,
    program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID,
) -> Instruction:
    """Write a Pyth PriceUpdateV2 account, Full or Partial(num_signatures); 0 slot/time = now."""
    args = {
        "feed_id": list(feed_id),
        "price": price,
        "conf": conf,
        "publish_time": publish_time,
        "publish_slot": publish_slot,
        "exponent": exponent,
        "verification_level": verification_level.Full() if full else verification_level.Partial(),
        "num_signatures": num_signatures,
        "padding": [0, 0],
    }
    return gen.write_price_update_v2(**_accounts(authority, "price_update", account, program_id),
                                     **args, program_id=program_id)


def write_switchboard_v2_ix(
    authority: Pubkey,
    account: Pubkey,
    *,
    mantissa: int,
    scale: int,
    std_dev_mantissa: int,
    std_dev_scale: int | None = None,
    num_success: int = 1,
    min_oracle_results: int = 1,
    round_open_slot: int = 0,
    program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID,
) -> Instruction:
    """Write a Switchboard V2 aggregator's latest confirmed round (value = mantissa / 10^scale)."""
    lo, hi = i128_limbs(mantissa)
    sd_lo, sd_hi = i128_limbs(std_dev_mantissa)
    args = {
        "result_lo": lo, "result_hi": hi, "std_dev_lo": sd_lo, "std_dev_hi": sd_hi,
        "round_open_slot": round_open_slot, "result_scale": scale,
        "std_dev_scale": scale if std_dev_scale is None else std_dev_scale,
        "num_success": num_success, "min_oracle_results": min_oracle_results,
    }
    return gen.write_switchboard_v2(**_accounts(authority, "aggregator", account, program_id),
                                    **args, program_id=program_id)


def write_switchboard_on_demand_ix(
    authority: Pubkey,
    account: Pubkey,
    *,
    value: int,
    std_dev: int,
    slot: int = 0,
    program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID,
) -> Instruction:
    """Write a Switchboard On-Demand feed's current result (i128 values at 1e18); slot 0 = now."""
    lo, hi = i128_limbs(value)
    sd_lo, sd_hi = i128_limbs(std_dev)
    args = {"value_lo": lo, "value_hi": hi, "std_dev_lo": sd_lo, "std_dev_hi": sd_hi, "slot": slot}
    return gen.write_switchboard_on_demand(**_accounts(authority, "feed", account, program_id),
                                           **args, program_id=program_id)


_KIND_TYPES = (oracle_kind.None_, oracle_kind.PythLegacy, oracle_kind.PythPullV2, oracle_kind.SwitchboardV2,
               oracle_kind.SwitchboardOnDemand)


def mock_oracle_config(
    primary_kind: OracleKind,
    primary: Pubkey,
    fallback_kind: OracleKind = OracleKind.NONE,
    fallback: Pubkey | None = None,
    primary_feed_id: bytes = bytes(32),
    fallback_feed_id: bytes = bytes(32),
    program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID,
) -> OracleConfig:
    """Return a market oracle configuration whose sources are accounts of the mock oracle program."""
    has_fallback = fallback_kind != OracleKind.NONE
    zero = Pubkey.default()
    return OracleConfig(
        primary=primary,
        primary_program=program_id,
        primary_feed_id=list(primary_feed_id),
        fallback=fallback if has_fallback and fallback is not None else zero,
        fallback_program=program_id if has_fallback else zero,
        fallback_feed_id=list(fallback_feed_id),
        primary_kind=_KIND_TYPES[primary_kind](),
        fallback_kind=_KIND_TYPES[fallback_kind](),
        padding=[0] * 6,
    )


@dataclass
class MockOracle:
    """The mock oracle on some chain: its authority and a ``send`` callable (which pays the fees)."""

    send: Send
    authority: Keypair
    program_id: Pubkey = MOCK_ORACLE_PROGRAM_ID

    def initialize(self) -> Outcome:
        """Create the config PDA with this authority."""
        return self.send([initialize_ix(self.authority.pubkey(), self.program_id)], [self.authority])

    def create_account(self, kind: OracleKind, payer: Keypair | None = None, account: Keypair | None = None) -> Pubkey:
        """Create a price account of layout ``kind`` (paid by ``payer``, default the authority); return its address."""
        payer = payer or self.authority
        account = account or Keypair()
        out = self.send([create_price_account_ix(payer.pubkey(), account.pubkey(), kind, self.program_id)], [payer, account])
        if isinstance(out, Failed):
            raise RuntimeError(f"creating the {kind.name} account failed: {out.error}")
        return account.pubkey()

    def write(self, ix: Instruction) -> Outcome:
        """Send one write instruction built by a ``write_*_ix`` function, signed by the authority."""
        return self.send([ix], [self.authority])


__all__ = [
    "MOCK_ORACLE_PROGRAM_ID",
    "MockOracle",
    "Send",
    "config_pda",
    "create_price_account_ix",
    "i128_limbs",
    "initialize_ix",
    "mock_oracle_config",
    "rent_exempt_lamports",
    "write_price_update_v2_ix",
    "write_pyth_legacy_ix",
    "write_switchboard_on_demand_ix",
    "write_switchboard_v2_ix",
]
