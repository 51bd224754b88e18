"""The bootstrap of `localnet up` through JSON-RPC: for solana-test-validator or any RPC endpoint.

The transport of ``BootstrapPlan.steps`` (``localnet.deployment``) over RPC: the same airdrops and
transactions that ``bootstrap_local`` sends into an in-process LiteSVM, sent with solana-py's
``AsyncClient`` and each confirmed at ``confirmed``. The mock oracle program must be loaded
(``--bpf-program`` of solana-test-validator, see ``localnet.validator``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from solana.rpc.async_api import AsyncClient
from solana.rpc.types import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from spl.token.constants import MINT_LEN

from localnet import mock_oracle as mo
from localnet.deployment import BootstrapError, BootstrapPlan, BootstrapSteps, Deployment


async def _confirm(client: AsyncClient, sig: Signature, timeout_s: float, poll_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        status = (await client.get_signature_statuses([sig])).value[0]
        if status is not None and status.err is not None:
            tx = await client.get_transaction(sig, max_supported_transaction_version=0, commitment="confirmed")
            logs = tx.value.transaction.meta.log_messages if tx.value and tx.value.transaction.meta else []
            raise BootstrapError(f"transaction {sig} failed: {status.err}\n" + "\n".join(logs or []))
        if status is not None and status.confirmation_status is not None and int(status.confirmation_status) >= 1:
            return
        await asyncio.sleep(poll_s)
    raise BootstrapError(f"transaction {sig} not confirmed within {timeout_s} s")


async def send_and_confirm(client: AsyncClient, ixs: Sequence[Instruction], payer: Keypair, signers: Sequence[Keypair] = (),
                           timeout_s: float = 30.0, poll_s: float = 0.1) -> Signature:
    """Sign with ``payer`` and ``signers``, send with preflight, and wait for ``confirmed``."""
    blockhash = (await client.get_latest_blockhash("confirmed")).value.blockhash
    msg = MessageV0.try_compile(payer.pubkey(), list(ixs), [], blockhash)
    unique = {payer.pubkey(): payer} | {s.pubkey(): s for s in signers}
    tx = VersionedTransaction(msg, list(unique.values()))
    sig = (await client.send_transaction(tx, opts=TxOpts(preflight_commitment="confirmed"))).value
    await _confirm(client, sig, timeout_s, poll_s)
    return sig


async def airdrop(client: AsyncClient, to: Pubkey, lamports: int, timeout_s: float = 30.0, poll_s: float = 0.1) -> None:
    """Request an airdrop and wait for it to confirm."""
    sig = (await client.request_airdrop(to, lamports, "confirmed")).value
    await _confirm(client, sig, timeout_s, poll_s)


async def bootstrap_over_rpc(client: AsyncClient, program_id: Pubkey, plan: BootstrapPlan, rpc_url: str, ws_url: str,
                             poll_s: float = 0.1, oracle_program: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID,
                             admin: Keypair | None = None) -> Deployment:
    """Carry out the plan's steps (``BootstrapPlan.steps``) through ``client``; return the deployment.

    ``admin`` must be the perp program's upgrade authority (the cluster's ProgramData says so): a transport
    over RPC cannot make it one."""
    program = (await client.get_account_info(oracle_program, commitment="confirmed")).value
    if program is None or not program.executable:
        raise BootstrapError(f"the mock oracle program is not loaded at {oracle_program}")
    rent = (await client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    steps = plan.steps(program_id, rent, oracle_program, admin)
    await send_steps_over_rpc(client, steps, poll_s)
    return replace(steps.deployment, rpc_url=rpc_url, ws_url=ws_url)


async def send_steps_over_rpc(client: AsyncClient, steps: BootstrapSteps, poll_s: float = 0.1) -> None:
    """The RPC transport of a bootstrap: the airdrops at once, then each transaction in order, each confirmed."""
    await asyncio.gather(*(airdrop(client, address, lamports, poll_s=poll_s) for address, lamports in steps.airdrops))
    for tx in steps.transactions:
        try:
            await send_and_confirm(client, tx.ixs, tx.payer, tx.signers, poll_s=poll_s)
        except BootstrapError as e:
            raise BootstrapError(f"{tx.what}: {e}") from None


__all__ = ["BootstrapError", "airdrop", "bootstrap_over_rpc", "send_and_confirm", "send_steps_over_rpc"]
