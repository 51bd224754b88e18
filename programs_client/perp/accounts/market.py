import typing
from dataclasses import dataclass
from solders.pubkey import Pubkey
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment
import borsh_construct as borsh
from anchorpy.coder.accounts import ACCOUNT_DISCRIMINATOR_SIZE
from anchorpy.error import AccountInvalidDiscriminator
from anchorpy.utils.rpc import get_multiple_accounts
from ..program_id import PROGRAM_ID
from .. import types


class MarketJSON(typing.TypedDict):
    oracle: types.oracle_config.OracleConfigJSON
    params: types.market_params.MarketParamsJSON
    name: list[int]
    open_interest_long: int
    open_interest_short: int
    market_index: int
    status: types.market_status.MarketStatusJSON
    bump: int
    padding: list[int]


@dataclass
class Market:
    discriminator: typing.ClassVar = b"\xdb\xbe\xd57\x00\xe3\xc6\x9a"
    layout: typing.ClassVar = borsh.CStruct(
        "oracle" / types.oracle_config.OracleConfig.layout,
        "params" / types.market_params.MarketParams.layout,
        "name" / borsh.U8[16],
        "open_interest_long" / borsh.U64,
        "open_interest_short" / borsh.U64,
        "market_index" / borsh.U16,
        "status" / types.market_status.layout,
        "bump" / borsh.U8,
        "padding" / borsh.U8[4],
    )
    oracle: types.oracle_config.OracleConfig
    params: types.market_params.MarketParams
    name: list[int]
    open_interest_long: int
    open_interest_short: int
    market_index: int
    status: types.market_status.MarketStatusKind
    bump: int
    padding: list[int]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["Market"]:
        resp = await conn.get_account_info(address, commitment=commitment)
        info = resp.value
        if info is None:
            return None
        if info.owner != program_id:
            raise ValueError("Account does not belong to this program")
        bytes_data = info.data
        return cls.decode(bytes_data)

    @classmethod
    async def fetch_multiple(
        cls,
        conn: AsyncClient,
        addresses: list[Pubkey],
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.List[typing.Optional["Market"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["Market"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "Market":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = Market.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            oracle=types.oracle_config.OracleConfig.from_decoded(dec.oracle),
            params=types.market_params.MarketParams.from_decoded(dec.params),
            name=dec.name,
            open_interest_long=dec.open_interest_long,
            open_interest_short=dec.open_interest_short,
            market_index=dec.market_index,
            status=types.market_status.from_decoded(dec.status),
            bump=dec.bump,
            padding=dec.padding,
        )

    def to_json(self) -> MarketJSON:
        return {
            "oracle": self.oracle.to_json(),
            "params": self.params.to_json(),
            "name": self.name,
            "open_interest_long": self.open_interest_long,
            "open_interest_short": self.open_interest_short,
            "market_index": self.market_index,
            "status": self.status.to_json(),
            "bump": self.bump,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: MarketJSON) -> "Market":
        return cls(
            oracle=types.oracle_config.OracleConfig.from_json(obj["oracle"]),
            params=types.market_params.MarketParams.from_json(obj["params"]),
            name=obj["name"],
            open_interest_long=obj["open_interest_long"],
            open_interest_short=obj["open_interest_short"],
            market_index=obj["market_index"],
            status=types.market_status.from_json(obj["status"]),
            bump=obj["bump"],
            padding=obj["padding"],
        )
