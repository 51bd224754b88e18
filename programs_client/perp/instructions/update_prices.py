from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from ..program_id import PROGRAM_ID


class UpdatePricesAccounts(typing.TypedDict):
    market: Pubkey
    orderbook: Pubkey
    oracle_primary: Pubkey
    oracle_fallback: Pubkey


def update_prices(
    accounts: UpdatePricesAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["orderbook"], is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["oracle_primary"], is_signer=False, is_writable=False
        ),
        AccountMeta(
            pubkey=accounts["oracle_fallback"], is_signer=False, is_writable=False
        ),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b">\xa1\xea\x88j\x1a\x12\xa0"
    encoded_args = b""
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
