from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class LiquidatePerpArgs(typing.TypedDict):
    max_base_amount: int


layout = borsh.CStruct("max_base_amount" / borsh.U64)


class LiquidatePerpAccounts(typing.TypedDict):
    liquidator: Pubkey
    liquidator_user: Pubkey
    user: Pubkey
    market: Pubkey
    orderbook: Pubkey
    exchange: Pubkey


def liquidate_perp(
    args: LiquidatePerpArgs,
    accounts: LiquidatePerpAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["liquidator"], is_signer=True, is_writable=False),
        AccountMeta(
            pubkey=accounts["liquidator_user"], is_signer=False, is_writable=True
        ),
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["orderbook"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"K#w\xf7\xbf\x12\x8b\x02"
    encoded_args = layout.build(
        {
            "max_base_amount": args["max_base_amount"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
