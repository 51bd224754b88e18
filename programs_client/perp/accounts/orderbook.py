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


class OrderbookJSON(typing.TypedDict):
    market: str
    bid_count: int
    ask_count: int
    bids: list[types.resting_order.RestingOrderJSON]
    asks: list[types.resting_order.RestingOrderJSON]


@dataclass
class Orderbook:
    discriminator: typing.ClassVar = b'+"\x19q\xc3EH\x07'
    layout: typing.ClassVar = borsh.CStruct(
        "market" / BorshPubkey,
        "bid_count" / borsh.U32,
        "ask_count" / borsh.U32,
        "bids" / types.resting_order.RestingOrder.layout[64],
        "asks" / types.resting_order.RestingOrder.layout[64],
    )
    market: Pubkey
    bid_count: int
    ask_count: int
    bids: list[types.resting_order.RestingOrder]
    asks: list[types.resting_order.RestingOrder]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["Orderbook"]:
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
    ) -> typing.List[typing.Optional["Orderbook"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["Orderbook"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "Orderbook":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = Orderbook.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            market=dec.market,
            bid_count=dec.bid_count,
            ask_count=dec.ask_count,
            bids=list(
                map(
                    lambda item: types.resting_order.RestingOrder.from_decoded(item),
                    dec.bids,
                )
            ),
            asks=list(
                map(
                    lambda item: types.resting_order.RestingOrder.from_decoded(item),
                    dec.asks,
                )
            ),
        )

    def to_json(self) -> OrderbookJSON:
        return {
            "market": str(self.market),
            "bid_count": self.bid_count,
            "ask_count": self.ask_count,
            "bids": list(map(lambda item: item.to_json(), self.bids)),
            "asks": list(map(lambda item: item.to_json(), self.asks)),
        }

    @classmethod
    def from_json(cls, obj: OrderbookJSON) -> "Orderbook":
        return cls(
            market=Pubkey.from_string(obj["market"]),
            bid_count=obj["bid_count"],
            ask_count=obj["ask_count"],
            bids=list(
                map(
                    lambda item: types.resting_order.RestingOrder.from_json(item),
                    obj["bids"],
                )
            ),
            asks=list(
                map(
                    lambda item: types.resting_order.RestingOrder.from_json(item),
                    obj["asks"],
                )
            ),
        )
