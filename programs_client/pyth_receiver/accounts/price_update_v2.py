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


class PriceUpdateV2JSON(typing.TypedDict):
    write_authority: str
    verification_level: types.verification_level.VerificationLevelJSON
    price_message: types.price_feed_message.PriceFeedMessageJSON
    posted_slot: int


@dataclass
class PriceUpdateV2:
    discriminator: typing.ClassVar = b'"\xf1#c\x9d~\xf4\xcd'
    layout: typing.ClassVar = borsh.CStruct(
        "write_authority" / BorshPubkey,
        "verification_level" / types.verification_level.layout,
        "price_message" / types.price_feed_message.PriceFeedMessage.layout,
        "posted_slot" / borsh.U64,
    )
    write_authority: Pubkey
    verification_level: types.verification_level.VerificationLevelKind
    price_message: types.price_feed_message.PriceFeedMessage
    posted_slot: int

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["PriceUpdateV2"]:
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
    ) -> typing.List[typing.Optional["PriceUpdateV2"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["PriceUpdateV2"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "PriceUpdateV2":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = PriceUpdateV2.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            write_authority=dec.write_authority,
            verification_level=types.verification_level.from_decoded(
                dec.verification_level
            ),
            price_message=types.price_feed_message.PriceFeedMessage.from_decoded(
                dec.price_message
            ),
            posted_slot=dec.posted_slot,
        )

    def to_json(self) -> PriceUpdateV2JSON:
        return {
            "write_authority": str(self.write_authority),
            "verification_level": self.verification_level.to_json(),
            "price_message": self.price_message.to_json(),
            "posted_slot": self.posted_slot,
        }

    @classmethod
    def from_json(cls, obj: PriceUpdateV2JSON) -> "PriceUpdateV2":
        return cls(
            write_authority=Pubkey.from_string(obj["write_authority"]),
            verification_level=types.verification_level.from_json(
                obj["verification_level"]
            ),
            price_message=types.price_feed_message.PriceFeedMessage.from_json(
                obj["price_message"]
            ),
            posted_slot=obj["posted_slot"],
        )
