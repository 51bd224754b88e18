from __future__ import annotations
import typing
from dataclasses import dataclass
from construct import Container
import borsh_construct as borsh


class PerpPositionJSON(typing.TypedDict):
    base_amount: int
    quote_entry_amount: int
    last_cumulative_funding: int
    open_bids: int
    open_asks: int
    unsettled_pnl: int
    market_index: int
    open_orders: int
    padding: list[int]


@dataclass
class PerpPosition:
    layout: typing.ClassVar = borsh.CStruct(
        "base_amount" / borsh.I64,
        "quote_entry_amount" / borsh.I64,
        "last_cumulative_funding" / borsh.I64,
        "open_bids" / borsh.U64,
        "open_asks" / borsh.U64,
        "unsettled_pnl" / borsh.I64,
        "market_index" / borsh.U16,
        "open_orders" / borsh.U8,
        "padding" / borsh.U8[5],
    )
    base_amount: int
    quote_entry_amount: int
    last_cumulative_funding: int
    open_bids: int
    open_asks: int
    unsettled_pnl: int
    market_index: int
    open_orders: int
    padding: list[int]

    @classmethod
    def from_decoded(cls, obj: Container) -> "PerpPosition":
        return cls(
            base_amount=obj.base_amount,
            quote_entry_amount=obj.quote_entry_amount,
            last_cumulative_funding=obj.last_cumulative_funding,
            open_bids=obj.open_bids,
            open_asks=obj.open_asks,
            unsettled_pnl=obj.unsettled_pnl,
            market_index=obj.market_index,
            open_orders=obj.open_orders,
            padding=obj.padding,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "base_amount": self.base_amount,
            "quote_entry_amount": self.quote_entry_amount,
            "last_cumulative_funding": self.last_cumulative_funding,
            "open_bids": self.open_bids,
            "open_asks": self.open_asks,
            "unsettled_pnl": self.unsettled_pnl,
            "market_index": self.market_index,
            "open_orders": self.open_orders,
            "padding": self.padding,
        }

    def to_json(self) -> PerpPositionJSON:
        return {
            "base_amount": self.base_amount,
            "quote_entry_amount": self.quote_entry_amount,
            "last_cumulative_funding": self.last_cumulative_funding,
            "open_bids": self.open_bids,
            "open_asks": self.open_asks,
            "unsettled_pnl": self.unsettled_pnl,
            "market_index": self.market_index,
            "open_orders": self.open_orders,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: PerpPositionJSON) -> "PerpPosition":
        return cls(
            base_amount=obj["base_amount"],
            quote_entry_amount=obj["quote_entry_amount"],
            last_cumulative_funding=obj["last_cumulative_funding"],
            open_bids=obj["open_bids"],
            open_asks=obj["open_asks"],
            unsettled_pnl=obj["unsettled_pnl"],
            market_index=obj["market_index"],
            open_orders=obj["open_orders"],
            padding=obj["padding"],
        )
