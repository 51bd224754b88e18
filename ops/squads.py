"""Squads v4 multisig: PDAs, the vault transaction message in Squads' compact encoding, and instructions.

Layouts follow the public program (Squads-Protocol/v4, ``programs/squads_multisig_program``):
``state/seeds.rs`` for the PDA seeds, ``instructions/vault_transaction_create.rs`` for ``TransactionMessage``
(the bytes of ``VaultTransactionCreateArgs.transaction_message``): ``SmallVec<u8, _>`` account keys,
instructions and address table lookups; per instruction a ``SmallVec<u8, u8>`` of account indexes and a
``SmallVec<u16, u8>`` of data. The stored ``VaultTransaction.message`` is the same content re-encoded with
Borsh ``Vec`` (u32) lengths, which the generated client decodes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey

from programs_client.squads_multisig.accounts.multisig import Multisig
from programs_client.squads_multisig.accounts.proposal import Proposal
from programs_client.squads_multisig.instructions import (
    proposal_approve,
    proposal_cancel,
    proposal_create,
    proposal_reject,
    vault_transaction_create,
    vault_transaction_execute,
)
from programs_client.squads_multisig.program_id import PROGRAM_ID as SQUADS_PROGRAM_ID
from programs_client.squads_multisig.types import (
    proposal_status,
    vault_transaction_message,
)
from programs_client.squads_multisig.types.proposal_create_args import ProposalCreateArgs
from programs_client.squads_multisig.types.proposal_vote_args import ProposalVoteArgs
from programs_client.squads_multisig.types.vault_transaction_create_args import VaultTransactionCreateArgs

SEED_PREFIX = b"multisig"
SEED_MULTISIG = b"multisig"
SEED_VAULT = b"vault"
SEED_TRANSACTION = b"transaction"
SEED_PROPOSAL = b"proposal"

# state/multisig.rs, enum Permission: bits of Member.permissions.mask.
PERMISSION_INITIATE = 1
PERMISSION_VOTE = 2
PERMISSION_EXECUTE = 4
MAX_TIME_LOCK_SECS = 3 * 30 * 24 * 60 * 60  # state/multisig.rs MAX_TIME_LOCK


def multisig_pda(create_key: Pubkey, program_id: Pubkey = SQUADS_PROGRAM_ID) -> Pubkey:
    """The multisig account created with ``create_key``."""
    return Pubkey.find_program_address([SEED_PREFIX, SEED_MULTISIG, bytes(create_key)], program_id)[0]


def vault_pda(multisig: Pubkey, vault_index: int = 0, program_id: Pubkey = SQUADS_PROGRAM_ID) -> Pubkey:
    """Vault ``vault_index`` of ``multisig``: the address that signs the multisig's vault transactions."""
    return Pubkey.find_program_address([SEED_PREFIX, bytes(multisig), SEED_VAULT, bytes([vault_index])], program_id)[0]


def transaction_pda(multisig: Pubkey, index: int, program_id: Pubkey = SQUADS_PROGRAM_ID) -> Pubkey:
    """The transaction account of ``multisig`` at ``index``."""
    return Pubkey.find_program_address(
        [SEED_PREFIX, bytes(multisig), SEED_TRANSACTION, struct.pack("<Q", index)], program_id)[0]


def proposal_pda(multisig: Pubkey, index: int, program_id: Pubkey = SQUADS_PROGRAM_ID) -> Pubkey:
    """The proposal account of the transaction of ``multisig`` at ``index``."""
    return Pubkey.find_program_address(
        [SEED_PREFIX, bytes(multisig), SEED_TRANSACTION, struct.pack("<Q", index), SEED_PROPOSAL], program_id)[0]


# -- the vault transaction message -----------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledIx:
    """One instruction of a message: indexes into the message's keys and its data."""

    program_id_index: int
    account_indexes: bytes
    data: bytes


@dataclass(frozen=True)
class TableLookup:
    """An address table lookup of a message."""

    account_key: Pubkey
    writable_indexes: bytes
    readonly_indexes: bytes


