from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from anchorpy.borsh_extension import BorshPubkey
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class TransferAdminArgs(typing.TypedDict):
    new_admin: Pubkey


layout = borsh.CStruct("new_admin" / BorshPubkey)


class TransferAdminAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey


def transfer_admin(
    args: TransferAdminArgs,
    accounts: TransferAdminAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["admin"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"*\xf2Bj\xe4\no\x9c"
    encoded_args = layout.build(
        {
            "new_admin": args["new_admin"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
