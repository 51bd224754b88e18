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


class EventQueueJSON(typing.TypedDict):
    market: str
    seq_num: int
    pending_bid_base: int
    pending_ask_base: int
    head: int
    count: int
    fills: list[types.fill_record.FillRecordJSON]


@dataclass
class EventQueue:
    discriminator: typing.ClassVar = b")\xd0t\xd1\xadt\x8dD"
    layout: typing.ClassVar = borsh.CStruct(
        "market" / BorshPubkey,
        "seq_num" / borsh.U64,
        "pending_bid_base" / borsh.U64,
        "pending_ask_base" / borsh.U64,
        "head" / borsh.U32,
        "count" / borsh.U32,
        "fills" / types.fill_record.FillRecord.layout[128],
    )
    market: Pubkey
    seq_num: int
    pending_bid_base: int
    pending_ask_base: int
    head: int
    count: int
    fills: list[types.fill_record.FillRecord]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["EventQueue"]:
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
    ) -> typing.List[typing.Optional["EventQueue"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["EventQueue"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "EventQueue":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = EventQueue.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            market=dec.market,
            seq_num=dec.seq_num,
            pending_bid_base=dec.pending_bid_base,
            pending_ask_base=dec.pending_ask_base,
            head=dec.head,
            count=dec.count,
            fills=list(
                map(
                    lambda item: types.fill_record.FillRecord.from_decoded(item),
                    dec.fills,
                )
            ),
        )

    def to_json(self) -> EventQueueJSON:
        return {
            "market": str(self.market),
            "seq_num": self.seq_num,
            "pending_bid_base": self.pending_bid_base,
            "pending_ask_base": self.pending_ask_base,
            "head": self.head,
            "count": self.count,
            "fills": list(map(lambda item: item.to_json(), self.fills)),
        }

    @classmethod
    def from_json(cls, obj: EventQueueJSON) -> "EventQueue":
        return cls(
            market=Pubkey.from_string(obj["market"]),
            seq_num=obj["seq_num"],
            pending_bid_base=obj["pending_bid_base"],
            pending_ask_base=obj["pending_ask_base"],
            head=obj["head"],
            count=obj["count"],
            fills=list(
                map(
                    lambda item: types.fill_record.FillRecord.from_json(item),
                    obj["fills"],
                )
            ),
        )
