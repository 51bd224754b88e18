from __future__ import annotations
import typing
from solders.pubkey import Pubkey
from solders.system_program import ID as SYS_PROGRAM_ID
from solders.instruction import Instruction, AccountMeta
import borsh_construct as borsh
from .. import types
from ..program_id import PROGRAM_ID


class InitializeMarketArgs(typing.TypedDict):
    oracle: types.oracle_config.OracleConfig
    params: types.market_params.MarketParams
    name: list[int]
    market_index: int


layout = borsh.CStruct(
    "oracle" / types.oracle_config.OracleConfig.layout,
    "params" / types.market_params.MarketParams.layout,
    "name" / borsh.U8[16],
    "market_index" / borsh.U16,
)


class InitializeMarketAccounts(typing.TypedDict):
    admin: Pubkey
    exchange: Pubkey
    market: Pubkey
    orderbook: Pubkey
    event_queue: Pubkey


def initialize_market(
    args: InitializeMarketArgs,
    accounts: InitializeMarketAccounts,
    program_id: Pubkey = PROGRAM_ID,
    remaining_accounts: typing.Optional[typing.List[AccountMeta]] = None,
) -> Instruction:
    keys: list[AccountMeta] = [
        AccountMeta(pubkey=accounts["admin"], is_signer=True, is_writable=True),
        AccountMeta(pubkey=accounts["exchange"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["market"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["orderbook"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=accounts["event_queue"], is_signer=False, is_writable=True),
        AccountMeta(pubkey=SYS_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    if remaining_accounts is not None:
        keys += remaining_accounts
    identifier = b"##\xbd\xc1\x9b0\xaa\xcb"
    encoded_args = layout.build(
        {
            "oracle": args["oracle"].to_encodable(),
            "params": args["params"].to_encodable(),
            "name": args["name"],
            "market_index": args["market_index"],
        }
    )
    data = identifier + encoded_args
    return Instruction(program_id, data, keys)
