from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.system_program import ID as SYS_PROGRAM_ID
from solders.instruction import Instruction, AccountMeta
from anchorpy.borsh_extension import BorshPubkey
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class InitializeUserArgs(typing.TypedDict):
    delegate: Pubkey
    sub_id: int


layout = borsh.CStruct("delegate" / BorshPubkey, "sub_id" / borsh.U16)


class InitializeUserAccounts(typing.TypedDict):
    authority: Pubkey
    exchange: Pubkey
    user: Pubkey


def initialize_user(
    args: InitializeUserArgs,
    accounts: InitializeUserAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=True),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=False),
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=SYS_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"o\x11\xb9\xfa<z&\xfe"
    encoded_args = layout.build(
        {
            "delegate": args["delegate"],
            "sub_id": args["sub_id"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
