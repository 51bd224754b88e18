from __future__ import annotations
import typing
from dataclasses import dataclass
from anchorpy.borsh_extension import EnumForCodegen
import borsh_construct as borsh


class PartialJSONValue(typing.TypedDict):
    num_signatures: int


class PartialValue(typing.TypedDict):
    num_signatures: int


class PartialJSON(typing.TypedDict):
    value: PartialJSONValue
    kind: typing.Literal["Partial"]


class FullJSON(typing.TypedDict):
    kind: typing.Literal["Full"]


@dataclass
class Partial:
    discriminator: typing.ClassVar = 0
    kind: typing.ClassVar = "Partial"
    value: PartialValue

    def to_json(self) -> PartialJSON:
        return PartialJSON(
            kind="Partial",
            value={
                "num_signatures": self.value["num_signatures"],
            },
        )

    def to_encodable(self) -> dict:
        return {
            "Partial": {
                "num_signatures": self.value["num_signatures"],
            },
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
        val = obj["Partial"]
        return Partial(
            PartialValue(
                num_signatures=val["num_signatures"],
            )
        )
    if "Full" in obj:
        return Full()
    raise ValueError("Invalid enum object")


def from_json(obj: VerificationLevelJSON) -> VerificationLevelKind:
    if obj["kind"] == "Partial":
        partial_json_value = typing.cast(PartialJSONValue, obj["value"])
        return Partial(
            PartialValue(
                num_signatures=partial_json_value["num_signatures"],
            )
        )
    if obj["kind"] == "Full":
        return Full()
    kind = obj["kind"]
    raise ValueError(f"Unrecognized enum kind: {kind}")


layout = EnumForCodegen(
    "Partial" / borsh.CStruct("num_signatures" / borsh.U8), "Full" / borsh.CStruct()
)
