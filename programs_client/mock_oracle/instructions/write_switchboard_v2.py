from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class WriteSwitchboardV2Args(typing.TypedDict):
    result_lo: int
    result_hi: int
    std_dev_lo: int
    std_dev_hi: int
    round_open_slot: int
    result_scale: int
    std_dev_scale: int
    num_success: int
    min_oracle_results: int


layout = borsh.CStruct(
    "result_lo" / borsh.U64,
    "result_hi" / borsh.U64,
    "std_dev_lo" / borsh.U64,
    "std_dev_hi" / borsh.U64,
    "round_open_slot" / borsh.U64,
    "result_scale" / borsh.U32,
    "std_dev_scale" / borsh.U32,
    "num_success" / borsh.U32,
    "min_oracle_results" / borsh.U32,
)


class WriteSwitchboardV2Accounts(typing.TypedDict):
    authority: Pubkey
    config: Pubkey
    aggregator: Pubkey


def write_switchboard_v2(
    args: WriteSwitchboardV2Args,
    accounts: WriteSwitchboardV2Accounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["config"], is_signer=False, is_writable=False),
        AccountMeta(pubkey=accounts["aggregator"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\xa6\x8d\x11\x88\xf9\xb6\xe2m"
    encoded_args = layout.build(
        {
            "result_lo": args["result_lo"],
            "result_hi": args["result_hi"],
            "std_dev_lo": args["std_dev_lo"],
            "std_dev_hi": args["std_dev_hi"],
            "round_open_slot": args["round_open_slot"],
            "result_scale": args["result_scale"],
            "std_dev_scale": args["std_dev_scale"],
            "num_success": args["num_success"],
            "min_oracle_results": args["min_oracle_results"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
