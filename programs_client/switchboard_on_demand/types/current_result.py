from __future__ import annotations
import typing
from dataclasses import dataclass
from construct import Container
import borsh_construct as borsh


class CurrentResultJSON(typing.TypedDict):
    value: int
    std_dev: int
    mean: int
    range: int
    min_value: int
    max_value: int
    num_samples: int
    padding1: list[int]
    slot: int
    min_slot: int
    max_slot: int


@dataclass
class CurrentResult:
    layout: typing.ClassVar = borsh.CStruct(
        "value" / borsh.I128,
        "std_dev" / borsh.I128,
        "mean" / borsh.I128,
        "range" / borsh.I128,
        "min_value" / borsh.I128,
        "max_value" / borsh.I128,
        "num_samples" / borsh.U8,
        "padding1" / borsh.U8[7],
        "slot" / borsh.U64,
        "min_slot" / borsh.U64,
        "max_slot" / borsh.U64,
    )
    value: int
    std_dev: int
    mean: int
    range: int
    min_value: int
    max_value: int
    num_samples: int
    padding1: list[int]
    slot: int
    min_slot: int
    max_slot: int

    @classmethod
    def from_decoded(cls, obj: Container) -> "CurrentResult":
        return cls(
            value=obj.value,
            std_dev=obj.std_dev,
            mean=obj.mean,
            range=obj.range,
            min_value=obj.min_value,
            max_value=obj.max_value,
            num_samples=obj.num_samples,
            padding1=obj.padding1,
            slot=obj.slot,
            min_slot=obj.min_slot,
            max_slot=obj.max_slot,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "value": self.value,
            "std_dev": self.std_dev,
            "mean": self.mean,
            "range": self.range,
            "min_value": self.min_value,
            "max_value": self.max_value,
            "num_samples": self.num_samples,
            "padding1": self.padding1,
            "slot": self.slot,
            "min_slot": self.min_slot,
            "max_slot": self.max_slot,
        }

    def to_json(self) -> CurrentResultJSON:
        return {
            "value": self.value,
            "std_dev": self.std_dev,
            "mean": self.mean,
            "range": self.range,
            "min_value": self.min_value,
            "max_value": self.max_value,
            "num_samples": self.num_samples,
            "padding1": self.padding1,
            "slot": self.slot,
            "min_slot": self.min_slot,
            "max_slot": self.max_slot,
        }

    @classmethod
    def from_json(cls, obj: CurrentResultJSON) -> "CurrentResult":
        return cls(
            value=obj["value"],
            std_dev=obj["std_dev"],
            mean=obj["mean"],
            range=obj["range"],
            min_value=obj["min_value"],
            max_value=obj["max_value"],
            num_samples=obj["num_samples"],
            padding1=obj["padding1"],
            slot=obj["slot"],
            min_slot=obj["min_slot"],
            max_slot=obj["max_slot"],
        )
