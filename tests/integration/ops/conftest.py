"""The local RPC node with the exchange's admin handed to a Squads vault, for the `perpkeep ops` tests.

The Squads program binary is not available here, so the multisig, its vault transactions and proposals are
written into the node's ledger byte for byte in the public layout (``multisig_bytes`` and friends below) to
model what the program would have created; everything about the exchange is real (sent transactions).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from solana.constants import LAMPORTS_PER_SOL, SYSTEM_PROGRAM_ID
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import MintToParams, mint_to

import perpkeep_cli
from keepers.exchange import instructions as ix
from keepers.exchange.pdas import insurance_vault_pda
from ops import squads
from programs_client.squads_multisig.program_id import PROGRAM_ID as SQUADS
from tests.integration.localnet.conftest import LocalNode, mock_oracle_program, start_node, stop_node

__all__ = ["mock_oracle_program"]  # re-exported: a fixture of tests/integration/localnet

ALL = squads.PERMISSION_INITIATE | squads.PERMISSION_VOTE | squads.PERMISSION_EXECUTE
STATUS_INDEX = {"Draft": 0, "Active": 1, "Rejected": 2, "Approved": 3, "Executing": 4, "Executed": 5, "Cancelled": 6}
TIME_LOCK = 3600
INSURANCE_TOKENS = 1_000 * 10**6


def _disc(name: str) -> bytes:
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


def multisig_bytes(create_key: Pubkey, threshold: int, time_lock: int, transaction_index: int, stale: int,
                   members: list[tuple[Pubkey, int]]) -> bytes:
    """A Multisig account (state/multisig.rs): keys, u16 threshold, u32 time lock, u64 indexes, no rent collector."""
    body = bytes(create_key) + bytes(32) + struct.pack("<HIQQ", threshold, time_lock, transaction_index, stale)
    body += b"\x00" + b"\xff" + struct.pack("<I", len(members)) + b"".join(bytes(k) + bytes([p]) for k, p in members)
    return _disc("Multisig") + body + bytes(32)


def proposal_bytes(multisig: Pubkey, index: int, status: str, timestamp: int, approved: list[Pubkey],
                   rejected: list[Pubkey] = ()) -> bytes:  # type: ignore[assignment]
    """A Proposal account (state/proposal.rs)."""
    st = bytes([STATUS_INDEX[status]]) + (b"" if status == "Executing" else struct.pack("<q", timestamp))

    def vec(keys: list[Pubkey]) -> bytes:
        return struct.pack("<I", len(keys)) + b"".join(bytes(k) for k in sorted(keys, key=bytes))

    return _disc("Proposal") + bytes(multisig) + struct.pack("<Q", index) + st + b"\xff" + vec(approved) + vec(list(rejected)) + vec([])


def vault_transaction_bytes(multisig: Pubkey, creator: Pubkey, index: int, message: squads.VaultMessage) -> bytes:
    """A VaultTransaction account (state/vault_transaction.rs): the message with Borsh Vec (u32) lengths."""
    m = bytes([message.num_signers, message.num_writable_signers, message.num_writable_non_signers])
    m += struct.pack("<I", len(message.account_keys)) + b"".join(bytes(k) for k in message.account_keys)
    m += struct.pack("<I", len(message.instructions))
    for c in message.instructions:
        m += bytes([c.program_id_index]) + struct.pack("<I", len(c.account_indexes)) + c.account_indexes
        m += struct.pack("<I", len(c.data)) + c.data
    m += struct.pack("<I", 0)
    return (_disc("VaultTransaction") + bytes(multisig) + bytes(creator) + struct.pack("<Q", index)
            + b"\xff\x00\xff" + struct.pack("<I", 0) + m)


@dataclass
class OpsWorld:
    """The node, a multisig whose vault 0 is the exchange's admin, and its members."""

    node: LocalNode
    create_key: Pubkey
    members: dict[str, Keypair]
    outsider: Keypair = field(default_factory=Keypair)

    @property
    def multisig(self) -> Pubkey:
        return squads.multisig_pda(self.create_key)

    @property
    def vault(self) -> Pubkey:
        return squads.vault_pda(self.multisig, 0)

    def on_node(self, fn: Any, *args: Any) -> Any:
        return self.node.thread.call(fn, *args)

    def write(self, address: Pubkey, data: bytes, owner: Pubkey = SQUADS) -> None:
        self.on_node(self.node.node.chain.set_account, address, Account(LAMPORTS_PER_SOL, data, owner, False, 0))

    def write_multisig(self, transaction_index: int, stale: int = 0, threshold: int = 2) -> None:
        perms = {"alice": ALL, "bob": ALL, "carol": squads.PERMISSION_VOTE}
        self.write(self.multisig, multisig_bytes(self.create_key, threshold, TIME_LOCK, transaction_index, stale,
                                                 [(kp.pubkey(), perms[n]) for n, kp in self.members.items()]))

    def write_proposal(self, index: int, ixs: list[Instruction], status: str, timestamp: int,
                       approved: list[str]) -> None:
        message = squads.compile_vault_message(self.vault, ixs)
        self.write(squads.transaction_pda(self.multisig, index),
                   vault_transaction_bytes(self.multisig, self.members["alice"].pubkey(), index, message))
        self.write(squads.proposal_pda(self.multisig, index),
                   proposal_bytes(self.multisig, index, status, timestamp, [self.members[n].pubkey() for n in approved]))

    def now(self) -> int:
        return self.on_node(lambda: self.node.node.chain.svm.get_clock().unix_timestamp)

    def argv(self, *args: str, member: str = "alice") -> list[str]:
        who = self.members[member].pubkey() if member in self.members else self.outsider.pubkey()
        return [*args, "--rpc-url", self.node.rpc_url, "--multisig", str(self.multisig), "--member", str(who), "--json"]

    def run(self, capsys: pytest.CaptureFixture[str], *args: str, member: str = "alice") -> tuple[int, dict[str, Any], str]:
        """Run `perpkeep ops ARGS` in-process; return (status, the JSON report, stderr)."""
        capsys.readouterr()
        code = perpkeep_cli.main(["ops", *self.argv(*args, member=member)])
        out = capsys.readouterr()
        return code, json.loads(out.out), out.err


