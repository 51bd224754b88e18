from __future__ import annotations
import typing
from dataclasses import dataclass
from construct import Container
import borsh_construct as borsh


class PriceFeedMessageJSON(typing.TypedDict):
    feed_id: list[int]
    price: int
    conf: int
    exponent: int
    publish_time: int
    prev_publish_time: int
    ema_price: int
    ema_conf: int


@dataclass
class PriceFeedMessage:
    layout: typing.ClassVar = borsh.CStruct(
        "feed_id" / borsh.U8[32],
        "price" / borsh.I64,
        "conf" / borsh.U64,
        "exponent" / borsh.I32,
        "publish_time" / borsh.I64,
        "prev_publish_time" / borsh.I64,
        "ema_price" / borsh.I64,
        "ema_conf" / borsh.U64,
    )
    feed_id: list[int]
    price: int
    conf: int
    exponent: int
    publish_time: int
    prev_publish_time: int
    ema_price: int
    ema_conf: int

    @classmethod
    def from_decoded(cls, obj: Container) -> "PriceFeedMessage":
        return cls(
            feed_id=obj.feed_id,
            price=obj.price,
            conf=obj.conf,
            exponent=obj.exponent,
            publish_time=obj.publish_time,
            prev_publish_time=obj.prev_publish_time,
            ema_price=obj.ema_price,
            ema_conf=obj.ema_conf,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "feed_id": self.feed_id,
            "price": self.price,
            "conf": self.conf,
            "exponent": self.exponent,
            "publish_time": self.publish_time,
            "prev_publish_time": self.prev_publish_time,
            "ema_price": self.ema_price,
            "ema_conf": self.ema_conf,
        }

    def to_json(self) -> PriceFeedMessageJSON:
        return {
            "feed_id": self.feed_id,
            "price": self.price,
            "conf": self.conf,
            "exponent": self.exponent,
            "publish_time": self.publish_time,
            "prev_publish_time": self.prev_publish_time,
            "ema_price": self.ema_price,
            "ema_conf": self.ema_conf,
        }

    @classmethod
    def from_json(cls, obj: PriceFeedMessageJSON) -> "PriceFeedMessage":
        return cls(
            feed_id=obj["feed_id"],
            price=obj["price"],
            conf=obj["conf"],
            exponent=obj["exponent"],
            publish_time=obj["publish_time"],
            prev_publish_time=obj["prev_publish_time"],
            ema_price=obj["ema_price"],
            ema_conf=obj["ema_conf"],
        )
