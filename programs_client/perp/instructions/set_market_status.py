from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from .. import types
from ..program_id import PROGRAM_ID


class SetMarketStatusArgs(typing.TypedDict):
    status: types.market_status.MarketStatusKind


layout = borsh.CStruct("status" / types.market_status.layout)


class SetMarketStatusAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey
    market: Pubkey


def set_market_status(
    args: SetMarketStatusArgs,
    accounts: SetMarketStatusAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["admin"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=False),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"e\xafSk\xc8\x8d\x9b\xb6"
    encoded_args = layout.build(
        {
            "status": args["status"].to_encodable(),
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