@dataclass(frozen=True)
class VaultMessage:
    """The content of a Squads vault transaction message (``TransactionMessage``)."""

    num_signers: int
    num_writable_signers: int
    num_writable_non_signers: int
    account_keys: tuple[Pubkey, ...]
    instructions: tuple[CompiledIx, ...]
    address_table_lookups: tuple[TableLookup, ...] = ()

    def is_writable(self, index: int) -> bool:
        """Whether static key ``index`` is writable (``VaultTransactionMessage::is_static_writable_index``)."""
        if index >= len(self.account_keys):
            return False
        if index < self.num_writable_signers:
            return True
        if index >= self.num_signers:
            return index - self.num_signers < self.num_writable_non_signers
        return False

    def is_signer(self, index: int) -> bool:
        """Whether static key ``index`` signs (the vault, through the program's ``invoke_signed``)."""
        return index < self.num_signers

    def instructions_out(self) -> list[Instruction]:
        """The message's instructions as solders instructions (static keys only)."""
        if self.address_table_lookups:
            raise ValueError("messages with address table lookups are not decoded here")
        out = []
        for c in self.instructions:
            metas = [AccountMeta(self.account_keys[i], self.is_signer(i), self.is_writable(i)) for i in c.account_indexes]
            out.append(Instruction(self.account_keys[c.program_id_index], c.data, metas))
        return out


def compile_vault_message(vault: Pubkey, ixs: list[Instruction]) -> VaultMessage:
    """Compile ``ixs`` with ``vault`` as the first key, as the Squads SDK does (``compileToWrappedMessageV0``
    with the vault as payer): signers, writable first, then non-signers, writable first, programs last."""
    msg = MessageV0.try_compile(vault, ixs, [], Hash.default())
    h = msg.header
    keys = tuple(msg.account_keys)
    return VaultMessage(
        num_signers=h.num_required_signatures,
        num_writable_signers=h.num_required_signatures - h.num_readonly_signed_accounts,
        num_writable_non_signers=len(keys) - h.num_required_signatures - h.num_readonly_unsigned_accounts,
        account_keys=keys,
        instructions=tuple(CompiledIx(c.program_id_index, bytes(c.accounts), bytes(c.data)) for c in msg.instructions),
    )


def _small_vec_u8(items: bytes, what: str) -> bytes:
    if len(items) > 0xFF:
        raise ValueError(f"{what}: {len(items)} entries, the compact encoding holds at most 255")
    return bytes([len(items)]) + items


def encode_transaction_message(m: VaultMessage) -> bytes:
    """Squads' ``TransactionMessage`` bytes: u8 counts and ``SmallVec`` lengths (u8; u16 for instruction data)."""
    out = bytearray([m.num_signers, m.num_writable_signers, m.num_writable_non_signers])
    if len(m.account_keys) > 0xFF:
        raise ValueError(f"{len(m.account_keys)} account keys: the compact encoding holds at most 255")
    out.append(len(m.account_keys))
    for k in m.account_keys:
        out += bytes(k)
    if len(m.instructions) > 0xFF:
        raise ValueError(f"{len(m.instructions)} instructions: the compact encoding holds at most 255")
    out.append(len(m.instructions))
    for c in m.instructions:
        out.append(c.program_id_index)
        out += _small_vec_u8(c.account_indexes, "instruction accounts")
        if len(c.data) > 0xFFFF:
            raise ValueError(f"instruction data of {len(c.data)} bytes: the compact encoding holds at most 65535")
        out += struct.pack("<H", len(c.data)) + c.data
    out.append(len(m.address_table_lookups))
    for lut in m.address_table_lookups:
        out += bytes(lut.account_key)
        out += _small_vec_u8(lut.writable_indexes, "writable lookups") + _small_vec_u8(lut.readonly_indexes, "readonly lookups")
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"transaction message truncated at byte {self.pos} (needs {n} more)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.take(2))[0]


def decode_transaction_message(data: bytes) -> VaultMessage:
    """Parse Squads' compact ``TransactionMessage`` bytes; ValueError on truncated or trailing bytes."""
    r = _Reader(data)
    ns, nws, nwns = r.u8(), r.u8(), r.u8()
    keys = tuple(Pubkey(r.take(32)) for _ in range(r.u8()))
    ixs = []
    for _ in range(r.u8()):
        pid = r.u8()
        accounts = r.take(r.u8())
        ixs.append(CompiledIx(pid, accounts, r.take(r.u16())))
    luts = []
    for _ in range(r.u8()):
        key = Pubkey(r.take(32))
        w = r.take(r.u8())
        luts.append(TableLookup(key, w, r.take(r.u8())))
    if r.pos != len(data):
        raise ValueError(f"{len(data) - r.pos} trailing bytes after the transaction message")
    return VaultMessage(ns, nws, nwns, keys, tuple(ixs), tuple(luts))


