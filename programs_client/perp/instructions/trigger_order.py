from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class TriggerOrderArgs(typing.TypedDict):
    trigger_id: int


layout = borsh.CStruct("trigger_id" / borsh.U64)


class TriggerOrderAccounts(typing.TypedDict):
    keeper: Pubkey
    user: Pubkey
    market: Pubkey
    orderbook: Pubkey
    event_queue: Pubkey
    trigger_orders: Pubkey
    keeper_user: Pubkey


def trigger_order(
    args: TriggerOrderArgs,
    accounts: TriggerOrderAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["keeper"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["orderbook"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["event_queue"], is_signer=False, is_writable=True),
        AccountMeta(
            pubkey=accounts["trigger_orders"], is_signer=False, is_writable=True
        ),
        AccountMeta(pubkey=accounts["keeper_user"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"?p3\xe9\xe8/\xf0\xc7"
    encoded_args = layout.build(
        {
            "trigger_id": args["trigger_id"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
