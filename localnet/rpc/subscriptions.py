"""PubSub subscriptions: account, program, slot, signature, logs, root, slotsUpdates, vote and block, fed by chain events.

The hub is a ``LedgerListener``. At commitment ``processed`` notifications go out as the chain
event happens; at ``confirmed``/``finalized`` they wait until the event's slot reaches that depth
(account notifications are then coalesced to one per account and slot, with the newest data).
Connections only need a non-blocking ``send(text)``; the websocket server supplies them.

Root, slotsUpdates and vote notifications follow each new slot, as on a one-node validator that
leads every slot and votes on each: the slot just closed is completed and frozen (with its
transaction counts) and voted on by the node's vote account, the new slot's bank is created, and
the slots that reached ``confirmed`` and ``finalized`` (the root) are announced.

Block notifications (Agave's ``blockSubscribe``, which a validator serves only with
``--rpc-pubsub-enable-block-subscription``; always on here) go out when a block reaches the
subscription's commitment (confirmed or finalized), rendered as getBlock renders it, once per set
of options; with ``mentionsAccountOrProgram`` only the transactions mentioning the key are kept, and
a block without one is not notified.
"""

from __future__ import annotations

import itertools
import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from solders.account import Account
from solders.pubkey import Pubkey
from solders.signature import Signature

from localnet.history import Block
from localnet.ledger import Ledger, TxRecord
from localnet.rpc.blocks import BlockOptions, block_json, confirmed_commitment, parse_block_options
from localnet.rpc.encoding import check_account_encoding, encode_account, parse_data_slice, tx_error_json
from localnet.rpc.parsed.account import encode_account_parsed
from localnet.rpc.errors import RpcError, invalid_params
from localnet.rpc.methods import parse_filters
from localnet.rpc.cluster import vote_address  # after methods: cluster builds on it
from localnet.rpc.params import Params, normalize_commitment, opt_bool, parse_pubkey, parse_signature

SYSTEM_PROGRAM = "11111111111111111111111111111111"
MAX_ROOTS_PER_SLOT = 64  # roots announced one by one after a jump, at most this many at once
SLOT_DRIVEN = ("root", "slotsUpdates", "vote")  # kinds notified on each new slot, with no parameters


