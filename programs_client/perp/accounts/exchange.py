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


class ExchangeJSON(typing.TypedDict):
    admin: str
    collateral_mint: str
    collateral_vault: str
    insurance_vault: str
    total_collateral: int
    last_bankruptcy_ts: int
    market_count: int
    paused_operations: int
    bump: int
    collateral_vault_bump: int
    insurance_vault_bump: int
    collateral_decimals: int
    bankrupt_users: int
    padding: list[int]


@dataclass
class Exchange:
    discriminator: typing.ClassVar = b"\x1e\xc8\xdc\x95\x03=h2"
    layout: typing.ClassVar = borsh.CStruct(
        "admin" / BorshPubkey,
        "collateral_mint" / BorshPubkey,
        "collateral_vault" / BorshPubkey,
        "insurance_vault" / BorshPubkey,
        "total_collateral" / borsh.U64,
        "last_bankruptcy_ts" / borsh.I64,
        "market_count" / borsh.U16,
        "paused_operations" / borsh.U16,
        "bump" / borsh.U8,
        "collateral_vault_bump" / borsh.U8,
        "insurance_vault_bump" / borsh.U8,
        "collateral_decimals" / borsh.U8,
        "bankrupt_users" / borsh.U32,
        "padding" / borsh.U8[4],
    )
    admin: Pubkey
    collateral_mint: Pubkey
    collateral_vault: Pubkey
    insurance_vault: Pubkey
    total_collateral: int
    last_bankruptcy_ts: int
    market_count: int
    paused_operations: int
    bump: int
    collateral_vault_bump: int
    insurance_vault_bump: int
    collateral_decimals: int
    bankrupt_users: int
    padding: list[int]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["Exchange"]:
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
    ) -> typing.List[typing.Optional["Exchange"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["Exchange"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "Exchange":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = Exchange.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            admin=dec.admin,
            collateral_mint=dec.collateral_mint,
            collateral_vault=dec.collateral_vault,
            insurance_vault=dec.insurance_vault,
            total_collateral=dec.total_collateral,
            last_bankruptcy_ts=dec.last_bankruptcy_ts,
            market_count=dec.market_count,
            paused_operations=dec.paused_operations,
            bump=dec.bump,
            collateral_vault_bump=dec.collateral_vault_bump,
            insurance_vault_bump=dec.insurance_vault_bump,
            collateral_decimals=dec.collateral_decimals,
            bankrupt_users=dec.bankrupt_users,
            padding=dec.padding,
        )

    def to_json(self) -> ExchangeJSON:
        return {
            "admin": str(self.admin),
            "collateral_mint": str(self.collateral_mint),
            "collateral_vault": str(self.collateral_vault),
            "insurance_vault": str(self.insurance_vault),
            "total_collateral": self.total_collateral,
            "last_bankruptcy_ts": self.last_bankruptcy_ts,
            "market_count": self.market_count,
            "paused_operations": self.paused_operations,
            "bump": self.bump,
            "collateral_vault_bump": self.collateral_vault_bump,
            "insurance_vault_bump": self.insurance_vault_bump,
            "collateral_decimals": self.collateral_decimals,
            "bankrupt_users": self.bankrupt_users,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: ExchangeJSON) -> "Exchange":
        return cls(
            admin=Pubkey.from_string(obj["admin"]),
            collateral_mint=Pubkey.from_string(obj["collateral_mint"]),
            collateral_vault=Pubkey.from_string(obj["collateral_vault"]),
            insurance_vault=Pubkey.from_string(obj["insurance_vault"]),
            total_collateral=obj["total_collateral"],
            last_bankruptcy_ts=obj["last_bankruptcy_ts"],
            market_count=obj["market_count"],
            paused_operations=obj["paused_operations"],
            bump=obj["bump"],
            collateral_vault_bump=obj["collateral_vault_bump"],
            insurance_vault_bump=obj["insurance_vault_bump"],
            collateral_decimals=obj["collateral_decimals"],
            bankrupt_users=obj["bankrupt_users"],
            padding=obj["padding"],
        )
