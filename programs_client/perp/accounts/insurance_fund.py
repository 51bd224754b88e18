import typing
from dataclasses import dataclass
from solders.pubkey import Pubkey
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment
import borsh_construct as borsh
from anchorpy.coder.accounts import ACCOUNT_DISCRIMINATOR_SIZE
from anchorpy.error import AccountInvalidDiscriminator
from anchorpy.utils.rpc import get_multiple_accounts
from ..program_id import PROGRAM_ID


class InsuranceFundJSON(typing.TypedDict):
    total_shares: int
    staker_shares: int
    unstake_cooldown_secs: int
    epoch: int
    dead_shares: int
    bump: int
    padding: list[int]


@dataclass
class InsuranceFund:
    discriminator: typing.ClassVar = b"+\x86\xaaWf\x10\x8e\x93"
    layout: typing.ClassVar = borsh.CStruct(
        "total_shares" / borsh.U64,
        "staker_shares" / borsh.U64,
        "unstake_cooldown_secs" / borsh.I64,
        "epoch" / borsh.U64,
        "dead_shares" / borsh.U64,
        "bump" / borsh.U8,
        "padding" / borsh.U8[7],
    )
    total_shares: int
    staker_shares: int
    unstake_cooldown_secs: int
    epoch: int
    dead_shares: int
    bump: int
    padding: list[int]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["InsuranceFund"]:
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
    ) -> typing.List[typing.Optional["InsuranceFund"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["InsuranceFund"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "InsuranceFund":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = InsuranceFund.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            total_shares=dec.total_shares,
            staker_shares=dec.staker_shares,
            unstake_cooldown_secs=dec.unstake_cooldown_secs,
            epoch=dec.epoch,
            dead_shares=dec.dead_shares,
            bump=dec.bump,
            padding=dec.padding,
        )

    def to_json(self) -> InsuranceFundJSON:
        return {
            "total_shares": self.total_shares,
            "staker_shares": self.staker_shares,
            "unstake_cooldown_secs": self.unstake_cooldown_secs,
            "epoch": self.epoch,
            "dead_shares": self.dead_shares,
            "bump": self.bump,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: InsuranceFundJSON) -> "InsuranceFund":
        return cls(
            total_shares=obj["total_shares"],
            staker_shares=obj["staker_shares"],
            unstake_cooldown_secs=obj["unstake_cooldown_secs"],
            epoch=obj["epoch"],
            dead_shares=obj["dead_shares"],
            bump=obj["bump"],
            padding=obj["padding"],
        )
