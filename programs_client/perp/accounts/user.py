import typing
from dataclasses import dataclass
from solders.pubkey import Pubkey
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment
import borsh_construct as borsh
from anchorpy.coder.accounts import ACCOUNT_DISCRIMINATOR_SIZE
from anchorpy.error import AccountInvalidDiscriminator
from anchorpy.utils.rpc import get_multiple_accounts
from anchorpy.borsh_extension import BorshPubkey
from ..program_id import PROGRAM_ID
from .. import types


class UserJSON(typing.TypedDict):
    authority: str
    delegate: str
    collateral: int
    positions: list[types.perp_position.PerpPositionJSON]
    sub_id: int
    bump: int
    flags: int
    padding: list[int]


@dataclass
class User:
    discriminator: typing.ClassVar = b"\x9fu_\xe3\xef\x97:\xec"
    layout: typing.ClassVar = borsh.CStruct(
        "authority" / BorshPubkey,
        "delegate" / BorshPubkey,
        "collateral" / borsh.U64,
        "positions" / types.perp_position.PerpPosition.layout[8],
        "sub_id" / borsh.U16,
        "bump" / borsh.U8,
        "flags" / borsh.U8,
        "padding" / borsh.U8[4],
    )
    authority: Pubkey
    delegate: Pubkey
    collateral: int
    positions: list[types.perp_position.PerpPosition]
    sub_id: int
    bump: int
    flags: int
    padding: list[int]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["User"]:
        resp = await conn.get_account_info(address, commitment=commitment)
        info = resp.value
        if info is None:
            return None
        if info.owner != program_id:
            raise ValueError("Account does not belong to this program")
        bytes_data = info.data
        return cls.decode(bytes_data)

    @classmethod
    async def fetch_multiple(
        cls,
        conn: AsyncClient,
        addresses: list[Pubkey],
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.List[typing.Optional["User"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["User"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "User":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = User.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            authority=dec.authority,
            delegate=dec.delegate,
            collateral=dec.collateral,
            positions=list(
                map(
                    lambda item: types.perp_position.PerpPosition.from_decoded(item),
                    dec.positions,
                )
            ),
            sub_id=dec.sub_id,
            bump=dec.bump,
            flags=dec.flags,
            padding=dec.padding,
        )

    def to_json(self) -> UserJSON:
        return {
            "authority": str(self.authority),
            "delegate": str(self.delegate),
            "collateral": self.collateral,
            "positions": list(map(lambda item: item.to_json(), self.positions)),
            "sub_id": self.sub_id,
            "bump": self.bump,
            "flags": self.flags,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: UserJSON) -> "User":
        return cls(
            authority=Pubkey.from_string(obj["authority"]),
            delegate=Pubkey.from_string(obj["delegate"]),
            collateral=obj["collateral"],
            positions=list(
                map(
                    lambda item: types.perp_position.PerpPosition.from_json(item),
                    obj["positions"],
                )
            ),
            sub_id=obj["sub_id"],
            bump=obj["bump"],
            flags=obj["flags"],
            padding=obj["padding"],
        )
