from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class SetPausedOperationsArgs(typing.TypedDict):
    paused_operations: int


layout = borsh.CStruct("paused_operations" / borsh.U16)


class SetPausedOperationsAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey


def set_paused_operations(
    args: SetPausedOperationsArgs,
    accounts: SetPausedOperationsAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["admin"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"2\x9b\xb0\xd3\xab41\x00"
    encoded_args = layout.build(
        {
            "paused_operations": args["paused_operations"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