class Connection(Protocol):
    """A client connection that accepts messages without blocking."""

    def send(self, text: str) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One subscription of one connection."""

    id: int
    kind: str
    conn: Connection
    commitment: str
    key: Any = None
    encoding: str = "binary"
    data_slice: tuple[int, int] | None = None
    filters: list[Any] = field(default_factory=list)
    mentions: Pubkey | None = None
    block: BlockOptions | None = None


def _message(method: str, sub_id: int, result: Any) -> str:
    return _message_text(method, sub_id, json.dumps(result, separators=(",", ":")))


def _message_text(method: str, sub_id: int, result_text: str) -> str:
    """A notification around an already serialised result (shared by every subscriber with the same options)."""
    return f'{{"jsonrpc":"2.0","method":"{method}","params":{{"result":{result_text},"subscription":{sub_id}}}}}'


class SubscriptionHub:
    """Subscriptions of every connection, and the notifications they are owed."""

    UNSUBSCRIBE: ClassVar[dict[str, str]] = {"accountUnsubscribe": "account", "programUnsubscribe": "program", "slotUnsubscribe": "slot",
                   "signatureUnsubscribe": "signature", "logsUnsubscribe": "logs", "rootUnsubscribe": "root",
                   "slotsUpdatesUnsubscribe": "slotsUpdates", "voteUnsubscribe": "vote",
                   "blockUnsubscribe": "block"}

    def __init__(self, chain: Ledger) -> None:
        self.chain = chain
        self.subs: dict[int, Subscription] = {}
        self._ids = itertools.count(1)
        self._by_account: dict[Pubkey, set[int]] = {}
        self._by_program: dict[Pubkey, set[int]] = {}
        self._by_signature: dict[Signature, set[int]] = {}
        self._slot_subs: set[int] = set()
        self._logs_subs: set[int] = set()
        self._pending_accounts: dict[tuple[int, Pubkey], int] = {}
        self._pending_tx: list[tuple[int, TxRecord]] = []
        self._slot_driven: dict[str, set[int]] = {kind: set() for kind in SLOT_DRIVEN}
        self._block_subs: set[int] = set()
        # the newest slots already announced as rooted and confirmed (-1: none yet; slot 0 is announced too)
        self._last_root = self._reached("finalized")
        self._last_confirmed = self._reached("confirmed")
        self._slot_counts: dict[int, list[int]] = {}  # slot -> [successful, failed] while slotsUpdates has subscribers
        self.subscribe_methods: dict[str, Callable[[Connection, Any], int]] = {
            "accountSubscribe": self._account, "programSubscribe": self._program, "slotSubscribe": self._slot,
            "signatureSubscribe": self._signature, "logsSubscribe": self._logs,
            "rootSubscribe": lambda conn, params: self._no_params(conn, params, "root"),
            "slotsUpdatesSubscribe": lambda conn, params: self._no_params(conn, params, "slotsUpdates"),
            "voteSubscribe": lambda conn, params: self._no_params(conn, params, "vote"),
            "blockSubscribe": self._block,
        }
        chain.listeners.append(self)

    # -- subscribe / unsubscribe ----------------------------------------------------------------
    def handle(self, conn: Connection, method: str, params: Any) -> Any:
        """Run a pubsub method for ``conn``; return its result (RpcError for errors)."""
        if method in self.subscribe_methods:
            return self.subscribe_methods[method](conn, params)
        if method in self.UNSUBSCRIBE:
            p = Params(params, 1, 1)
            sub_id = p.uint(0, "subscription id")
            sub = self.subs.get(sub_id)
            if sub is None or sub.conn is not conn or sub.kind != self.UNSUBSCRIBE[method]:
                raise invalid_params("Invalid subscription id.")
            self._remove(sub)
            return True
        raise RpcError(-32601, "Method not found")

    def _add(self, sub: Subscription) -> int:
        self.subs[sub.id] = sub
        if sub.kind == "account":
            self._by_account.setdefault(sub.key, set()).add(sub.id)
        elif sub.kind == "program":
            self._by_program.setdefault(sub.key, set()).add(sub.id)
        elif sub.kind == "signature":
            self._by_signature.setdefault(sub.key, set()).add(sub.id)
        elif sub.kind == "slot":
            self._slot_subs.add(sub.id)
        elif sub.kind in self._slot_driven:
            self._slot_driven[sub.kind].add(sub.id)
        elif sub.kind == "block":
            self._block_subs.add(sub.id)
        else:
            self._logs_subs.add(sub.id)
        return sub.id

    def _remove(self, sub: Subscription) -> None:
        self.subs.pop(sub.id, None)
        index = {"account": self._by_account, "program": self._by_program, "signature": self._by_signature}.get(sub.kind)
        if index is not None:
            ids = index.get(sub.key)
            if ids is not None:
                ids.discard(sub.id)
                if not ids:
                    del index[sub.key]
        self._slot_subs.discard(sub.id)
        self._logs_subs.discard(sub.id)
        self._block_subs.discard(sub.id)
        for ids in self._slot_driven.values():
            ids.discard(sub.id)

    def drop_connection(self, conn: Connection) -> None:
        """Forget every subscription of a closed connection."""
        for sub in [s for s in self.subs.values() if s.conn is conn]:
            self._remove(sub)

    def _account_opts(self, cfg: dict[str, Any]) -> tuple[str, str, tuple[int, int] | None]:
        return (normalize_commitment(cfg.get("commitment")), check_account_encoding(cfg.get("encoding")),
                parse_data_slice(cfg.get("dataSlice")))

    def _account(self, conn: Connection, params: Any) -> int:
        p = Params(params, 1, 2)
        key = p.pubkey(0)
        commitment, encoding, data_slice = self._account_opts(p.config(1))
        return self._add(Subscription(next(self._ids), "account", conn, commitment, key, encoding, data_slice))

    def _program(self, conn: Connection, params: Any) -> int:
        p = Params(params, 1, 2)
        key = p.pubkey(0, "program id")
        cfg = p.config(1)
        commitment, encoding, data_slice = self._account_opts(cfg)
        filters = parse_filters(cfg.get("filters"))
        return self._add(Subscription(next(self._ids), "program", conn, commitment, key, encoding, data_slice, filters))

    def _slot(self, conn: Connection, params: Any) -> int:
        Params(params, 0, 0)
        return self._add(Subscription(next(self._ids), "slot", conn, "processed"))

    def _no_params(self, conn: Connection, params: Any, kind: str) -> int:
        Params(params, 0, 0)
        return self._add(Subscription(next(self._ids), kind, conn, "processed"))

    def _signature(self, conn: Connection, params: Any) -> int:
        p = Params(params, 1, 2)
        sig = parse_signature(p.get(0))
        cfg = p.config(1)
        sub = Subscription(next(self._ids), "signature", conn, normalize_commitment(cfg.get("commitment")), sig)
        sub.encoding = "received" if opt_bool(cfg, "enableReceivedNotification") else ""
        return self._add(sub)

    def _logs(self, conn: Connection, params: Any) -> int:
        p = Params(params, 1, 2)
        flt = p.get(0)
        mentions = None
        if isinstance(flt, dict) and set(flt) == {"mentions"} and isinstance(flt["mentions"], list):
            if len(flt["mentions"]) != 1:
                raise invalid_params("Invalid Request: Only 1 address supported")
            mentions = parse_pubkey(flt["mentions"][0])
        elif flt not in ("all", "allWithVotes"):
            raise invalid_params('Invalid params: logs filter must be "all", "allWithVotes" or {"mentions": [pubkey]}')
        commitment = normalize_commitment(p.config(1).get("commitment"))
        sub = Subscription(next(self._ids), "logs", conn, commitment, mentions=mentions)
        return self._add(sub)

    def _block(self, conn: Connection, params: Any) -> int:
        """blockSubscribe ["all" | {"mentionsAccountOrProgram": pubkey}, {commitment, encoding, transactionDetails,
        showRewards, maxSupportedTransactionVersion}]: Agave's defaults (finalized, base64, full, no rewards)."""
        p = Params(params, 1, 2)
        flt = p.get(0)
        mentions = None
        if isinstance(flt, dict) and set(flt) == {"mentionsAccountOrProgram"}:
            try:
                mentions = parse_pubkey(flt["mentionsAccountOrProgram"])
            except RpcError:
                raise invalid_params("Invalid Request: Invalid mentions_account_or_program provided") from None
        elif flt != "all":
            raise invalid_params('Invalid params: block filter must be "all" or {"mentionsAccountOrProgram": pubkey}')
        cfg = p.config(1)
        commitment = confirmed_commitment(cfg)
        opts = parse_block_options(cfg, "base64", False)
        return self._add(Subscription(next(self._ids), "block", conn, commitment, mentions=mentions, block=opts))

    def after_subscribe(self, sub_id: int) -> None:
        """Send what a new subscription is owed at once (a signature that already landed)."""
        sub = self.subs.get(sub_id)
        if sub is None or sub.kind != "signature":
            return
        rec = self.chain.records.get(sub.key)
        if rec is not None:
            self._signature_event(sub, rec)

    # -- chain events ---------------------------------------------------------------------------
    def _due(self, sub: Subscription, slot: int) -> bool:
        return slot <= self.chain.commitment_slot(sub.commitment)

    def on_accounts_written(self, slot: int, accounts: dict[Pubkey, Account | None]) -> None:
        """Notify (or queue) account and program subscribers of written accounts."""
        if not self._by_account and not self._by_program:  # every transaction comes here: most often nobody listens
            return
        for key, acc in accounts.items():
            shared: dict[tuple[Any, ...], str] = {}  # one encoding per set of options, however many subscribers
            for sub_id in self._by_account.get(key, ()):
                self._account_event(self.subs[sub_id], key, acc, slot, shared)
            if self._by_program and acc is not None:
                for sub_id in self._by_program.get(acc.owner, ()):
                    sub = self.subs[sub_id]
                    data = bytes(acc.data)
                    if all(f.allows(data) for f in sub.filters):
                        self._account_event(sub, key, acc, slot, shared)

    def _account_event(self, sub: Subscription, key: Pubkey, acc: Account | None, slot: int,
                       shared: dict[tuple[Any, ...], str]) -> None:
        if sub.commitment == "processed":
            self._send_account(sub, key, acc, slot, shared)
        else:
            self._pending_accounts[(sub.id, key)] = slot

    def _send_account(self, sub: Subscription, key: Pubkey, acc: Account | None, slot: int,
                      shared: dict[tuple[Any, ...], str] | None = None) -> None:
        options = (sub.kind, sub.encoding, sub.data_slice)
        text = shared.get(options) if shared is not None else None
        if text is None:
            if acc is None:
                value: dict[str, Any] = {"data": ["", "base64"], "executable": False, "lamports": 0,
                                         "owner": SYSTEM_PROGRAM, "rentEpoch": 0, "space": 0}
            elif sub.encoding == "jsonParsed":  # token accounts parsed with their mint's decimals, as getAccountInfo
                value = encode_account_parsed(self.chain, acc, sub.encoding, sub.data_slice)
            else:
                value = encode_account(acc, sub.encoding, sub.data_slice, limit_base58=False)
            if sub.kind == "program":
                value = {"account": value, "pubkey": str(key)}
            text = json.dumps({"context": {"slot": slot}, "value": value}, separators=(",", ":"))
            if shared is not None:
                shared[options] = text
        method = "programNotification" if sub.kind == "program" else "accountNotification"
        sub.conn.send(_message_text(method, sub.id, text))

    def on_transaction(self, record: TxRecord) -> None:
        """Notify (or queue) signature and logs subscribers of a landed transaction."""
        if self._slot_driven["slotsUpdates"]:
            self._slot_counts.setdefault(record.slot, [0, 0])[record.err is not None] += 1
        for sub_id in list(self._by_signature.get(record.signature, ())):
            self._signature_event(self.subs[sub_id], record)
        for sub_id in self._logs_subs:
            sub = self.subs[sub_id]
            if sub.mentions is None or sub.mentions in record.account_keys:
                if sub.commitment == "processed":
                    self._send_logs(sub, record)
                else:
                    self._pending_tx.append((sub.id, record))

    def _signature_event(self, sub: Subscription, record: TxRecord) -> None:
        if sub.encoding == "received":
            sub.conn.send(_message("signatureNotification", sub.id, {"context": {"slot": record.slot}, "value": "receivedSignature"}))
            sub.encoding = ""
        if self._due(sub, record.slot):
            self._send_signature(sub, record)
        else:
            self._pending_tx.append((sub.id, record))

    def _send_signature(self, sub: Subscription, record: TxRecord) -> None:
        sub.conn.send(_message("signatureNotification", sub.id, {"context": {"slot": record.slot}, "value": {"err": tx_error_json(record.err)}}))
        self._remove(sub)  # signature subscriptions end with their notification

    def _send_logs(self, sub: Subscription, record: TxRecord) -> None:
        sub.conn.send(_message("logsNotification", sub.id, {"context": {"slot": record.slot}, "value": {
            "err": tx_error_json(record.err), "logs": record.logs, "signature": str(record.signature)}}))

    def on_slot(self, slot: int) -> None:
        """Notify slot subscribers and release notifications whose slot reached their commitment."""
        if self._slot_subs:
            root = self.chain.commitment_slot("finalized")
            for sub_id in self._slot_subs:
                sub = self.subs[sub_id]
                sub.conn.send(_message("slotNotification", sub.id, {"parent": max(0, slot - 1), "root": root, "slot": slot}))
        self._slot_driven_events(slot)
        if self._pending_accounts:
            for (sub_id, key), at in list(self._pending_accounts.items()):
                sub = self.subs.get(sub_id)
                if sub is None:
                    del self._pending_accounts[(sub_id, key)]
                elif self._due(sub, at):
                    del self._pending_accounts[(sub_id, key)]
                    self._send_account(sub, key, self.chain.get_account(key), at)
        if self._pending_tx:
            keep = []
            for sub_id, record in self._pending_tx:
                sub = self.subs.get(sub_id)
                if sub is None:
                    continue
                if not self._due(sub, record.slot):
                    keep.append((sub_id, record))
                elif sub.kind == "signature":
                    self._send_signature(sub, record)
                else:
                    self._send_logs(sub, record)
            self._pending_tx = keep


    # -- root, slotsUpdates, vote and block ------------------------------------------------------
    def _reached(self, commitment: str) -> int:
        """The newest slot at ``commitment``, -1 while none is that deep (``commitment_slot`` floors at 0)."""
        config = self.chain.config
        depth = config.confirmed_depth_slots if commitment == "confirmed" else config.finalized_depth_slots
        return self.chain.slot - depth if self.chain.slot >= depth else -1

    def _send_all(self, kind: str, method: str, result: Any) -> None:
        for sub_id in self._slot_driven[kind]:
            self.subs[sub_id].conn.send(_message(method, sub_id, result))

    def _slot_driven_events(self, slot: int) -> None:
        root, confirmed = self.chain.commitment_slot("finalized"), self.chain.commitment_slot("confirmed")
        roots = range(max(self._last_root + 1, root - MAX_ROOTS_PER_SLOT + 1), root + 1)
        confirmations = range(max(self._last_confirmed + 1, confirmed - MAX_ROOTS_PER_SLOT + 1), confirmed + 1)
        self._last_root, self._last_confirmed = max(self._last_root, root), max(self._last_confirmed, confirmed)
        closed = slot - 1
        if self._slot_driven["slotsUpdates"]:
            now_ms = int(time.time() * 1000)
            ok, failed = self._slot_counts.pop(closed, (0, 0))
            stats = {"numTransactionEntries": ok + failed, "numSuccessfulTransactions": ok,
                     "numFailedTransactions": failed, "maxTransactionsPerEntry": 1 if ok + failed else 0}
            updates = [{"type": "completed", "slot": closed, "timestamp": now_ms},
                       {"type": "frozen", "slot": closed, "timestamp": now_ms, "stats": stats},
                       {"type": "createdBank", "slot": slot, "parent": closed, "timestamp": now_ms}]
            updates += [{"type": "optimisticConfirmation", "slot": s, "timestamp": now_ms} for s in confirmations]
            updates += [{"type": "root", "slot": s, "timestamp": now_ms} for s in roots]
            for update in updates:
                self._send_all("slotsUpdates", "slotsUpdatesNotification", update)
        else:
            self._slot_counts.clear()
        for r in roots if self._slot_driven["root"] else ():
            self._send_all("root", "rootNotification", r)
        if self._slot_driven["vote"] and closed >= 0:
            self._send_all("vote", "voteNotification", self._vote(closed))
        if self._block_subs:
            self._block_events(confirmations, roots)

    def _block_events(self, confirmed: range, rooted: range) -> None:
        """Notify block subscribers of the blocks that just reached their commitment, oldest first."""
        for commitment, slots in (("confirmed", confirmed), ("finalized", rooted)):
            subs = [self.subs[i] for i in sorted(self._block_subs) if self.subs[i].commitment == commitment]
            for slot in slots if subs else ():
                block = self.chain.history.block(slot)
                if block is None:
                    continue
                shared: dict[tuple[Any, ...], str | None] = {}
                for sub in subs:
                    options = (sub.block, sub.mentions)
                    if options not in shared:
                        shared[options] = self._block_text(block, sub)
                    text = shared[options]
                    if text is not None:
                        sub.conn.send(_message_text("blockNotification", sub.id, text))

    def _block_text(self, block: Block, sub: Subscription) -> str | None:
        """The notification result for ``block`` (None: nothing mentions the key); Agave's ``filter_block_result_txs``."""
        txs = block.transactions
        if sub.mentions is not None:
            txs = tuple(r for r in txs if sub.mentions in r.account_keys)
            if not txs:
                return None
        assert sub.block is not None
        try:
            value: dict[str, Any] = {"block": block_json(block, sub.block, txs), "err": None, "slot": block.slot}
        except RpcError:  # a v0 transaction without maxSupportedTransactionVersion
            value = {"block": None, "err": {"UnsupportedTransactionVersion": 0}, "slot": block.slot}
        return json.dumps({"context": {"slot": block.slot}, "value": value}, separators=(",", ":"))

    def _vote(self, slot: int) -> dict[str, Any]:
        """The node's vote on ``slot``: signed by its identity over the slot and the slot's blockhash."""
        identity = self.chain.faucet
        blockhash = self.chain.blockhash_at(slot).blockhash
        signature = identity.sign_message(struct.pack("<Q", slot) + bytes(blockhash))
        return {"votePubkey": str(vote_address(identity.pubkey())), "slots": [slot],
                "hash": str(blockhash), "timestamp": int(self.chain.wall_clock()), "signature": str(signature)}


__all__ = ["Connection", "Subscription", "SubscriptionHub"]
