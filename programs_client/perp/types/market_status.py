from __future__ import annotations
import typing
from dataclasses import dataclass
from anchorpy.borsh_extension import EnumForCodegen
import borsh_construct as borsh


class ActiveJSON(typing.TypedDict):
    kind: typing.Literal["Active"]


class ReduceOnlyJSON(typing.TypedDict):
    kind: typing.Literal["ReduceOnly"]


class PausedJSON(typing.TypedDict):
    kind: typing.Literal["Paused"]


class SettlementJSON(typing.TypedDict):
    kind: typing.Literal["Settlement"]


class DelistedJSON(typing.TypedDict):
    kind: typing.Literal["Delisted"]


@dataclass
class Active:
    discriminator: typing.ClassVar = 0
    kind: typing.ClassVar = "Active"

    @classmethod
    def to_json(cls) -> ActiveJSON:
        return ActiveJSON(
            kind="Active",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Active": {},
        }


@dataclass
class ReduceOnly:
    discriminator: typing.ClassVar = 1
    kind: typing.ClassVar = "ReduceOnly"

    @classmethod
    def to_json(cls) -> ReduceOnlyJSON:
        return ReduceOnlyJSON(
            kind="ReduceOnly",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "ReduceOnly": {},
        }


@dataclass
class Paused:
    discriminator: typing.ClassVar = 2
    kind: typing.ClassVar = "Paused"

    @classmethod
    def to_json(cls) -> PausedJSON:
        return PausedJSON(
            kind="Paused",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Paused": {},
        }


@dataclass
class Settlement:
    discriminator: typing.ClassVar = 3
    kind: typing.ClassVar = "Settlement"

    @classmethod
    def to_json(cls) -> SettlementJSON:
        return SettlementJSON(
            kind="Settlement",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Settlement": {},
        }


@dataclass
class Delisted:
    discriminator: typing.ClassVar = 4
    kind: typing.ClassVar = "Delisted"

    @classmethod
    def to_json(cls) -> DelistedJSON:
        return DelistedJSON(
            kind="Delisted",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Delisted": {},
        }


MarketStatusKind = typing.Union[Active, ReduceOnly, Paused, Settlement, Delisted]
MarketStatusJSON = typing.Union[
    ActiveJSON, ReduceOnlyJSON, PausedJSON, SettlementJSON, DelistedJSON
]


def from_decoded(obj: dict) -> MarketStatusKind:
    if not isinstance(obj, dict):
        raise ValueError("Invalid enum object")
    if "Active" in obj:
        return Active()
    if "ReduceOnly" in obj:
        return ReduceOnly()
    if "Paused" in obj:
        return Paused()
    if "Settlement" in obj:
        return Settlement()
    if "Delisted" in obj:
        return Delisted()
    raise ValueError("Invalid enum object")


def from_json(obj: MarketStatusJSON) -> MarketStatusKind:
    if obj["kind"] == "Active":
        return Active()
    if obj["kind"] == "ReduceOnly":
        return ReduceOnly()
    if obj["kind"] == "Paused":
        return Paused()
    if obj["kind"] == "Settlement":
        return Settlement()
    if obj["kind"] == "Delisted":
        return Delisted()
    kind = obj["kind"]
    raise ValueError(f"Unrecognized enum kind: {kind}")


layout = EnumForCodegen(
    "Active" / borsh.CStruct(),
    "ReduceOnly" / borsh.CStruct(),
    "Paused" / borsh.CStruct(),
    "Settlement" / borsh.CStruct(),
    "Delisted" / borsh.CStruct(),
)
