from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class SettleMarketArgs(typing.TypedDict):
    settlement_price: int


layout = borsh.CStruct("settlement_price" / borsh.U64)


class SettleMarketAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey
    market: Pubkey


def settle_market(
    args: SettleMarketArgs,
    accounts: SettleMarketAccounts,
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
    identifier = b"\xc1\x99_\xd8\xa6\x06\x90\xd9"
    encoded_args = layout.build(
        {
            "settlement_price": args["settlement_price"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
