"""anchorpy's Program, built from idl/perp.json, against the node: fetch accounts, send an instruction."""

from __future__ import annotations

from pathlib import Path

import pytest
from anchorpy import Context, Idl, Program, Provider, Wallet
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import TxOpts
from spl.token.constants import TOKEN_PROGRAM_ID

from keepers.exchange.pdas import collateral_vault_pda
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import user

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:sumtypes")
IDL_PATH = Path(__file__).resolve().parents[3] / "idl" / "perp.json"


@pytest.fixture
async def program(local_node: LocalNode):
    kp, _, _ = user(local_node.deployment, 0)
    client = AsyncClient(local_node.rpc_url, timeout=10)
    provider = Provider(client, Wallet(kp), TxOpts(preflight_commitment="processed"))
    prog = Program(Idl.from_json(IDL_PATH.read_text()), local_node.deployment.program_id, provider)
    yield prog
    await prog.close()


async def test_fetch_exchange_and_markets(program: Program, local_node: LocalNode) -> None:
    dep = local_node.deployment
    exchange = await program.account["Exchange"].fetch(dep.exchange)
    assert exchange.collateral_mint == dep.mint and exchange.market_count == len(dep.markets)
    market = await program.account["Market"].fetch(dep.markets[1].address)
    assert bytes(market.name).rstrip(b"\0").decode() == dep.markets[1].name
    users = await program.account["User"].all()
    assert len(users) == 3


async def test_deposit_through_program_rpc(program: Program, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, margin, tokens = user(dep, 0)
    before = (await program.account["User"].fetch(margin)).collateral
    sig = await program.rpc["deposit"](4 * QUOTE, ctx=Context(accounts={
        "authority": kp.pubkey(), "exchange": dep.exchange, "user": margin, "user_token_account": tokens,
        "collateral_vault": collateral_vault_pda(dep.program_id), "token_program": TOKEN_PROGRAM_ID}))
    assert sig is not None
    assert (await program.account["User"].fetch(margin)).collateral == before + 4 * QUOTE
