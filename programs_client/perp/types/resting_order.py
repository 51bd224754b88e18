from __future__ import annotations
import typing
from dataclasses import dataclass
from construct import Container
from solders.pubkey import Pubkey
from anchorpy.borsh_extension import BorshPubkey
import borsh_construct as borsh


class RestingOrderJSON(typing.TypedDict):
    owner: str
    order_id: int
    client_order_id: int
    price: int
    base_amount: int
    expiry_slot: int


@dataclass
class RestingOrder:
    layout: typing.ClassVar = borsh.CStruct(
        "owner" / BorshPubkey,
        "order_id" / borsh.U64,
        "client_order_id" / borsh.U64,
        "price" / borsh.U64,
        "base_amount" / borsh.U64,
        "expiry_slot" / borsh.U64,
    )
    owner: Pubkey
    order_id: int
    client_order_id: int
    price: int
    base_amount: int
    expiry_slot: int

    @classmethod
    def from_decoded(cls, obj: Container) -> "RestingOrder":
        return cls(
            owner=obj.owner,
            order_id=obj.order_id,
            client_order_id=obj.client_order_id,
            price=obj.price,
            base_amount=obj.base_amount,
            expiry_slot=obj.expiry_slot,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "owner": self.owner,
            "order_id": self.order_id,
            "client_order_id": self.client_order_id,
            "price": self.price,
            "base_amount": self.base_amount,
            "expiry_slot": self.expiry_slot,
        }

    def to_json(self) -> RestingOrderJSON:
        return {
            "owner": str(self.owner),
            "order_id": self.order_id,
            "client_order_id": self.client_order_id,
            "price": self.price,
            "base_amount": self.base_amount,
            "expiry_slot": self.expiry_slot,
        }

    @classmethod
    def from_json(cls, obj: RestingOrderJSON) -> "RestingOrder":
        return cls(
            owner=Pubkey.from_string(obj["owner"]),
            order_id=obj["order_id"],
            client_order_id=obj["client_order_id"],
            price=obj["price"],
            base_amount=obj["base_amount"],
            expiry_slot=obj["expiry_slot"],
        )
