from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class SettleRevenueToInsuranceAccounts(typing.TypedDict):
    exchange: Pubkey
    market: Pubkey
    event_queue: Pubkey
    collateral_vault: Pubkey
    insurance_vault: Pubkey


def settle_revenue_to_insurance(
    accounts: SettleRevenueToInsuranceAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["event_queue"], is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["collateral_vault"], is_signer=False, is_writable=True
        ),
        AccountMeta(
            pubkey=accounts["insurance_vault"], is_signer=False, is_writable=True
        ),
        AccountMeta(pubkey=TOKEN_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"l\xc0u\xaa\xad\x1b\xe5+"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
