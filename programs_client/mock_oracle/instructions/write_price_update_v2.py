from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from .. import types
from ..program_id import PROGRAM_ID


class WritePriceUpdateV2Args(typing.TypedDict):
    feed_id: list[int]
    price: int
    conf: int
    publish_time: int
    publish_slot: int
    exponent: int
    verification_level: types.verification_level.VerificationLevelKind
    num_signatures: int
    padding: list[int]


layout = borsh.CStruct(
    "feed_id" / borsh.U8[32],
    "price" / borsh.I64,
    "conf" / borsh.U64,
    "publish_time" / borsh.I64,
    "publish_slot" / borsh.U64,
    "exponent" / borsh.I32,
    "verification_level" / types.verification_level.layout,
    "num_signatures" / borsh.U8,
    "padding" / borsh.U8[2],
)


class WritePriceUpdateV2Accounts(typing.TypedDict):
    authority: Pubkey
    config: Pubkey
    price_update: Pubkey


def write_price_update_v2(
    args: WritePriceUpdateV2Args,
    accounts: WritePriceUpdateV2Accounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["config"], is_signer=False, is_writable=False),
        AccountMeta(pubkey=accounts["price_update"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\xa7F\x89\xa3\x82\xdbK\x0e"
    encoded_args = layout.build(
        {
            "feed_id": args["feed_id"],
            "price": args["price"],
            "conf": args["conf"],
            "publish_time": args["publish_time"],
            "publish_slot": args["publish_slot"],
            "exponent": args["exponent"],
            "verification_level": args["verification_level"].to_encodable(),
            "num_signatures": args["num_signatures"],
            "padding": args["padding"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
