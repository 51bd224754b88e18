"""getTransaction rendering: a ledger's transaction record in the json, base58 or base64 encoding."""

from __future__ import annotations

from typing import Any

from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from localnet.ledger import TxRecord
from localnet.rpc.encoding import (
    b58encode,
    b64encode,
    inner_instructions_json,
    return_data_json,
    token_balance_json,
    tx_error_json,
)
from localnet.rpc.errors import invalid_params

TRANSACTION_ENCODINGS = ("json", "jsonParsed", "base58", "base64", "binary")


def check_transaction_encoding(encoding: Any) -> str:
    """Validate a getTransaction ``encoding``; return it."""
    if encoding is None:
        return "json"
    if encoding not in TRANSACTION_ENCODINGS:
        raise invalid_params(
            f"Invalid params: unknown variant `{encoding}`, expected one of `binary`, `base64`, `base58`, `json`, `jsonParsed`"
        )
    return encoding


def ui_message(tx: VersionedTransaction) -> dict[str, Any]:
    """Return the raw ``UiMessage`` JSON of a transaction's message."""
    msg = tx.message
    h = msg.header
    out: dict[str, Any] = {
        "accountKeys": [str(k) for k in msg.account_keys],
        "header": {"numReadonlySignedAccounts": h.num_readonly_signed_accounts,
                   "numReadonlyUnsignedAccounts": h.num_readonly_unsigned_accounts,
                   "numRequiredSignatures": h.num_required_signatures},
        "instructions": [{"accounts": list(ix.accounts), "data": b58encode(bytes(ix.data)),
                          "programIdIndex": ix.program_id_index, "stackHeight": None} for ix in msg.instructions],
        "recentBlockhash": str(msg.recent_blockhash),
    }
    if isinstance(msg, MessageV0):
        out["addressTableLookups"] = [{"accountKey": str(lk.account_key), "readonlyIndexes": list(bytes(lk.readonly_indexes)),
                                       "writableIndexes": list(bytes(lk.writable_indexes))} for lk in msg.address_table_lookups]
    return out


def status_meta(rec: TxRecord) -> dict[str, Any]:
    """Return the ``UiTransactionStatusMeta`` JSON of a record."""
    err = tx_error_json(rec.err)
    meta: dict[str, Any] = {
        "computeUnitsConsumed": rec.compute_units,
        "err": err,
        "fee": rec.fee,
        "innerInstructions": inner_instructions_json(rec.inner_instructions),
        "logMessages": rec.logs,
        "postBalances": rec.post_balances,
        "postTokenBalances": [token_balance_json(b) for b in rec.post_token_balances],
        "preBalances": rec.pre_balances,
        "preTokenBalances": [token_balance_json(b) for b in rec.pre_token_balances],
        "rewards": [],
        "status": {"Ok": None} if err is None else {"Err": err},
    }
    if isinstance(rec.tx.message, MessageV0):
        meta["loadedAddresses"] = {"readonly": [str(k) for k in rec.loaded_readonly],
                                   "writable": [str(k) for k in rec.loaded_writable]}
    else:
        meta["loadedAddresses"] = {"readonly": [], "writable": []}
    if rec.return_data is not None:
        meta["returnData"] = return_data_json(rec.return_data)
    return meta


def encode_transaction(rec: TxRecord, encoding: str) -> dict[str, Any]:
    """Return the getTransaction result of a record in ``encoding`` (json, jsonParsed, base58, base64 or binary)."""
    if encoding == "jsonParsed":
        from localnet.rpc.parsed.transaction import parsed_transaction_json  # it builds on this module

        return {"blockTime": rec.block_time, "slot": rec.slot, **parsed_transaction_json(rec)}
    raw = bytes(rec.tx)
    if encoding == "json":
        transaction: Any = {"message": ui_message(rec.tx), "signatures": [str(s) for s in rec.tx.signatures]}
    elif encoding == "base64":
        transaction = [b64encode(raw), "base64"]
    elif encoding == "base58":
        transaction = [b58encode(raw), "base58"]
    else:
        transaction = b58encode(raw)
    version: Any = 0 if isinstance(rec.tx.message, MessageV0) else "legacy"
    return {"blockTime": rec.block_time, "meta": status_meta(rec), "slot": rec.slot, "transaction": transaction,
            "version": version}


__all__ = ["check_transaction_encoding", "encode_transaction", "status_meta", "ui_message"]
