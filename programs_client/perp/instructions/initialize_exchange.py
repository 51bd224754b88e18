from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.system_program import ID as SYS_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class InitializeExchangeAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey
    collateral_mint: Pubkey
    collateral_vault: Pubkey
    insurance_vault: Pubkey
    program_data: Pubkey


def initialize_exchange(
    accounts: InitializeExchangeAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["admin"], is_signer=True, is_writable=True),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=True),
        AccountMeta(
            pubkey=accounts["collateral_mint"], is_signer=False, is_writable=False
        ),
        AccountMeta(
            pubkey=accounts["collateral_vault"], is_signer=False, is_writable=True
        ),
        AccountMeta(
            pubkey=accounts["insurance_vault"], is_signer=False, is_writable=True
        ),
        AccountMeta(pubkey=TOKEN_PROGRAM_ID, is_signer=False, is_writable=False),
        AccountMeta(pubkey=SYS_PROGRAM_ID, is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["program_data"], is_signer=False, is_writable=False
        ),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\xe0it\xa6\xe4\xcf`\x13"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
