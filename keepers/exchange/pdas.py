"""Program-derived addresses of the perp program, with the seeds the program itself uses."""

from __future__ import annotations

from solders.pubkey import Pubkey

from programs_client.perp.program_id import PROGRAM_ID

EXCHANGE_SEED = b"exchange"
COLLATERAL_VAULT_SEED = b"collateral_vault"
INSURANCE_VAULT_SEED = b"insurance_vault"
MARKET_SEED = b"market"
USER_SEED = b"user"
ORDERBOOK_SEED = b"orderbook"
EVENT_QUEUE_SEED = b"event_queue"
BPF_LOADER_UPGRADEABLE_ID = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
INSURANCE_FUND_SEED = b"insurance_fund"
INSURANCE_STAKE_SEED = b"insurance_stake"
TRIGGERS_SEED = b"triggers"


def exchange_pda(program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the exchange account address (["exchange"])."""
    return Pubkey.find_program_address([EXCHANGE_SEED], program_id)[0]


def program_data_pda(program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the program's ProgramData account ([program id] of the BPF upgradeable loader)."""
    return Pubkey.find_program_address([bytes(program_id)], BPF_LOADER_UPGRADEABLE_ID)[0]


def collateral_vault_pda(program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the collateral vault token account address (["collateral_vault"])."""
    return Pubkey.find_program_address([COLLATERAL_VAULT_SEED], program_id)[0]


def insurance_vault_pda(program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the insurance fund vault token account address (["insurance_vault"])."""
    return Pubkey.find_program_address([INSURANCE_VAULT_SEED], program_id)[0]


def market_pda(market_index: int, program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the address of market ``market_index`` (["market", index as u16 LE])."""
    return Pubkey.find_program_address([MARKET_SEED, market_index.to_bytes(2, "little")], program_id)[0]


def user_pda(authority: Pubkey, sub_id: int = 0, program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the margin account address of ``authority`` (["user", authority, sub_id as u16 LE])."""
    return Pubkey.find_program_address([USER_SEED, bytes(authority), sub_id.to_bytes(2, "little")], program_id)[0]


def orderbook_pda(market_index: int, program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the order book address of market ``market_index`` (["orderbook", index as u16 LE])."""
    return Pubkey.find_program_address([ORDERBOOK_SEED, market_index.to_bytes(2, "little")], program_id)[0]


def event_queue_pda(market_index: int, program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the event queue address of market ``market_index`` (["event_queue", index as u16 LE])."""
    return Pubkey.find_program_address([EVENT_QUEUE_SEED, market_index.to_bytes(2, "little")], program_id)[0]


def insurance_fund_pda(program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the insurance fund's share accounting address (["insurance_fund"])."""
    return Pubkey.find_program_address([INSURANCE_FUND_SEED], program_id)[0]


def insurance_stake_pda(authority: Pubkey, program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return ``authority``'s insurance stake address (["insurance_stake", authority])."""
    return Pubkey.find_program_address([INSURANCE_STAKE_SEED, bytes(authority)], program_id)[0]


def trigger_orders_pda(user: Pubkey, program_id: Pubkey = PROGRAM_ID) -> Pubkey:
    """Return the TriggerOrders account of margin account ``user`` (["triggers", user])."""
    return Pubkey.find_program_address([TRIGGERS_SEED, bytes(user)], program_id)[0]
