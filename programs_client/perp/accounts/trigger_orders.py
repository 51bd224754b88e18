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


class TriggerOrdersJSON(typing.TypedDict):
    user: str
    next_trigger_id: int
    count: int
    bump: int
    padding: list[int]
    orders: list[types.trigger_order.TriggerOrderJSON]


@dataclass
class TriggerOrders:
    discriminator: typing.ClassVar = b"\x90\xef\x1d\x0b\xbf.\xd5\x1b"
    layout: typing.ClassVar = borsh.CStruct(
        "user" / BorshPubkey,
        "next_trigger_id" / borsh.U64,
        "count" / borsh.U8,
        "bump" / borsh.U8,
        "padding" / borsh.U8[6],
        "orders" / types.trigger_order.TriggerOrder.layout[16],
    )
    user: Pubkey
    next_trigger_id: int
    count: int
    bump: int
    padding: list[int]
    orders: list[types.trigger_order.TriggerOrder]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["TriggerOrders"]:
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
    ) -> typing.List[typing.Optional["TriggerOrders"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["TriggerOrders"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "TriggerOrders":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = TriggerOrders.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            user=dec.user,
            next_trigger_id=dec.next_trigger_id,
            count=dec.count,
            bump=dec.bump,
            padding=dec.padding,
            orders=list(
                map(
                    lambda item: types.trigger_order.TriggerOrder.from_decoded(item),
                    dec.orders,
                )
            ),
        )

    def to_json(self) -> TriggerOrdersJSON:
        return {
            "user": str(self.user),
            "next_trigger_id": self.next_trigger_id,
            "count": self.count,
            "bump": self.bump,
            "padding": self.padding,
            "orders": list(map(lambda item: item.to_json(), self.orders)),
        }

    @classmethod
    def from_json(cls, obj: TriggerOrdersJSON) -> "TriggerOrders":
        return cls(
            user=Pubkey.from_string(obj["user"]),
            next_trigger_id=obj["next_trigger_id"],
            count=obj["count"],
            bump=obj["bump"],
            padding=obj["padding"],
            orders=list(
                map(
                    lambda item: types.trigger_order.TriggerOrder.from_json(item),
                    obj["orders"],
                )
            ),
        )
