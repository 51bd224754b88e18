from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class CancelTriggerOrderArgs(typing.TypedDict):
    trigger_id: int


layout = borsh.CStruct("trigger_id" / borsh.U64)


class CancelTriggerOrderAccounts(typing.TypedDict):
    signer: Pubkey
    user: Pubkey
    trigger_orders: Pubkey


def cancel_trigger_order(
    args: CancelTriggerOrderArgs,
    accounts: CancelTriggerOrderAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["signer"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["trigger_orders"], is_signer=False, is_writable=True
        ),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\x90TC'\x1b\x19\xca\x8d"
    encoded_args = layout.build(
        {
            "trigger_id": args["trigger_id"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
