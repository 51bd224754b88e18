from __future__ import annotations
import typing
from dataclasses import dataclass
from anchorpy.borsh_extension import EnumForCodegen
import borsh_construct as borsh


class StopMarketJSON(typing.TypedDict):
    kind: typing.Literal["StopMarket"]


class StopLimitJSON(typing.TypedDict):
    kind: typing.Literal["StopLimit"]


class TakeProfitMarketJSON(typing.TypedDict):
    kind: typing.Literal["TakeProfitMarket"]


class TakeProfitLimitJSON(typing.TypedDict):
    kind: typing.Literal["TakeProfitLimit"]


@dataclass
class StopMarket:
    discriminator: typing.ClassVar = 0
    kind: typing.ClassVar = "StopMarket"

    @classmethod
    def to_json(cls) -> StopMarketJSON:
        return StopMarketJSON(
            kind="StopMarket",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "StopMarket": {},
        }


@dataclass
class StopLimit:
    discriminator: typing.ClassVar = 1
    kind: typing.ClassVar = "StopLimit"

    @classmethod
    def to_json(cls) -> StopLimitJSON:
        return StopLimitJSON(
            kind="StopLimit",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "StopLimit": {},
        }


@dataclass
class TakeProfitMarket:
    discriminator: typing.ClassVar = 2
    kind: typing.ClassVar = "TakeProfitMarket"

    @classmethod
    def to_json(cls) -> TakeProfitMarketJSON:
        return TakeProfitMarketJSON(
            kind="TakeProfitMarket",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "TakeProfitMarket": {},
        }


@dataclass
class TakeProfitLimit:
    discriminator: typing.ClassVar = 3
    kind: typing.ClassVar = "TakeProfitLimit"

    @classmethod
    def to_json(cls) -> TakeProfitLimitJSON:
        return TakeProfitLimitJSON(
            kind="TakeProfitLimit",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "TakeProfitLimit": {},
        }


TriggerKindKind = typing.Union[StopMarket, StopLimit, TakeProfitMarket, TakeProfitLimit]
TriggerKindJSON = typing.Union[
    StopMarketJSON, StopLimitJSON, TakeProfitMarketJSON, TakeProfitLimitJSON
]


def from_decoded(obj: dict) -> TriggerKindKind:
    if not isinstance(obj, dict):
        raise ValueError("Invalid enum object")
    if "StopMarket" in obj:
        return StopMarket()
    if "StopLimit" in obj:
        return StopLimit()
    if "TakeProfitMarket" in obj:
        return TakeProfitMarket()
    if "TakeProfitLimit" in obj:
        return TakeProfitLimit()
    raise ValueError("Invalid enum object")


def from_json(obj: TriggerKindJSON) -> TriggerKindKind:
    if obj["kind"] == "StopMarket":
        return StopMarket()
    if obj["kind"] == "StopLimit":
        return StopLimit()
    if obj["kind"] == "TakeProfitMarket":
        return TakeProfitMarket()
    if obj["kind"] == "TakeProfitLimit":
        return TakeProfitLimit()
    kind = obj["kind"]
    raise ValueError(f"Unrecognized enum kind: {kind}")


layout = EnumForCodegen(
    "StopMarket" / borsh.CStruct(),
    "StopLimit" / borsh.CStruct(),
    "TakeProfitMarket" / borsh.CStruct(),
    "TakeProfitLimit" / borsh.CStruct(),
)
