"""The subscription hub on a real ledger (LiteSVM), without a websocket: block and root notifications
cover every slot from the first one, slot 0 included (a young node's first block is announced too)."""

from __future__ import annotations

import json

from solders.keypair import Keypair

from localnet.ledger import Ledger, LedgerConfig
from localnet.rpc.subscriptions import SubscriptionHub
from localnet.svm import LocalSvm


class Inbox:
    """A connection that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def send(self, text: str) -> None:
        self.messages.append(json.loads(text))

    def results(self, method: str) -> list:
        return [m["params"]["result"] for m in self.messages if m["method"] == method]


def test_blocks_and_roots_from_the_first_slot(perp_program: bytes) -> None:
    ledger = Ledger(LocalSvm(perp_program), LedgerConfig(confirmed_depth_slots=1, finalized_depth_slots=2))
    first = ledger.slot
    hub = SubscriptionHub(ledger)
    conn = Inbox()
    hub.handle(conn, "blockSubscribe", ["all", {"commitment": "confirmed", "transactionDetails": "signatures"}])
    hub.handle(conn, "blockSubscribe", ["all", {"transactionDetails": "none"}])  # finalized
    hub.handle(conn, "rootSubscribe", [])
    sig = ledger.airdrop(Keypair().pubkey(), 1_000)
    for _ in range(4):
        ledger.advance_slot()
    blocks = conn.results("blockNotification")
    confirmed = [b["value"] for b in blocks if "signatures" in b["value"]["block"]]
    finalized = [b["value"] for b in blocks if "signatures" not in b["value"]["block"]]
    assert [b["slot"] for b in confirmed] == [first, first + 1, first + 2, first + 3]  # slot N is confirmed at N + 1
    assert confirmed[0]["block"]["signatures"] == [str(sig)] and confirmed[1]["block"]["signatures"] == []
    assert [b["slot"] for b in finalized] == [first, first + 1, first + 2] == conn.results("rootNotification")  # at N + 2
    assert all(b["err"] is None for b in confirmed + finalized)