def hand_admin_to_vault(node: LocalNode, vault: Pubkey, init_insurance: bool = True) -> None:
    """Create the insurance fund (with protocol-owned tokens) as the bootstrap admin, fund the vault for rent,
    and transfer the admin role to the vault: from then on only the multisig can change the exchange."""
    dep = node.deployment
    admin, minter = dep.wallets["admin"], dep.wallets["mint-authority"]
    chain = node.node.chain

    def send(ixs: list[Instruction], signers: list[Keypair]) -> None:
        out = node.thread.call(chain.send, ixs, signers, admin)
        assert out.ok, (out.error_name, out.logs[-5:])  # type: ignore[union-attr]

    if init_insurance:
        send([ix.initialize_insurance_fund(admin.pubkey(), 0, dep.program_id)], [admin])
        send([mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=dep.mint, dest=insurance_vault_pda(dep.program_id),
                                   mint_authority=minter.pubkey(), amount=INSURANCE_TOKENS))], [admin, minter])
    node.thread.call(chain.set_account, vault, Account(10 * LAMPORTS_PER_SOL, b"", SYSTEM_PROGRAM_ID, False, 0))
    send([ix.transfer_admin(admin.pubkey(), vault, dep.program_id)], [admin])


def make_world(node: LocalNode, init_insurance: bool = True) -> OpsWorld:
    world = OpsWorld(node, Keypair().pubkey(), {n: Keypair() for n in ("alice", "bob", "carol")})
    hand_admin_to_vault(node, world.vault, init_insurance)
    world.write_multisig(transaction_index=0)
    return world


@pytest.fixture(scope="module")
def world(perp_program: bytes, mock_oracle_program: bytes) -> Iterator[OpsWorld]:
    """A node whose exchange admin is the vault of a 2-of-3 multisig (alice, bob: all permissions; carol: vote)."""
    n = start_node(perp_program, mock_oracle_program)
    try:
        yield make_world(n)
    finally:
        stop_node(n)
