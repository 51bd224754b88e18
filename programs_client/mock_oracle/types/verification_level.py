from __future__ import annotations
import typing
from dataclasses import dataclass
from anchorpy.borsh_extension import EnumForCodegen
import borsh_construct as borsh


class PartialJSON(typing.TypedDict):
    kind: typing.Literal["Partial"]


class FullJSON(typing.TypedDict):
    kind: typing.Literal["Full"]


@dataclass
class Partial:
    discriminator: typing.ClassVar = 0
    kind: typing.ClassVar = "Partial"

    @classmethod
    def to_json(cls) -> PartialJSON:
        return PartialJSON(
            kind="Partial",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Partial": {},
        }


@dataclass
class Full:
    discriminator: typing.ClassVar = 1
    kind: typing.ClassVar = "Full"

    @classmethod
    def to_json(cls) -> FullJSON:
        return FullJSON(
            kind="Full",
        )

    @classmethod
    def to_encodable(cls) -> dict:
        return {
            "Full": {},
        }


VerificationLevelKind = typing.Union[Partial, Full]
VerificationLevelJSON = typing.Union[PartialJSON, FullJSON]


def from_decoded(obj: dict) -> VerificationLevelKind:
    if not isinstance(obj, dict):
        raise ValueError("Invalid enum object")
    if "Partial" in obj:
        return Partial()
    if "Full" in obj:
        return Full()
    raise ValueError("Invalid enum object")


def from_json(obj: VerificationLevelJSON) -> VerificationLevelKind:
    if obj["kind"] == "Partial":
        return Partial()
    if obj["kind"] == "Full":
        return Full()
    kind = obj["kind"]
    raise ValueError(f"Unrecognized enum kind: {kind}")


layout = EnumForCodegen("Partial" / borsh.CStruct(), "Full" / borsh.CStruct())
