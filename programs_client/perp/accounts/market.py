import typing
from dataclasses import dataclass
from solders.pubkey import Pubkey
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment
import borsh_construct as borsh
from anchorpy.coder.accounts import ACCOUNT_DISCRIMINATOR_SIZE
from anchorpy.error import AccountInvalidDiscriminator
from anchorpy.utils.rpc import get_multiple_accounts
from anchorpy.borsh_extension import BorshPubkey
from ..program_id import PROGRAM_ID
from .. import types


class MarketJSON(typing.TypedDict):
    oracle: types.oracle_config.OracleConfigJSON
    params: types.market_params.MarketParamsJSON
    orderbook: str
    event_queue: str
    name: list[int]
    index_price: int
    index_price_slot: int
    index_confidence: int
    mark_price: int
    premium_ema: int
    mark_twap: int
    index_twap: int
    twap_updated_ts: int
    last_price_update_slot: int
    cumulative_funding_long: int
    cumulative_funding_short: int
    last_funding_ts: int
    last_funding_rate: int
    open_interest_long: int
    open_interest_short: int
    fee_pool: int
    pnl_pool: int
    settlement_price: int
    next_order_id: int
    last_revenue_settle_ts: int
    socialised_loss: int
    premium_order_id_limit: int
    market_index: int
    status: types.market_status.MarketStatusJSON
    bump: int
    oracle_source: int
    padding: list[int]


