"""Shared helpers of the RPC node tests: transactions built from the deployment's wallets."""

from __future__ import annotations

from solana.rpc.async_api import AsyncClient
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from keepers import instructions as ix
from localnet.deployment import Deployment


def user(dep: Deployment, i: int) -> tuple[Keypair, Pubkey, Pubkey]:
    """Return (keypair, margin account, token account) of deployment user ``i``."""
    return dep.wallets[f"user-{i}"], dep.user_accounts[f"user-{i}"], dep.user_accounts[f"user-{i}-tokens"]


def signed(payer: Keypair, ixs: list[Instruction], blockhash: Hash, signers: list[Keypair] | None = None) -> VersionedTransaction:
    """Return a v0 transaction paid and signed by ``payer`` (and ``signers``)."""
    msg = MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash)
    return VersionedTransaction(msg, [payer, *(signers or [])])


async def deposit_tx(client: AsyncClient, dep: Deployment, i: int, amount: int) -> VersionedTransaction:
    """A signed deposit of ``amount`` by user ``i`` with the latest blockhash."""
    kp, _, tokens = user(dep, i)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    return signed(kp, [ix.deposit(kp.pubkey(), tokens, amount, 0, dep.program_id)], blockhash)
