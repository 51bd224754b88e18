"""What ops reads from and sends to the cluster: raw accounts at ``confirmed``, the cluster clock, the
multisig's accounts decoded, and signed transactions sent and confirmed (bounded wait)."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

from solana.rpc.api import Client
from solana.exceptions import SolanaRpcException
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders import sysvar
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionConfirmationStatus

from ops import squads
from programs_client.squads_multisig.accounts.multisig import Multisig
from programs_client.squads_multisig.accounts.proposal import Proposal
from programs_client.squads_multisig.accounts.vault_transaction import VaultTransaction
from programs_client.squads_multisig.program_id import PROGRAM_ID as SQUADS_PROGRAM_ID

_BATCH = 100  # getMultipleAccounts takes at most 100 keys


class OpsError(RuntimeError):
    """A refusal or failure to report as one message (the CLI turns it into exit status 1)."""


@dataclass
class Chain:
    """A cluster reached over JSON-RPC."""

    rpc_url: str
    squads_program: Pubkey = SQUADS_PROGRAM_ID
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        self.client = Client(self.rpc_url, commitment=Confirmed, timeout=self.timeout_s)

    def accounts(self, keys: list[Pubkey]) -> dict[Pubkey, Account | None]:
        """The raw accounts at ``keys`` (None where absent)."""
        out: dict[Pubkey, Account | None] = {}
        for i in range(0, len(keys), _BATCH):
            batch = keys[i:i + _BATCH]
            values = self.client.get_multiple_accounts(batch, commitment=Confirmed).value
            out.update(zip(batch, values))
        return out

    def account(self, key: Pubkey) -> Account | None:
        return self.accounts([key])[key]

    def clock(self) -> tuple[int, int]:
        """The cluster's (slot, unix_timestamp) from the Clock sysvar."""
        acc = self.account(sysvar.CLOCK)
        if acc is None:
            raise OpsError("the cluster serves no Clock sysvar")
        slot, _, _, _, ts = struct.unpack_from("<QqQQq", bytes(acc.data))
        return slot, ts

    def multisig(self, address: Pubkey) -> Multisig:
        acc = self.account(address)
        if acc is None or acc.owner != self.squads_program:
            raise OpsError(f"{address} is not a Squads multisig account (owner {acc.owner if acc else 'none'})")
        return Multisig.decode(bytes(acc.data))

    def proposal(self, multisig: Pubkey, index: int) -> Proposal | None:
        acc = self.account(squads.proposal_pda(multisig, index, self.squads_program))
        return Proposal.decode(bytes(acc.data)) if acc is not None and acc.owner == self.squads_program else None

    def vault_transaction(self, multisig: Pubkey, index: int) -> VaultTransaction | None:
        acc = self.account(squads.transaction_pda(multisig, index, self.squads_program))
        return VaultTransaction.decode(bytes(acc.data)) if acc is not None and acc.owner == self.squads_program else None

    def send(self, ixs: list[Instruction], signer: Keypair, wait_s: float = 30.0) -> Signature:
        """Sign ``ixs`` with ``signer`` (fee payer), send, and wait (bounded) for ``confirmed``."""
        blockhash = self.client.get_latest_blockhash(Confirmed).value.blockhash
        tx = VersionedTransaction(MessageV0.try_compile(signer.pubkey(), ixs, [], blockhash), [signer])
        try:
            sig = self.client.send_raw_transaction(bytes(tx), TxOpts(preflight_commitment=Confirmed)).value
        except (RPCException, SolanaRpcException) as e:
            raise OpsError(f"the cluster refused the transaction: {e}") from None
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            status = self.client.get_signature_statuses([sig]).value[0]
            if status is not None and status.err is not None:
                raise OpsError(f"transaction {sig} failed: {status.err}")
            if status is not None and status.confirmation_status in (TransactionConfirmationStatus.Confirmed,
                                                                     TransactionConfirmationStatus.Finalized):
                return sig
            time.sleep(0.2)
        raise OpsError(f"transaction {sig} not confirmed within {wait_s:.0f} s")
