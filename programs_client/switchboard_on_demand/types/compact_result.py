from __future__ import annotations
import typing
from dataclasses import dataclass
from construct import Container
import borsh_construct as borsh


class CompactResultJSON(typing.TypedDict):
    std_dev: list[int]
    mean: list[int]
    slot: int


@dataclass
class CompactResult:
    layout: typing.ClassVar = borsh.CStruct(
        "std_dev" / borsh.U8[4], "mean" / borsh.U8[4], "slot" / borsh.U64
    )
    std_dev: list[int]
    mean: list[int]
    slot: int

    @classmethod
    def from_decoded(cls, obj: Container) -> "CompactResult":
        return cls(std_dev=obj.std_dev, mean=obj.mean, slot=obj.slot)

    def to_encodable(self) -> dict[str, typing.Any]:
        return {"std_dev": self.std_dev, "mean": self.mean, "slot": self.slot}

    def to_json(self) -> CompactResultJSON:
        return {"std_dev": self.std_dev, "mean": self.mean, "slot": self.slot}

    @classmethod
    def from_json(cls, obj: CompactResultJSON) -> "CompactResult":
        return cls(std_dev=obj["std_dev"], mean=obj["mean"], slot=obj["slot"])
