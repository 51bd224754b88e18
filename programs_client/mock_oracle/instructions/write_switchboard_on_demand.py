from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class WriteSwitchboardOnDemandArgs(typing.TypedDict):
    value_lo: int
    value_hi: int
    std_dev_lo: int
    std_dev_hi: int
    slot: int


layout = borsh.CStruct(
    "value_lo" / borsh.U64,
    "value_hi" / borsh.U64,
    "std_dev_lo" / borsh.U64,
    "std_dev_hi" / borsh.U64,
    "slot" / borsh.U64,
)


class WriteSwitchboardOnDemandAccounts(typing.TypedDict):
    authority: Pubkey
    config: Pubkey
    feed: Pubkey


def write_switchboard_on_demand(
    args: WriteSwitchboardOnDemandArgs,
    accounts: WriteSwitchboardOnDemandAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["config"], is_signer=False, is_writable=False),
        AccountMeta(pubkey=accounts["feed"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\x1c\xba\x03A\x8f\xdev*"
    encoded_args = layout.build(
        {
            "value_lo": args["value_lo"],
            "value_hi": args["value_hi"],
            "std_dev_lo": args["std_dev_lo"],
            "std_dev_hi": args["std_dev_hi"],
            "slot": args["slot"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