def from_stored_message(m: vault_transaction_message.VaultTransactionMessage) -> VaultMessage:
    """The message a ``VaultTransaction`` account stores, as a ``VaultMessage``."""
    return VaultMessage(
        m.num_signers, m.num_writable_signers, m.num_writable_non_signers, tuple(m.account_keys),
        tuple(CompiledIx(c.program_id_index, bytes(c.account_indexes), bytes(c.data)) for c in m.instructions),
        tuple(TableLookup(t.account_key, bytes(t.writable_indexes), bytes(t.readonly_indexes)) for t in m.address_table_lookups),
    )


# -- instructions ----------------------------------------------------------------------------------------
def create_vault_transaction_ix(multisig: Pubkey, index: int, creator: Pubkey, message: VaultMessage,
                                vault_index: int = 0, memo: str | None = None,
                                program_id: Pubkey = SQUADS_PROGRAM_ID) -> Instruction:
    """``vault_transaction_create`` of transaction ``index`` (the multisig's transaction_index + 1)."""
    args = VaultTransactionCreateArgs(vault_index=vault_index, ephemeral_signers=0,
                                      transaction_message=encode_transaction_message(message), memo=memo)
    return vault_transaction_create(
        {"args": args},
        {"multisig": multisig, "transaction": transaction_pda(multisig, index, program_id), "creator": creator,
         "rent_payer": creator}, program_id)


def create_proposal_ix(multisig: Pubkey, index: int, creator: Pubkey, draft: bool = False,
                       program_id: Pubkey = SQUADS_PROGRAM_ID) -> Instruction:
    """``proposal_create`` for transaction ``index`` (Active unless ``draft``)."""
    return proposal_create(
        {"args": ProposalCreateArgs(transaction_index=index, draft=draft)},
        {"multisig": multisig, "proposal": proposal_pda(multisig, index, program_id), "creator": creator,
         "rent_payer": creator}, program_id)


_VOTES = {"approve": proposal_approve, "reject": proposal_reject,
          "cancel": proposal_cancel}


def vote_ix(vote: str, multisig: Pubkey, index: int, member: Pubkey, memo: str | None = None,
            program_id: Pubkey = SQUADS_PROGRAM_ID) -> Instruction:
    """``proposal_approve`` / ``proposal_reject`` / ``proposal_cancel`` by ``member`` on proposal ``index``."""
    build = _VOTES[vote]
    return build({"args": ProposalVoteArgs(memo=memo)},
                 {"multisig": multisig, "member": member, "proposal": proposal_pda(multisig, index, program_id)},
                 program_id)


def execute_ix(multisig: Pubkey, index: int, member: Pubkey, message: VaultMessage,
               program_id: Pubkey = SQUADS_PROGRAM_ID) -> Instruction:
    """``vault_transaction_execute``: the message's keys follow as remaining accounts, none signing (the
    program signs for the vault), writable as the message says."""
    if message.address_table_lookups:
        raise ValueError("messages with address table lookups are not executed here")
    remaining = [AccountMeta(k, False, message.is_writable(i)) for i, k in enumerate(message.account_keys)]
    return vault_transaction_execute(
        {"multisig": multisig, "proposal": proposal_pda(multisig, index, program_id),
         "transaction": transaction_pda(multisig, index, program_id), "member": member},
        program_id, remaining)


# -- account state ---------------------------------------------------------------------------------------
def member_permissions(ms: Multisig, key: Pubkey) -> int | None:
    """The permission mask of ``key`` in ``ms``, None when it is not a member."""
    for m in ms.members:
        if m.key == key:
            return m.permissions.mask
    return None


def num_voters(ms: Multisig) -> int:
    """Members with the Vote permission."""
    return sum(1 for m in ms.members if m.permissions.mask & PERMISSION_VOTE)


def rejection_cutoff(ms: Multisig) -> int:
    """Rejections that make a proposal Rejected (``Multisig::cutoff``): voters - threshold + 1."""
    return num_voters(ms) - ms.threshold + 1


def status_name(p: Proposal) -> str:
    """The proposal's status variant: Draft, Active, Rejected, Approved, Executing, Executed or Cancelled."""
    return type(p.status).__name__


def status_timestamp(p: Proposal) -> int | None:
    """The Unix time the status was set (None for Executing)."""
    value = getattr(p.status, "value", None)
    return value["timestamp"] if isinstance(value, dict) else None


def time_lock_remaining(p: Proposal, ms: Multisig, now_ts: int) -> int | None:
    """Seconds until an Approved proposal may execute (0 when released); None unless Approved."""
    if not isinstance(p.status, proposal_status.Approved):
        return None
    return max(0, status_timestamp(p) + ms.time_lock - now_ts)  # type: ignore[operator]
