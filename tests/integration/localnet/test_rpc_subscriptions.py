"""PubSub over websocket: real notifications with validator shapes, through websockets and solana-py."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import MemcmpOpts
from solana.rpc.websocket_api import connect as solana_ws_connect
from solders.keypair import Keypair
from solders.rpc.responses import AccountNotification, ProgramNotification, SubscriptionResult

from localnet.rpc.encoding import b58encode
from programs_client.perp.accounts import User
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE
from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import deposit_tx, user

TIMEOUT_S = 5.0
pytestmark = pytest.mark.filterwarnings("ignore:websockets.legacy is deprecated:DeprecationWarning")


async def _request(ws: Any, method: str, params: Any, req_id: int = 1) -> Any:
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params}))
    return await _next(ws, lambda m: m.get("id") == req_id)


async def _next(ws: Any, match: Any, limit: int = 200) -> dict[str, Any]:
    """Return the first message satisfying ``match`` (bounded in time and count)."""
    async with asyncio.timeout(TIMEOUT_S):
        for _ in range(limit):
            msg = json.loads(await ws.recv())
            if match(msg):
                return msg
    raise AssertionError("no matching message")


def _is(method: str, sub: int) -> Any:
    return lambda m: m.get("method") == method and m["params"]["subscription"] == sub


async def test_account_subscription_gets_the_deposit(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    _, margin, _ = user(dep, 0)
    async with websockets.connect(local_node.ws_url) as ws:
        reply = await _request(ws, "accountSubscribe", [str(margin), {"encoding": "base64", "commitment": "processed"}])
        sub = reply["result"]
        assert isinstance(sub, int)
        before = User.decode(bytes((await client.get_account_info(margin, commitment="processed")).value.data)).collateral
        await client.send_transaction(await deposit_tx(client, dep, 0, 2 * QUOTE))
        note = await _next(ws, _is("accountNotification", sub))
        result = note["params"]["result"]
        assert set(result["context"]) == {"slot"}
        assert set(result["value"]) == {"data", "executable", "lamports", "owner", "rentEpoch", "space"}
        assert User.decode(base64.b64decode(result["value"]["data"][0])).collateral == before + 2 * QUOTE
        parsed = AccountNotification.from_json(json.dumps(note["params"]))
        assert parsed.subscription == sub and parsed.result.value.owner == dep.program_id
        assert (await _request(ws, "accountUnsubscribe", [sub], 2))["result"] is True
        bad = await _request(ws, "accountUnsubscribe", [sub], 3)
        assert bad["error"] == {"code": -32602, "message": "Invalid subscription id."}


async def test_confirmed_account_notification_waits_for_depth(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    _, margin, _ = user(dep, 1)
    async with websockets.connect(local_node.ws_url) as ws:
        sub = (await _request(ws, "accountSubscribe", [str(margin), {"encoding": "base64", "commitment": "confirmed"}]))["result"]
        tx = await deposit_tx(client, dep, 1, 1)
        await client.send_transaction(tx)
        landed = (await client.get_signature_statuses([tx.signatures[0]])).value[0].slot
        note = await _next(ws, _is("accountNotification", sub))
        assert note["params"]["result"]["context"]["slot"] == landed
        assert (await client.get_slot("processed")).value >= landed + 1


async def test_program_subscription_with_filters(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, margin, _ = user(dep, 2)
    flt = [{"memcmp": {"offset": 8, "bytes": str(kp.pubkey())}}]
    async with websockets.connect(local_node.ws_url) as ws:
        sub = (await _request(ws, "programSubscribe", [str(dep.program_id), {"encoding": "base64", "commitment": "processed",
                                                                             "filters": flt}]))["result"]
        other = (await _request(ws, "programSubscribe", [str(dep.program_id), {
            "encoding": "base64", "commitment": "processed", "filters": [{"dataSize": 1}]}], 2))["result"]
        await client.send_transaction(await deposit_tx(client, dep, 2, 5))
        note = await _next(ws, lambda m: m.get("method") == "programNotification")
        assert note["params"]["subscription"] == sub  # the dataSize 1 subscription saw nothing
        value = note["params"]["result"]["value"]
        assert value["pubkey"] == str(margin) and set(value["account"]) >= {"data", "lamports", "owner"}
        assert ProgramNotification.from_json(json.dumps(note["params"])).result.value.pubkey == margin
        assert other != sub


async def test_slot_signature_and_logs_subscriptions(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    kp, _, _ = user(dep, 0)
    async with websockets.connect(local_node.ws_url) as ws:
        slot_sub = (await _request(ws, "slotSubscribe", [], 1))["result"]
        slot_note = await _next(ws, _is("slotNotification", slot_sub))
        assert set(slot_note["params"]["result"]) == {"parent", "root", "slot"}
        assert (await _request(ws, "slotUnsubscribe", [slot_sub], 2))["result"] is True
        logs_sub = (await _request(ws, "logsSubscribe", [{"mentions": [str(kp.pubkey())]}, {"commitment": "processed"}], 3))["result"]
        tx = await deposit_tx(client, dep, 0, 6)
        sig_sub = (await _request(ws, "signatureSubscribe", [str(tx.signatures[0]), {"commitment": "confirmed"}], 4))["result"]
        await client.send_transaction(tx)
        logs = await _next(ws, _is("logsNotification", logs_sub))
        assert logs["params"]["result"]["value"]["signature"] == str(tx.signatures[0])
        assert logs["params"]["result"]["value"]["err"] is None and logs["params"]["result"]["value"]["logs"]
        sig = await _next(ws, _is("signatureNotification", sig_sub))
        assert sig["params"]["result"]["value"] == {"err": None}
        gone = await _request(ws, "signatureUnsubscribe", [sig_sub], 5)  # removed after its notification
        assert gone["error"]["code"] == -32602
        late = (await _request(ws, "signatureSubscribe", [str(tx.signatures[0]), {"commitment": "processed"}], 6))["result"]
        again = await _next(ws, _is("signatureNotification", late))  # already landed: notified at once
        assert again["params"]["result"]["value"] == {"err": None}


async def test_pubsub_errors(local_node: LocalNode) -> None:
    async with websockets.connect(local_node.ws_url) as ws:
        await ws.send("{nope")
        assert json.loads(await ws.recv())["error"]["code"] == -32700
        assert (await _request(ws, "getAccountInfo", [str(Keypair().pubkey())]))["error"]["code"] == -32601
        assert (await _request(ws, "accountSubscribe", ["zzz"], 2))["error"]["code"] == -32602
        assert (await _request(ws, "logsSubscribe", [{"mentions": ["a", "b"]}], 3))["error"]["code"] == -32602
        assert (await _request(ws, "programSubscribe", [str(Keypair().pubkey()), {"filters": [{"x": 1}]}], 4))["error"]["code"] == -32602
        assert (await _request(ws, "slotSubscribe", [], 5))["result"] > 0  # still serving


async def test_solana_py_websocket_client(client: AsyncClient, local_node: LocalNode) -> None:
    dep = local_node.deployment
    _, margin, _ = user(dep, 1)
    async with solana_ws_connect(local_node.ws_url) as ws:
        await ws.account_subscribe(margin, commitment="processed", encoding="base64")
        first = await asyncio.wait_for(ws.recv(), TIMEOUT_S)
        assert isinstance(first[0], SubscriptionResult)
        await ws.program_subscribe(dep.program_id, commitment="processed", encoding="base64",
                                   filters=[MemcmpOpts(offset=0, bytes=b58encode(User.discriminator))])
        second = await asyncio.wait_for(ws.recv(), TIMEOUT_S)
        assert isinstance(second[0], SubscriptionResult)
        await client.send_transaction(await deposit_tx(client, dep, 1, 9))
        kinds: set[type] = set()
        async with asyncio.timeout(TIMEOUT_S):
            while kinds != {AccountNotification, ProgramNotification}:
                for msg in await ws.recv():
                    kinds.add(type(msg))
        await ws.account_unsubscribe(first[0].result)


async def test_in_process_send_goes_through_the_node(client: AsyncClient, local_node: LocalNode) -> None:
    """Writers inside the node's process (oracle publishers) use Ledger.send and are seen over RPC."""
    from keepers.exchange import instructions as ix
    from keepers.execution.results import Landed

    dep = local_node.deployment
    kp, margin, tokens = user(dep, 2)
    async with websockets.connect(local_node.ws_url) as ws:
        sub = (await _request(ws, "accountSubscribe", [str(margin), {"encoding": "base64", "commitment": "processed"}]))["result"]
        out = local_node.thread.call(local_node.node.chain.send, [ix.deposit(kp.pubkey(), tokens, 11, 0, dep.program_id)], [kp], kp)
        assert isinstance(out, Landed) and out.slot is not None
        await _next(ws, _is("accountNotification", sub))
    assert (await client.get_signature_statuses([out.signature])).value[0] is not None
    again = local_node.thread.call(local_node.node.chain.send, [ix.withdraw(kp.pubkey(), tokens, 10**15, 0, dep.program_id)], [kp], kp)
    assert not again.ok and again.program_error is not None
