from __future__ import annotations
from . import (
    side,
)
import typing
from dataclasses import dataclass
from construct import Container
from solders.pubkey import Pubkey
from anchorpy.borsh_extension import BorshPubkey
import borsh_construct as borsh


class FillRecordJSON(typing.TypedDict):
    maker: str
    maker_order_id: int
    price: int
    base_amount: int
    maker_rebate: int
    maker_side: side.SideJSON
    maker_order_done: int
    kind: int
    padding: list[int]


@dataclass
class FillRecord:
    layout: typing.ClassVar = borsh.CStruct(
        "maker" / BorshPubkey,
        "maker_order_id" / borsh.U64,
        "price" / borsh.U64,
        "base_amount" / borsh.U64,
        "maker_rebate" / borsh.U64,
        "maker_side" / side.layout,
        "maker_order_done" / borsh.U8,
        "kind" / borsh.U8,
        "padding" / borsh.U8[5],
    )
    maker: Pubkey
    maker_order_id: int
    price: int
    base_amount: int
    maker_rebate: int
    maker_side: side.SideKind
    maker_order_done: int
    kind: int
    padding: list[int]

    @classmethod
    def from_decoded(cls, obj: Container) -> "FillRecord":
        return cls(
            maker=obj.maker,
            maker_order_id=obj.maker_order_id,
            price=obj.price,
            base_amount=obj.base_amount,
            maker_rebate=obj.maker_rebate,
            maker_side=side.from_decoded(obj.maker_side),
            maker_order_done=obj.maker_order_done,
            kind=obj.kind,
            padding=obj.padding,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "maker": self.maker,
            "maker_order_id": self.maker_order_id,
            "price": self.price,
            "base_amount": self.base_amount,
            "maker_rebate": self.maker_rebate,
            "maker_side": self.maker_side.to_encodable(),
            "maker_order_done": self.maker_order_done,
            "kind": self.kind,
            "padding": self.padding,
        }

    def to_json(self) -> FillRecordJSON:
        return {
            "maker": str(self.maker),
            "maker_order_id": self.maker_order_id,
            "price": self.price,
            "base_amount": self.base_amount,
            "maker_rebate": self.maker_rebate,
            "maker_side": self.maker_side.to_json(),
            "maker_order_done": self.maker_order_done,
            "kind": self.kind,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: FillRecordJSON) -> "FillRecord":
        return cls(
            maker=Pubkey.from_string(obj["maker"]),
            maker_order_id=obj["maker_order_id"],
            price=obj["price"],
            base_amount=obj["base_amount"],
            maker_rebate=obj["maker_rebate"],
            maker_side=side.from_json(obj["maker_side"]),
            maker_order_done=obj["maker_order_done"],
            kind=obj["kind"],
            padding=obj["padding"],
        )
