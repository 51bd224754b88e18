from __future__ import annotations
import typing
from dataclasses import dataclass
from anchorpy.borsh_extension import EnumForCodegen
import borsh_construct as borsh


class NoneJSON(typing.TypedDict):
    kind: typing.Literal["None"]


class PythLegacyJSON(typing.TypedDict):
    kind: typing.Literal["PythLegacy"]


class PythPullV2JSON(typing.TypedDict):
    kind: typing.Literal["PythPullV2"]


class SwitchboardV2JSON(typing.TypedDict):
    kind: typing.Literal["SwitchboardV2"]


class SwitchboardOnDemandJSON(typing.TypedDict):
    kind: typing.Literal["SwitchboardOnDemand"]


@dataclass
class None_:
    discriminator: typing.ClassVar = 0
    kind: typing.ClassVar = "None"

    @classmethod
    def to_json(cls) -> NoneJSON:
        return NoneJSON(
            kind="None",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "None": {},
        }


@dataclass
class PythLegacy:
    discriminator: typing.ClassVar = 1
    kind: typing.ClassVar = "PythLegacy"

    @classmethod
    def to_json(cls) -> PythLegacyJSON:
        return PythLegacyJSON(
            kind="PythLegacy",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "PythLegacy": {},
        }


@dataclass
class PythPullV2:
    discriminator: typing.ClassVar = 2
    kind: typing.ClassVar = "PythPullV2"

    @classmethod
    def to_json(cls) -> PythPullV2JSON:
        return PythPullV2JSON(
            kind="PythPullV2",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "PythPullV2": {},
        }


@dataclass
class SwitchboardV2:
    discriminator: typing.ClassVar = 3
    kind: typing.ClassVar = "SwitchboardV2"

    @classmethod
    def to_json(cls) -> SwitchboardV2JSON:
        return SwitchboardV2JSON(
            kind="SwitchboardV2",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "SwitchboardV2": {},
        }


@dataclass
class SwitchboardOnDemand:
    discriminator: typing.ClassVar = 4
    kind: typing.ClassVar = "SwitchboardOnDemand"

    @classmethod
    def to_json(cls) -> SwitchboardOnDemandJSON:
        return SwitchboardOnDemandJSON(
            kind="SwitchboardOnDemand",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "SwitchboardOnDemand": {},
        }


OracleKindKind = typing.Union[
    None_, PythLegacy, PythPullV2, SwitchboardV2, SwitchboardOnDemand
]
OracleKindJSON = typing.Union[
    NoneJSON, PythLegacyJSON, PythPullV2JSON, SwitchboardV2JSON, SwitchboardOnDemandJSON
]


def from_decoded(obj: dict) -> OracleKindKind:
    if not isinstance(obj, dict):
        raise ValueError("Invalid enum object")
    if "None" in obj:
        return None_()
    if "PythLegacy" in obj:
        return PythLegacy()
    if "PythPullV2" in obj:
        return PythPullV2()
    if "SwitchboardV2" in obj:
        return SwitchboardV2()
    if "SwitchboardOnDemand" in obj:
        return SwitchboardOnDemand()
    raise ValueError("Invalid enum object")


def from_json(obj: OracleKindJSON) -> OracleKindKind:
    if obj["kind"] == "None":
        return None_()
    if obj["kind"] == "PythLegacy":
        return PythLegacy()
    if obj["kind"] == "PythPullV2":
        return PythPullV2()
    if obj["kind"] == "SwitchboardV2":
        return SwitchboardV2()
    if obj["kind"] == "SwitchboardOnDemand":
        return SwitchboardOnDemand()
    kind = obj["kind"]
    raise ValueError(f"Unrecognized enum kind: {kind}")


layout = EnumForCodegen(
    "None" / borsh.CStruct(),
    "PythLegacy" / borsh.CStruct(),
    "PythPullV2" / borsh.CStruct(),
    "SwitchboardV2" / borsh.CStruct(),
    "SwitchboardOnDemand" / borsh.CStruct(),
)
