from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class CancelAllOrdersAccounts(typing.TypedDict):
    signer: Pubkey
    user: Pubkey
    market: Pubkey
    orderbook: Pubkey


def cancel_all_orders(
    accounts: CancelAllOrdersAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["signer"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=False),
        AccountMeta(pubkey=accounts["orderbook"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\xc4S\xf3\xab\x11d\xa0\x8f"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
