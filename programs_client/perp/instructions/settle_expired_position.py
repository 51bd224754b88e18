from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class SettleExpiredPositionAccounts(typing.TypedDict):
    user: Pubkey
    market: Pubkey
    orderbook: Pubkey


def settle_expired_position(
    accounts: SettleExpiredPositionAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["orderbook"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"4\x8a\xa6\x1eX\xaa;\xa3"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
