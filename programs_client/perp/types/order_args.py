from __future__ import annotations
from . import (
    side,
    order_type,
)
import typing
from dataclasses import dataclass
from construct import Container
import borsh_construct as borsh


class OrderArgsJSON(typing.TypedDict):
    price: int
    base_amount: int
    client_order_id: int
    side: side.SideJSON
    order_type: order_type.OrderTypeJSON
    reduce_only: bool
    padding: list[int]
    expiry_slot: int
    min_fill_base: int


@dataclass
class OrderArgs:
    layout: typing.ClassVar = borsh.CStruct(
        "price" / borsh.U64,
        "base_amount" / borsh.U64,
        "client_order_id" / borsh.U64,
        "side" / side.layout,
        "order_type" / order_type.layout,
        "reduce_only" / borsh.Bool,
        "padding" / borsh.U8[5],
        "expiry_slot" / borsh.U64,
        "min_fill_base" / borsh.U64,
    )
    price: int
    base_amount: int
    client_order_id: int
    side: side.SideKind
    order_type: order_type.OrderTypeKind
    reduce_only: bool
    padding: list[int]
    expiry_slot: int
    min_fill_base: int

    @classmethod
    def from_decoded(cls, obj: Container) -> "OrderArgs":
        return cls(
            price=obj.price,
            base_amount=obj.base_amount,
            client_order_id=obj.client_order_id,
            side=side.from_decoded(obj.side),
            order_type=order_type.from_decoded(obj.order_type),
            reduce_only=obj.reduce_only,
            padding=obj.padding,
            expiry_slot=obj.expiry_slot,
            min_fill_base=obj.min_fill_base,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "price": self.price,
            "base_amount": self.base_amount,
            "client_order_id": self.client_order_id,
            "side": self.side.to_encodable(),
            "order_type": self.order_type.to_encodable(),
            "reduce_only": self.reduce_only,
            "padding": self.padding,
            "expiry_slot": self.expiry_slot,
            "min_fill_base": self.min_fill_base,
        }

    def to_json(self) -> OrderArgsJSON:
        return {
            "price": self.price,
            "base_amount": self.base_amount,
            "client_order_id": self.client_order_id,
            "side": self.side.to_json(),
            "order_type": self.order_type.to_json(),
            "reduce_only": self.reduce_only,
            "padding": self.padding,
            "expiry_slot": self.expiry_slot,
            "min_fill_base": self.min_fill_base,
        }

    @classmethod
    def from_json(cls, obj: OrderArgsJSON) -> "OrderArgs":
        return cls(
            price=obj["price"],
            base_amount=obj["base_amount"],
            client_order_id=obj["client_order_id"],
            side=side.from_json(obj["side"]),
            order_type=order_type.from_json(obj["order_type"]),
            reduce_only=obj["reduce_only"],
            padding=obj["padding"],
            expiry_slot=obj["expiry_slot"],
            min_fill_base=obj["min_fill_base"],
        )
