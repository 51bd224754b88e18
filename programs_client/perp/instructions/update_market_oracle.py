from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from .. import types
from ..program_id import PROGRAM_ID


class UpdateMarketOracleArgs(typing.TypedDict):
    oracle: types.oracle_config.OracleConfig


layout = borsh.CStruct("oracle" / types.oracle_config.OracleConfig.layout)


class UpdateMarketOracleAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey
    market: Pubkey


def update_market_oracle(
    args: UpdateMarketOracleArgs,
    accounts: UpdateMarketOracleAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["admin"], is_signer=True, is_writable=False),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=False),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"\xc3\xc8r\\\xe3\x05\x0fw"
    encoded_args = layout.build(
        {
            "oracle": args["oracle"].to_encodable(),
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
