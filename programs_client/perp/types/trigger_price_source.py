from __future__ import annotations
import typing
from dataclasses import dataclass
from anchorpy.borsh_extension import EnumForCodegen
import borsh_construct as borsh


class MarkJSON(typing.TypedDict):
    kind: typing.Literal["Mark"]


class OracleJSON(typing.TypedDict):
    kind: typing.Literal["Oracle"]


@dataclass
class Mark:
    discriminator: typing.ClassVar = 0
    kind: typing.ClassVar = "Mark"

    @classmethod
    def to_json(cls) -> MarkJSON:
        return MarkJSON(
            kind="Mark",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Mark": {},
        }


@dataclass
class Oracle:
    discriminator: typing.ClassVar = 1
    kind: typing.ClassVar = "Oracle"

    @classmethod
    def to_json(cls) -> OracleJSON:
        return OracleJSON(
            kind="Oracle",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Oracle": {},
        }


TriggerPriceSourceKind = typing.Union[Mark, Oracle]
TriggerPriceSourceJSON = typing.Union[MarkJSON, OracleJSON]


def from_decoded(obj: dict) -> TriggerPriceSourceKind:
    if not isinstance(obj, dict):
        raise ValueError("Invalid enum object")
    if "Mark" in obj:
        return Mark()
    if "Oracle" in obj:
        return Oracle()
    raise ValueError("Invalid enum object")


def from_json(obj: TriggerPriceSourceJSON) -> TriggerPriceSourceKind:
    if obj["kind"] == "Mark":
        return Mark()
    if obj["kind"] == "Oracle":
        return Oracle()
    kind = obj["kind"]
    raise ValueError(f"Unrecognized enum kind: {kind}")


layout = EnumForCodegen("Mark" / borsh.CStruct(), "Oracle" / borsh.CStruct())
