from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class SettleFundingAccounts(typing.TypedDict):
    user: Pubkey


def settle_funding(
    accounts: SettleFundingAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True)
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\x0b\xfb\x0c\xa1\xc7\xe4\x85W"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
