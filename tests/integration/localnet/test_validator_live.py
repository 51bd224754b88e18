"""solana-test-validator end to end: start with the programs, wait for health, bootstrap through RPC.

Skipped when the validator is not on PATH (the command line it builds is tested in
tests/unit/localnet/test_validator.py regardless).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair

from localnet.deployment import BootstrapPlan
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID
from localnet.rpc_bootstrap import bootstrap_over_rpc
from localnet.validator import ValidatorProcess, ValidatorSpec, find_validator
from programs_client.perp.accounts import Exchange, Market
from programs_client.perp.program_id import PROGRAM_ID

BINARY = find_validator()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BINARY is None, reason="solana-test-validator is not on PATH (install the Solana CLI tool suite)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_validator_with_program_and_rpc_bootstrap(tmp_path: Path) -> None:
    from localnet.build import build_program

    rpc_port = _free_port()
    admin = Keypair()  # the perp program's upgrade authority: only it may initialise the exchange
    spec = ValidatorSpec(ledger=tmp_path / "ledger", programs=((MOCK_ORACLE_PROGRAM_ID, Path(build_program("mock_oracle"))),),
                         upgradeable_programs=((PROGRAM_ID, Path(build_program("perp")), admin.pubkey()),),
                         binary=BINARY or "", rpc_port=rpc_port, faucet_port=_free_port())
    proc = ValidatorProcess(spec, tmp_path / "validator.log").start()
    try:
        await asyncio.to_thread(proc.wait_healthy, 90.0)
        client = AsyncClient(spec.rpc_url, timeout=30)
        try:
            dep = await asyncio.wait_for(bootstrap_over_rpc(client, PROGRAM_ID, BootstrapPlan(users=1), spec.rpc_url,
                                                            spec.ws_url, poll_s=0.25, admin=admin), 120)
            acc = (await client.get_account_info(dep.exchange, commitment="confirmed")).value
            assert Exchange.decode(bytes(acc.data)).market_count == len(BootstrapPlan().markets)
            market = (await client.get_account_info(dep.markets[0].address, commitment="confirmed")).value
            decoded = Market.decode(bytes(market.data))
            assert decoded.oracle.primary_program == MOCK_ORACLE_PROGRAM_ID and decoded.mark_price > 0
        finally:
            await client.close()
    except BaseException:
        print(proc.log_tail())
        raise
    finally:
        proc.stop()
