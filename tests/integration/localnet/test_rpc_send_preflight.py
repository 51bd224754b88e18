"""sendTransaction's preflight runs the transaction once: a refused one leaves nothing behind, a passed one lands."""

from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import MintToParams, mint_to

from keepers.exchange import instructions as ix
from programs_client.perp.accounts import User
from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import signed, user


async def _state(client: AsyncClient, dep, i: int) -> tuple[int, int, int]:
    kp, margin, tokens = user(dep, i)
    sol = (await client.get_balance(kp.pubkey(), commitment="processed")).value
    held = int((await client.get_token_account_balance(tokens, commitment="processed")).value.amount)
    acc = (await client.get_account_info(margin, commitment="processed")).value
    return sol, held, User.decode(bytes(acc.data)).collateral


async def test_refused_transaction_leaves_nothing_and_the_same_bytes_land_later(client: AsyncClient,
                                                                               local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, tokens = user(dep, 1)
    sol, held, collateral = await _state(client, dep, 1)
    blockhash = (await client.get_latest_blockhash("processed")).value.blockhash
    amount = held + 5  # five more than the wallet holds: the token transfer fails
    deposit = signed(kp, [ix.deposit(kp.pubkey(), tokens, amount, 0, dep.program_id)], blockhash)
    with pytest.raises(RPCException):
        await client.send_transaction(deposit)
    assert await _state(client, dep, 1) == (sol, held, collateral)  # no fee, no write
    assert (await client.get_signature_statuses([deposit.signatures[0]])).value[0] is None

    authority = dep.wallets["mint-authority"]
    top_up = signed(kp, [mint_to(MintToParams(TOKEN_PROGRAM_ID, dep.mint, tokens, authority.pubkey(), 5))], blockhash,
                    [authority])  # two signatures: 10,000 lamports
    await client.send_transaction(top_up)
    sig = (await client.send_transaction(deposit)).value  # the very bytes refused above
    assert sig == deposit.signatures[0]
    assert await _state(client, dep, 1) == (sol - 10_000 - 5_000, 0, collateral + amount)
    status = (await client.get_signature_statuses([sig])).value[0]
    assert status is not None and status.err is None
