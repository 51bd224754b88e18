"""@solana/web3.js v1 as an ordinary client of the node: tests/js/web3_client.js runs its calls, we check the results.

The client is pinned in ``tests/js/package-lock.json`` and installed by ``bash lock/install.sh dev``
(``npm ci``); nothing is downloaded here. Without node or the installed client the test skips,
except in CI, where it fails. Every expected value is written by hand from the Solana RPC docs and
what the script did (amounts, fees, keys), not read from the node's code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.localnet.conftest import LocalNode
from tests.integration.localnet.helpers import user

JS_DIR = Path(__file__).resolve().parents[2] / "js"
SCRIPT = JS_DIR / "web3_client.js"
SYSTEM_PROGRAM = "11111111111111111111111111111111"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
SOL = 1_000_000_000


def _node_binary() -> str:
    node = shutil.which("node")
    installed = (JS_DIR / "node_modules" / "@solana" / "web3.js" / "package.json").is_file()
    if node is None or not installed:
        why = "node is not on PATH" if node is None else "tests/js/node_modules is missing (bash lock/install.sh dev)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    return node


def test_web3js_client_against_the_node(local_node: LocalNode) -> None:
    node = _node_binary()
    dep = local_node.deployment
    owner, _, tokens = user(dep, 0)
    args = {"rpcUrl": local_node.rpc_url, "wsUrl": local_node.ws_url, "mint": str(dep.mint),
            "tokenOwner": str(owner.pubkey())}
    run = subprocess.run([node, str(SCRIPT), json.dumps(args)], cwd=JS_DIR, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)

    assert set(out["version"]) == {"solana-core", "feature-set"} and isinstance(out["version"]["feature-set"], int)
    assert out["epochSchedule"] == {"slotsPerEpoch": 432_000, "leaderScheduleSlotOffset": 432_000, "warmup": True,
                                    "firstNormalEpoch": 14, "firstNormalSlot": 524_256}
    assert out["latestBlockhash"]["blockhashLength"] == 32
    assert 140 <= out["latestBlockhash"]["validForBlocks"] <= 150  # 150 blocks, a few may pass between the calls

    # airdrop, a confirmed transfer, then the sender drained to zero: null and 0
    assert out["airdropErr"] is None and out["senderAfterAirdrop"] == 2 * SOL
    assert out["sendErr"] is None and out["recipientBalance"] == SOL // 2
    assert out["senderBalance"] == 2 * SOL - SOL // 2 - 5000
    assert out["closedAccount"] is None and out["closedBalance"] == 0

    # onAccountChange: the recipient credited twice (the transfer, then the drain); onSlotChange: consecutive slots
    events = out["accountEvents"]
    assert [e["lamports"] for e in events[:2]] == [SOL // 2, 2 * SOL - 10_000]
    assert all(e["owner"] == SYSTEM_PROGRAM for e in events)
    slots = out["slotEvents"]
    assert len(slots) == 3 and all(s["parent"] == s["slot"] - 1 and s["root"] <= s["slot"] for s in slots)
    assert [s["slot"] for s in slots] == list(range(slots[0]["slot"], slots[0]["slot"] + 3))

    # history: both signatures newest first, the transfer parsed, its block
    drained, sent = out["expectedSignatures"]
    assert out["signatures"] == [{"signature": drained, "err": None, "memo": None},
                                 {"signature": sent, "err": None, "memo": None}]
    ptx = out["parsedTransaction"]
    assert ptx["fee"] == 5000 and ptx["err"] is None
    sender, recipient = ptx["accountKeys"][0]["pubkey"], ptx["accountKeys"][1]["pubkey"]
    assert ptx["accountKeys"] == [
        {"pubkey": sender, "signer": True, "writable": True, "source": "transaction"},
        {"pubkey": recipient, "signer": False, "writable": True, "source": "transaction"},
        {"pubkey": SYSTEM_PROGRAM, "signer": False, "writable": False, "source": "transaction"}]
    assert ptx["instructions"] == [{"program": "system", "parsed": {
        "type": "transfer", "info": {"source": sender, "destination": recipient, "lamports": SOL // 2}}}]
    assert out["block"] == {"parentSlot": ptx["slot"] - 1, "blockHeight": ptx["slot"], "hasSent": True,
                            "previousBlockhashIsParent": True}
    assert out["accountsBlockEntry"] == {"accountKeys": ptx["accountKeys"], "fee": 5000, "hasLogs": False}

    # tokens: the deployment's user 0 holds one account of the collateral mint (6 decimals)
    assert out["tokenAccounts"] == [{"pubkey": str(tokens), "owner": TOKEN_PROGRAM, "dataLength": 165, "mint": str(dep.mint)}]
    (parsed,) = out["parsedTokenAccounts"]
    assert parsed["pubkey"] == str(tokens)
    assert parsed["info"]["mint"] == str(dep.mint) and parsed["info"]["owner"] == str(owner.pubkey())
    assert parsed["info"]["state"] == "initialized" and parsed["info"]["tokenAmount"]["decimals"] == 6
    assert out["mint"] == {"program": "spl-token", "type": "mint", "decimals": 6, "isInitialized": True,
                           "owner": TOKEN_PROGRAM}
