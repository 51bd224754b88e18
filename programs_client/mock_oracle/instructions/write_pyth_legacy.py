from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class WritePythLegacyArgs(typing.TypedDict):
    price: int
    conf: int
    publish_slot: int
    exponent: int
    status: int


layout = borsh.CStruct(
    "price" / borsh.I64,
    "conf" / borsh.U64,
    "publish_slot" / borsh.U64,
    "exponent" / borsh.I32,
    "status" / borsh.U32,
)


class WritePythLegacyAccounts(typing.TypedDict):
    authority: Pubkey
    config: Pubkey
    price_account: Pubkey


def write_pyth_legacy(
    args: WritePythLegacyArgs,
    accounts: WritePythLegacyAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["config"], is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["price_account"], is_signer=False, is_writable=True
        ),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\x1a\x17\x9e\x146\x83\x15\xe9"
    encoded_args = layout.build(
        {
            "price": args["price"],
            "conf": args["conf"],
            "publish_slot": args["publish_slot"],
            "exponent": args["exponent"],
            "status": args["status"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
