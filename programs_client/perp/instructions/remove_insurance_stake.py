from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class RemoveInsuranceStakeAccounts(typing.TypedDict):
    authority: Pubkey
    exchange: Pubkey
    insurance_fund: Pubkey
    insurance_stake: Pubkey
    insurance_vault: Pubkey
    user_token_account: Pubkey


def remove_insurance_stake(
    accounts: RemoveInsuranceStakeAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["insurance_fund"], is_signer=False, is_writable=True
        ),
        AccountMeta(
            pubkey=accounts["insurance_stake"], is_signer=False, is_writable=True
        ),
        AccountMeta(
            pubkey=accounts["insurance_vault"], is_signer=False, is_writable=True
        ),
        AccountMeta(
            pubkey=accounts["user_token_account"], is_signer=False, is_writable=True
        ),
        AccountMeta(pubkey=TOKEN_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\xe6\xbav\xaa+\xd5\xd8P"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
