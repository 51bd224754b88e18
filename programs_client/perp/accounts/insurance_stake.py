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


class InsuranceStakeJSON(typing.TypedDict):
    authority: str
    shares: int
    requested_shares: int
    request_ts: int
    epoch: int
    bump: int
    padding: list[int]


@dataclass
class InsuranceStake:
    discriminator: typing.ClassVar = b"nn\xe9\xa0|\xbf-\xa1"
    layout: typing.ClassVar = borsh.CStruct(
        "authority" / BorshPubkey,
        "shares" / borsh.U64,
        "requested_shares" / borsh.U64,
        "request_ts" / borsh.I64,
        "epoch" / borsh.U64,
        "bump" / borsh.U8,
        "padding" / borsh.U8[7],
    )
    authority: Pubkey
    shares: int
    requested_shares: int
    request_ts: int
    epoch: int
    bump: int
    padding: list[int]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["InsuranceStake"]:
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
    ) -> typing.List[typing.Optional["InsuranceStake"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["InsuranceStake"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "InsuranceStake":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = InsuranceStake.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            authority=dec.authority,
            shares=dec.shares,
            requested_shares=dec.requested_shares,
            request_ts=dec.request_ts,
            epoch=dec.epoch,
            bump=dec.bump,
            padding=dec.padding,
        )

    def to_json(self) -> InsuranceStakeJSON:
        return {
            "authority": str(self.authority),
            "shares": self.shares,
            "requested_shares": self.requested_shares,
            "request_ts": self.request_ts,
            "epoch": self.epoch,
            "bump": self.bump,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: InsuranceStakeJSON) -> "InsuranceStake":
        return cls(
            authority=Pubkey.from_string(obj["authority"]),
            shares=obj["shares"],
            requested_shares=obj["requested_shares"],
            request_ts=obj["request_ts"],
            epoch=obj["epoch"],
            bump=obj["bump"],
            padding=obj["padding"],
        )
