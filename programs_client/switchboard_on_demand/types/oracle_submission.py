from __future__ import annotations
import typing
from dataclasses import dataclass
from construct import Container
from solders.pubkey import Pubkey
from anchorpy.borsh_extension import BorshPubkey
import borsh_construct as borsh


class OracleSubmissionJSON(typing.TypedDict):
    oracle: str
    slot: int
    padding1: list[int]
    value: int


@dataclass
class OracleSubmission:
    layout: typing.ClassVar = borsh.CStruct(
        "oracle" / BorshPubkey,
        "slot" / borsh.U64,
        "padding1" / borsh.U8[8],
        "value" / borsh.I128,
    )
    oracle: Pubkey
    slot: int
    padding1: list[int]
    value: int

    @classmethod
    def from_decoded(cls, obj: Container) -> "OracleSubmission":
        return cls(
            oracle=obj.oracle, slot=obj.slot, padding1=obj.padding1, value=obj.value
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "oracle": self.oracle,
            "slot": self.slot,
            "padding1": self.padding1,
            "value": self.value,
        }

    def to_json(self) -> OracleSubmissionJSON:
        return {
            "oracle": str(self.oracle),
            "slot": self.slot,
            "padding1": self.padding1,
            "value": self.value,
        }

    @classmethod
    def from_json(cls, obj: OracleSubmissionJSON) -> "OracleSubmission":
        return cls(
            oracle=Pubkey.from_string(obj["oracle"]),
            slot=obj["slot"],
            padding1=obj["padding1"],
            value=obj["value"],
        )
