from __future__ import annotations
from . import (
    oracle_kind,
)
import typing
from dataclasses import dataclass
from construct import Container
from solders.pubkey import Pubkey
from anchorpy.borsh_extension import BorshPubkey
import borsh_construct as borsh


class OracleConfigJSON(typing.TypedDict):
    primary: str
    primary_program: str
    primary_feed_id: list[int]
    fallback: str
    fallback_program: str
    fallback_feed_id: list[int]
    primary_kind: oracle_kind.OracleKindJSON
    fallback_kind: oracle_kind.OracleKindJSON
    padding: list[int]


@dataclass
class OracleConfig:
    layout: typing.ClassVar = borsh.CStruct(
        "primary" / BorshPubkey,
        "primary_program" / BorshPubkey,
        "primary_feed_id" / borsh.U8[32],
        "fallback" / BorshPubkey,
        "fallback_program" / BorshPubkey,
        "fallback_feed_id" / borsh.U8[32],
        "primary_kind" / oracle_kind.layout,
        "fallback_kind" / oracle_kind.layout,
        "padding" / borsh.U8[6],
    )
    primary: Pubkey
    primary_program: Pubkey
    primary_feed_id: list[int]
    fallback: Pubkey
    fallback_program: Pubkey
    fallback_feed_id: list[int]
    primary_kind: oracle_kind.OracleKindKind
    fallback_kind: oracle_kind.OracleKindKind
    padding: list[int]

    @classmethod
    def from_decoded(cls, obj: Container) -> "OracleConfig":
        return cls(
            primary=obj.primary,
            primary_program=obj.primary_program,
            primary_feed_id=obj.primary_feed_id,
            fallback=obj.fallback,
            fallback_program=obj.fallback_program,
            fallback_feed_id=obj.fallback_feed_id,
            primary_kind=oracle_kind.from_decoded(obj.primary_kind),
            fallback_kind=oracle_kind.from_decoded(obj.fallback_kind),
            padding=obj.padding,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "primary": self.primary,
            "primary_program": self.primary_program,
            "primary_feed_id": self.primary_feed_id,
            "fallback": self.fallback,
            "fallback_program": self.fallback_program,
            "fallback_feed_id": self.fallback_feed_id,
            "primary_kind": self.primary_kind.to_encodable(),
            "fallback_kind": self.fallback_kind.to_encodable(),
            "padding": self.padding,
        }

    def to_json(self) -> OracleConfigJSON:
        return {
            "primary": str(self.primary),
            "primary_program": str(self.primary_program),
            "primary_feed_id": self.primary_feed_id,
            "fallback": str(self.fallback),
            "fallback_program": str(self.fallback_program),
            "fallback_feed_id": self.fallback_feed_id,
            "primary_kind": self.primary_kind.to_json(),
            "fallback_kind": self.fallback_kind.to_json(),
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: OracleConfigJSON) -> "OracleConfig":
        return cls(
            primary=Pubkey.from_string(obj["primary"]),
            primary_program=Pubkey.from_string(obj["primary_program"]),
            primary_feed_id=obj["primary_feed_id"],
            fallback=Pubkey.from_string(obj["fallback"]),
            fallback_program=Pubkey.from_string(obj["fallback_program"]),
            fallback_feed_id=obj["fallback_feed_id"],
            primary_kind=oracle_kind.from_json(obj["primary_kind"]),
            fallback_kind=oracle_kind.from_json(obj["fallback_kind"]),
            padding=obj["padding"],
        )
