from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class RequestRemoveInsuranceStakeArgs(typing.TypedDict):
    shares: int


layout = borsh.CStruct("shares" / borsh.U64)


class RequestRemoveInsuranceStakeAccounts(typing.TypedDict):
    authority: Pubkey
    insurance_fund: Pubkey
    insurance_stake: Pubkey


def request_remove_insurance_stake(
    args: RequestRemoveInsuranceStakeArgs,
    accounts: RequestRemoveInsuranceStakeAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["authority"], is_signer=True, is_writable=False),
        AccountMeta(
            pubkey=accounts["insurance_fund"], is_signer=False, is_writable=False
        ),
        AccountMeta(
            pubkey=accounts["insurance_stake"], is_signer=False, is_writable=True
        ),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"?\x106\n\xde\xf38\xab"
    encoded_args = layout.build(
        {
            "shares": args["shares"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
