from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from .. import types
from ..program_id import PROGRAM_ID


class PlaceTriggerOrderArgs(typing.TypedDict):
    order: types.trigger_order_args.TriggerOrderArgs


layout = borsh.CStruct("order" / types.trigger_order_args.TriggerOrderArgs.layout)


class PlaceTriggerOrderAccounts(typing.TypedDict):
    signer: Pubkey
    user: Pubkey
    trigger_orders: Pubkey
    market: Pubkey


def place_trigger_order(
    args: PlaceTriggerOrderArgs,
    accounts: PlaceTriggerOrderAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["signer"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["trigger_orders"], is_signer=False, is_writable=True
        ),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=False),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b" \x9c2\xbc\xe8\x9fp\xec"
    encoded_args = layout.build(
        {
            "order": args["order"].to_encodable(),
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
