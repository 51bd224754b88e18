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


class PullFeedAccountDataJSON(typing.TypedDict):
    submissions: list[types.oracle_submission.OracleSubmissionJSON]
    authority: str
    queue: str
    feed_hash: list[int]
    initialized_at: int
    permissions: int
    max_variance: int
    min_responses: int
    name: list[int]
    padding1: list[int]
    historical_result_idx: int
    min_sample_size: int
    last_update_timestamp: int
    lut_slot: int
    reserved1: list[int]
    result: types.current_result.CurrentResultJSON
    max_staleness: int
    padding2: list[int]
    historical_results: list[types.compact_result.CompactResultJSON]
    ebuf4: list[int]
    ebuf3: list[int]
    ebuf2: list[int]


@dataclass
class PullFeedAccountData:
    discriminator: typing.ClassVar = b"\xc4\x1bl\xc4\n\xd7\xdb("
    layout: typing.ClassVar = borsh.CStruct(
        "submissions" / types.oracle_submission.OracleSubmission.layout[32],
        "authority" / BorshPubkey,
        "queue" / BorshPubkey,
        "feed_hash" / borsh.U8[32],
        "initialized_at" / borsh.I64,
        "permissions" / borsh.U64,
        "max_variance" / borsh.U64,
        "min_responses" / borsh.U32,
        "name" / borsh.U8[32],
        "padding1" / borsh.U8[2],
        "historical_result_idx" / borsh.U8,
        "min_sample_size" / borsh.U8,
        "last_update_timestamp" / borsh.I64,
        "lut_slot" / borsh.U64,
        "reserved1" / borsh.U8[32],
        "result" / types.current_result.CurrentResult.layout,
        "max_staleness" / borsh.U32,
        "padding2" / borsh.U8[12],
        "historical_results" / types.compact_result.CompactResult.layout[32],
        "ebuf4" / borsh.U8[8],
        "ebuf3" / borsh.U8[24],
        "ebuf2" / borsh.U8[256],
    )
    submissions: list[types.oracle_submission.OracleSubmission]
    authority: Pubkey
    queue: Pubkey
    feed_hash: list[int]
    initialized_at: int
    permissions: int
    max_variance: int
    min_responses: int
    name: list[int]
    padding1: list[int]
    historical_result_idx: int
    min_sample_size: int
    last_update_timestamp: int
    lut_slot: int
    reserved1: list[int]
    result: types.current_result.CurrentResult
    max_staleness: int
    padding2: list[int]
    historical_results: list[types.compact_result.CompactResult]
    ebuf4: list[int]
    ebuf3: list[int]
    ebuf2: list[int]

    @classmethod
    async def fetch(
        cls,
        conn: AsyncClient,
        address: Pubkey,
        commitment: typing.Optional[Commitment] = None,
        program_id: Pubkey = PROGRAM_ID,
    ) -> typing.Optional["PullFeedAccountData"]:
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
    ) -> typing.List[typing.Optional["PullFeedAccountData"]]:
        infos = await get_multiple_accounts(conn, addresses, commitment=commitment)
        res: typing.List[typing.Optional["PullFeedAccountData"]] = []
        for info in infos:
            if info is None:
                res.append(None)
                continue
            if info.account.owner != program_id:
                raise ValueError("Account does not belong to this program")
            res.append(cls.decode(info.account.data))
        return res

    @classmethod
    def decode(cls, data: bytes) -> "PullFeedAccountData":
        if data[:ACCOUNT_DISCRIMINATOR_SIZE] != cls.discriminator:
            raise AccountInvalidDiscriminator(
                "The discriminator for this account is invalid"
            )
        dec = PullFeedAccountData.layout.parse(data[ACCOUNT_DISCRIMINATOR_SIZE:])
        return cls(
            submissions=list(
                map(
                    lambda item: types.oracle_submission.OracleSubmission.from_decoded(
                        item
                    ),
                    dec.submissions,
                )
            ),
            authority=dec.authority,
            queue=dec.queue,
            feed_hash=dec.feed_hash,
            initialized_at=dec.initialized_at,
            permissions=dec.permissions,
            max_variance=dec.max_variance,
            min_responses=dec.min_responses,
            name=dec.name,
            padding1=dec.padding1,
            historical_result_idx=dec.historical_result_idx,
            min_sample_size=dec.min_sample_size,
            last_update_timestamp=dec.last_update_timestamp,
            lut_slot=dec.lut_slot,
            reserved1=dec.reserved1,
            result=types.current_result.CurrentResult.from_decoded(dec.result),
            max_staleness=dec.max_staleness,
            padding2=dec.padding2,
            historical_results=list(
                map(
                    lambda item: types.compact_result.CompactResult.from_decoded(item),
                    dec.historical_results,
                )
            ),
            ebuf4=dec.ebuf4,
            ebuf3=dec.ebuf3,
            ebuf2=dec.ebuf2,
        )

    def to_json(self) -> PullFeedAccountDataJSON:
        return {
            "submissions": list(map(lambda item: item.to_json(), self.submissions)),
            "authority": str(self.authority),
            "queue": str(self.queue),
            "feed_hash": self.feed_hash,
            "initialized_at": self.initialized_at,
            "permissions": self.permissions,
            "max_variance": self.max_variance,
            "min_responses": self.min_responses,
            "name": self.name,
            "padding1": self.padding1,
            "historical_result_idx": self.historical_result_idx,
            "min_sample_size": self.min_sample_size,
            "last_update_timestamp": self.last_update_timestamp,
            "lut_slot": self.lut_slot,
            "reserved1": self.reserved1,
            "result": self.result.to_json(),
            "max_staleness": self.max_staleness,
            "padding2": self.padding2,
            "historical_results": list(
                map(lambda item: item.to_json(), self.historical_results)
            ),
            "ebuf4": self.ebuf4,
            "ebuf3": self.ebuf3,
            "ebuf2": self.ebuf2,
        }

    @classmethod
    def from_json(cls, obj: PullFeedAccountDataJSON) -> "PullFeedAccountData":
        return cls(
            submissions=list(
                map(
                    lambda item: types.oracle_submission.OracleSubmission.from_json(
                        item
                    ),
                    obj["submissions"],
                )
            ),
            authority=Pubkey.from_string(obj["authority"]),
            queue=Pubkey.from_string(obj["queue"]),
            feed_hash=obj["feed_hash"],
            initialized_at=obj["initialized_at"],
            permissions=obj["permissions"],
            max_variance=obj["max_variance"],
            min_responses=obj["min_responses"],
            name=obj["name"],
            padding1=obj["padding1"],
            historical_result_idx=obj["historical_result_idx"],
            min_sample_size=obj["min_sample_size"],
            last_update_timestamp=obj["last_update_timestamp"],
            lut_slot=obj["lut_slot"],
            reserved1=obj["reserved1"],
            result=types.current_result.CurrentResult.from_json(obj["result"]),
            max_staleness=obj["max_staleness"],
            padding2=obj["padding2"],
            historical_results=list(
                map(
                    lambda item: types.compact_result.CompactResult.from_json(item),
                    obj["historical_results"],
                )
            ),
            ebuf4=obj["ebuf4"],
            ebuf3=obj["ebuf3"],
            ebuf2=obj["ebuf2"],
        )