@dataclass
class Market:
    discriminator: typing.ClassVar = b"\xdb\xbe\xd57\x00\xe3\xc6\x9a"
    layout: typing.ClassVar = borsh.CStruct(
        "oracle" / types.oracle_config.OracleConfig.layout,
        "params" / types.market_params.MarketParams.layout,
        "orderbook" / BorshPubkey,
        "event_queue" / BorshPubkey,
        "name" / borsh.U8[16],
        "index_price" / borsh.U64,
        "index_price_slot" / borsh.U64,
        "index_confidence" / borsh.U64,
        "mark_price" / borsh.U64,
        "premium_ema" / borsh.I64,
        "mark_twap" / borsh.U64,
        "index_twap" / borsh.U64,
        "twap_updated_ts" / borsh.I64,
        "last_price_update_slot" / borsh.U64,
        "cumulative_funding_long" / borsh.I64,
        "cumulative_funding_short" / borsh.I64,
        "last_funding_ts" / borsh.I64,
        "last_funding_rate" / borsh.I64,
        "open_interest_long" / borsh.U64,
        "open_interest_short" / borsh.U64,
        "fee_pool" / borsh.U64,
        "pnl_pool" / borsh.U64,
        "settlement_price" / borsh.U64,
        "next_order_id" / borsh.U64,
        "last_revenue_settle_ts" / borsh.I64,
        "socialised_loss" / borsh.U64,
        "premium_order_id_limit" / borsh.U64,
        "market_index" / borsh.U16,
        "status" / types.market_status.layout,
        "bump" / borsh.U8,
        "oracle_source" / borsh.U8,
        "padding" / borsh.U8[3],
    )
    oracle: types.oracle_config.OracleConfig
    params: types.market_params.MarketParams
    orderbook: Pubkey
    event_queue: Pubkey
    name: list[int]
    index_price: int
    index_price_slot: int
    index_confidence: int
    mark_price: int
    premium_ema: int
    mark_twap: int
    index_twap: int
    twap_updated_ts: int
    last_price_update_slot: int
    cumulative_funding_long: int
    cumulative_funding_short: int
    last_funding_ts: int
    last_funding_rate: int
    open_interest_long: int
    open_interest_short: int
    fee_pool: int
    pnl_pool: int
    settlement_price: int
    next_order_id: int
    last_revenue_settle_ts: int
    socialised_loss: int
    premium_order_id_limit: int
    market_index: int
    status: types.market_status.MarketStatusKind
    bump: int
    oracle_source: int
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
            orderbook=dec.orderbook,
            event_queue=dec.event_queue,
            name=dec.name,
            index_price=dec.index_price,
            index_price_slot=dec.index_price_slot,
            index_confidence=dec.index_confidence,
            mark_price=dec.mark_price,
            premium_ema=dec.premium_ema,
            mark_twap=dec.mark_twap,
            index_twap=dec.index_twap,
            twap_updated_ts=dec.twap_updated_ts,
            last_price_update_slot=dec.last_price_update_slot,
            cumulative_funding_long=dec.cumulative_funding_long,
            cumulative_funding_short=dec.cumulative_funding_short,
            last_funding_ts=dec.last_funding_ts,
            last_funding_rate=dec.last_funding_rate,
            open_interest_long=dec.open_interest_long,
            open_interest_short=dec.open_interest_short,
            fee_pool=dec.fee_pool,
            pnl_pool=dec.pnl_pool,
            settlement_price=dec.settlement_price,
            next_order_id=dec.next_order_id,
            last_revenue_settle_ts=dec.last_revenue_settle_ts,
            socialised_loss=dec.socialised_loss,
            premium_order_id_limit=dec.premium_order_id_limit,
            market_index=dec.market_index,
            status=types.market_status.from_decoded(dec.status),
            bump=dec.bump,
            oracle_source=dec.oracle_source,
            padding=dec.padding,
        )

    def to_json(self) -> MarketJSON:
        return {
            "oracle": self.oracle.to_json(),
            "params": self.params.to_json(),
            "orderbook": str(self.orderbook),
            "event_queue": str(self.event_queue),
            "name": self.name,
            "index_price": self.index_price,
            "index_price_slot": self.index_price_slot,
            "index_confidence": self.index_confidence,
            "mark_price": self.mark_price,
            "premium_ema": self.premium_ema,
            "mark_twap": self.mark_twap,
            "index_twap": self.index_twap,
            "twap_updated_ts": self.twap_updated_ts,
            "last_price_update_slot": self.last_price_update_slot,
            "cumulative_funding_long": self.cumulative_funding_long,
            "cumulative_funding_short": self.cumulative_funding_short,
            "last_funding_ts": self.last_funding_ts,
            "last_funding_rate": self.last_funding_rate,
            "open_interest_long": self.open_interest_long,
            "open_interest_short": self.open_interest_short,
            "fee_pool": self.fee_pool,
            "pnl_pool": self.pnl_pool,
            "settlement_price": self.settlement_price,
            "next_order_id": self.next_order_id,
            "last_revenue_settle_ts": self.last_revenue_settle_ts,
            "socialised_loss": self.socialised_loss,
            "premium_order_id_limit": self.premium_order_id_limit,
            "market_index": self.market_index,
            "status": self.status.to_json(),
            "bump": self.bump,
            "oracle_source": self.oracle_source,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: MarketJSON) -> "Market":
        return cls(
            oracle=types.oracle_config.OracleConfig.from_json(obj["oracle"]),
            params=types.market_params.MarketParams.from_json(obj["params"]),
            orderbook=Pubkey.from_string(obj["orderbook"]),
            event_queue=Pubkey.from_string(obj["event_queue"]),
            name=obj["name"],
            index_price=obj["index_price"],
            index_price_slot=obj["index_price_slot"],
            index_confidence=obj["index_confidence"],
            mark_price=obj["mark_price"],
            premium_ema=obj["premium_ema"],
            mark_twap=obj["mark_twap"],
            index_twap=obj["index_twap"],
            twap_updated_ts=obj["twap_updated_ts"],
            last_price_update_slot=obj["last_price_update_slot"],
            cumulative_funding_long=obj["cumulative_funding_long"],
            cumulative_funding_short=obj["cumulative_funding_short"],
            last_funding_ts=obj["last_funding_ts"],
            last_funding_rate=obj["last_funding_rate"],
            open_interest_long=obj["open_interest_long"],
            open_interest_short=obj["open_interest_short"],
            fee_pool=obj["fee_pool"],
            pnl_pool=obj["pnl_pool"],
            settlement_price=obj["settlement_price"],
            next_order_id=obj["next_order_id"],
            last_revenue_settle_ts=obj["last_revenue_settle_ts"],
            socialised_loss=obj["socialised_loss"],
            premium_order_id_limit=obj["premium_order_id_limit"],
            market_index=obj["market_index"],
            status=types.market_status.from_json(obj["status"]),
            bump=obj["bump"],
            oracle_source=obj["oracle_source"],
            padding=obj["padding"],
        )
