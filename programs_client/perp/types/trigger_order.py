from __future__ import annotations
from . import (
    side,
    trigger_kind,
    trigger_condition,
    trigger_price_source,
)
import typing
from dataclasses import dataclass
from construct import Container
import borsh_construct as borsh


class TriggerOrderJSON(typing.TypedDict):
    trigger_id: int
    trigger_price: int
    limit_price: int
    base_amount: int
    market_index: int
    side: side.SideJSON
    kind: trigger_kind.TriggerKindJSON
    condition: trigger_condition.TriggerConditionJSON
    price_source: trigger_price_source.TriggerPriceSourceJSON
    reduce_only: bool
    placed_by_delegate: bool
    padding: list[int]


@dataclass
class TriggerOrder:
    layout: typing.ClassVar = borsh.CStruct(
        "trigger_id" / borsh.U64,
        "trigger_price" / borsh.U64,
        "limit_price" / borsh.U64,
        "base_amount" / borsh.U64,
        "market_index" / borsh.U16,
        "side" / side.layout,
        "kind" / trigger_kind.layout,
        "condition" / trigger_condition.layout,
        "price_source" / trigger_price_source.layout,
        "reduce_only" / borsh.Bool,
        "placed_by_delegate" / borsh.Bool,
        "padding" / borsh.U8[8],
    )
    trigger_id: int
    trigger_price: int
    limit_price: int
    base_amount: int
    market_index: int
    side: side.SideKind
    kind: trigger_kind.TriggerKindKind
    condition: trigger_condition.TriggerConditionKind
    price_source: trigger_price_source.TriggerPriceSourceKind
    reduce_only: bool
    placed_by_delegate: bool
    padding: list[int]

    @classmethod
    def from_decoded(cls, obj: Container) -> "TriggerOrder":
        return cls(
            trigger_id=obj.trigger_id,
            trigger_price=obj.trigger_price,
            limit_price=obj.limit_price,
            base_amount=obj.base_amount,
            market_index=obj.market_index,
            side=side.from_decoded(obj.side),
            kind=trigger_kind.from_decoded(obj.kind),
            condition=trigger_condition.from_decoded(obj.condition),
            price_source=trigger_price_source.from_decoded(obj.price_source),
            reduce_only=obj.reduce_only,
            placed_by_delegate=obj.placed_by_delegate,
            padding=obj.padding,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "trigger_id": self.trigger_id,
            "trigger_price": self.trigger_price,
            "limit_price": self.limit_price,
            "base_amount": self.base_amount,
            "market_index": self.market_index,
            "side": self.side.to_encodable(),
            "kind": self.kind.to_encodable(),
            "condition": self.condition.to_encodable(),
            "price_source": self.price_source.to_encodable(),
            "reduce_only": self.reduce_only,
            "placed_by_delegate": self.placed_by_delegate,
            "padding": self.padding,
        }

    def to_json(self) -> TriggerOrderJSON:
        return {
            "trigger_id": self.trigger_id,
            "trigger_price": self.trigger_price,
            "limit_price": self.limit_price,
            "base_amount": self.base_amount,
            "market_index": self.market_index,
            "side": self.side.to_json(),
            "kind": self.kind.to_json(),
            "condition": self.condition.to_json(),
            "price_source": self.price_source.to_json(),
            "reduce_only": self.reduce_only,
            "placed_by_delegate": self.placed_by_delegate,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: TriggerOrderJSON) -> "TriggerOrder":
        return cls(
            trigger_id=obj["trigger_id"],
            trigger_price=obj["trigger_price"],
            limit_price=obj["limit_price"],
            base_amount=obj["base_amount"],
            market_index=obj["market_index"],
            side=side.from_json(obj["side"]),
            kind=trigger_kind.from_json(obj["kind"]),
            condition=trigger_condition.from_json(obj["condition"]),
            price_source=trigger_price_source.from_json(obj["price_source"]),
            reduce_only=obj["reduce_only"],
            placed_by_delegate=obj["placed_by_delegate"],
            padding=obj["padding"],
        )
