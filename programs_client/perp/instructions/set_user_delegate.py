from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from anchorpy.borsh_extension import BorshPubkey
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class SetUserDelegateArgs(typing.TypedDict):
    delegate: Pubkey


layout = borsh.CStruct("delegate" / BorshPubkey)


class SetUserDelegateAccounts(typing.TypedDict):
    authority: Pubkey
    user: Pubkey


def set_user_delegate(
    args: SetUserDelegateArgs,
    accounts: SetUserDelegateAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["user"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\xf9\xe0(F\x8c\xb1;q"
    encoded_args = layout.build(
        {
            "delegate": args["delegate"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
