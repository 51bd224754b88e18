from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.system_program import ID as SYS_PROGRAM_ID
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from ..program_id import PROGRAM_ID


class InitializeInsuranceFundArgs(typing.TypedDict):
    unstake_cooldown_secs: int


layout = borsh.CStruct("unstake_cooldown_secs" / borsh.I64)


class InitializeInsuranceFundAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey
    insurance_fund: Pubkey
    insurance_vault: Pubkey


def initialize_insurance_fund(
    args: InitializeInsuranceFundArgs,
    accounts: InitializeInsuranceFundAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["admin"], is_signer=True, is_writable=True),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=False),
        AccountMeta(
            pubkey=accounts["insurance_fund"], is_signer=False, is_writable=True
        ),
        AccountMeta(
            pubkey=accounts["insurance_vault"], is_signer=False, is_writable=False
        ),
        AccountMeta(pubkey=SYS_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\x02\xef'W2\x1cl\x0c"
    encoded_args = layout.build(
        {
            "unstake_cooldown_secs": args["unstake_cooldown_secs"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
