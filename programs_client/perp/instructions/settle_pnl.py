from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class SettlePnlAccounts(typing.TypedDict):
    user: Pubkey
    market: Pubkey


def settle_pnl(
    accounts: SettlePnlAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"+=\xea-\x0f_\x98\x99"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
