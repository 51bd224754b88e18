"""The bootstrap of `localnet up`, through JSON-RPC: for solana-test-validator or any RPC endpoint.

Creates the same exchange as ``localnet.deployment.bootstrap_local`` (collateral mint, exchange, the
mock oracle with each market's price accounts and first price, markets naming them, one
``update_prices`` crank per market, funded users with deposits, a funded keeper wallet), sending real
transactions with solana-py's ``AsyncClient`` and confirming each at ``confirmed``. The mock oracle
program must be loaded (``--bpf-program`` of solana-test-validator, see ``localnet.validator``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from solana.constants import LAMPORTS_PER_SOL
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID
from spl.token.instructions import (
    InitializeMintParams,
    MintToParams,
    create_associated_token_account,
    get_associated_token_address,
    initialize_mint,
    mint_to,
)

from keepers import instructions as ix
from keepers.pdas import market_pda, user_pda
from localnet import mock_oracle as mo
from localnet.bootstrap import default_market_params
from localnet.deployment import (
    BootstrapError,
    BootstrapPlan,
    Deployment,
    MarketInfo,
)
from localnet.market_oracles import ORACLE_AUTHORITY_SOL, plan_market_oracles


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
                             poll_s: float = 0.1, oracle_program: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID) -> Deployment:
    """Create the plan's exchange through ``client``; return the deployment."""
    program = (await client.get_account_info(oracle_program, commitment="confirmed")).value
    if program is None or not program.executable:
        raise BootstrapError(f"the mock oracle program is not loaded at {oracle_program}")
    admin, mint_authority, keeper, mint, oracle_authority = Keypair(), Keypair(), Keypair(), Keypair(), Keypair()
    accounts = plan.margin_accounts()
    owners = {name: keeper if name == "keeper" else Keypair() for name, _, _ in accounts}
    await asyncio.gather(airdrop(client, admin.pubkey(), 100 * LAMPORTS_PER_SOL, poll_s=poll_s),
                         airdrop(client, keeper.pubkey(), plan.keeper_sol * LAMPORTS_PER_SOL, poll_s=poll_s),
                         airdrop(client, oracle_authority.pubkey(), ORACLE_AUTHORITY_SOL * LAMPORTS_PER_SOL, poll_s=poll_s),
                         *(airdrop(client, kp.pubkey(), 10 * LAMPORTS_PER_SOL, poll_s=poll_s)
                           for name, kp in owners.items() if name != "keeper"))
    await send_and_confirm(client, [mo.initialize_ix(oracle_authority.pubkey(), oracle_program)], oracle_authority,
                           poll_s=poll_s)
    rent = (await client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    await send_and_confirm(client, [
        create_account(CreateAccountParams(from_pubkey=admin.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
                                           space=MINT_LEN, owner=TOKEN_PROGRAM_ID)),
        initialize_mint(InitializeMintParams(decimals=6, program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(),
                                             mint_authority=mint_authority.pubkey(), freeze_authority=None)),
        ix.initialize_exchange(admin.pubkey(), mint.pubkey(), program_id),
    ], admin, [mint], poll_s=poll_s)
    markets = []
    for index, name in enumerate(plan.markets):
        new = plan_market_oracles(name, plan.fallback_oracles, oracle_program)
        price = plan.price_of(name)
        authority = oracle_authority.pubkey()
        await send_and_confirm(client, new.create_ixs(authority) + new.oracles.write_ixs(authority, price, plan.confidence_bps),
                               oracle_authority, new.keypairs, poll_s=poll_s)
        await send_and_confirm(client, [
            ix.initialize_market(admin.pubkey(), index, name, new.oracles.config(), default_market_params(**plan.market_params),
                                 program_id),
            new.oracles.update_prices_ix(index, program_id),
        ], admin, poll_s=poll_s)
        markets.append(MarketInfo(index, name, market_pda(index, program_id), new.oracles, price))
    wallets = {"admin": admin, "mint-authority": mint_authority, "keeper": keeper, "oracle-authority": oracle_authority}
    user_accounts: dict[str, Pubkey] = {}
    for name, tokens, deposit in accounts:
        user = owners[name]
        ata = get_associated_token_address(user.pubkey(), mint.pubkey())
        ixs = [create_associated_token_account(user.pubkey(), user.pubkey(), mint.pubkey()),
               mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=ata,
                                    mint_authority=mint_authority.pubkey(), amount=tokens)),
               ix.initialize_user(user.pubkey(), 0, None, program_id)]
        if deposit:
            ixs.append(ix.deposit(user.pubkey(), ata, deposit, 0, program_id))
        await send_and_confirm(client, ixs, user, [mint_authority], poll_s=poll_s)
        wallets[name] = user
        user_accounts[name] = user_pda(user.pubkey(), 0, program_id)
        user_accounts[f"{name}-tokens"] = ata
    return Deployment(rpc_url, ws_url, program_id, mint.pubkey(), markets, wallets, user_accounts, oracle_program)


__all__ = ["BootstrapError", "airdrop", "bootstrap_over_rpc", "send_and_confirm"]
