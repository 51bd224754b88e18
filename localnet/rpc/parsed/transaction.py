"""A ledger transaction in the ``jsonParsed`` encoding, shared by getTransaction and getBlock.

Shapes follow Agave's ``UiParsedMessage`` (``accountKeys`` as ``{pubkey, signer, source, writable}``
objects, instructions parsed where the program is known) and ``UiTransactionStatusMeta`` built by
``parse_ui_transaction_status_meta``: inner instructions parsed too, ``loadedAddresses`` omitted.
"""

from __future__ import annotations

from typing import Any

from solders.message import MessageV0
from solders.pubkey import Pubkey

from localnet.ledger import TxRecord
from localnet.svm import RESERVED_ACCOUNT_KEYS as _RESERVED
from localnet.rpc.parsed.instructions import BPF_UPGRADEABLE_LOADER_ID, parse_instruction
from localnet.rpc.txjson import status_meta

def account_keys_json(rec: TxRecord) -> list[dict[str, Any]]:
    """``ParsedAccount`` objects: writable as the runtime sees it (reserved keys and called programs demoted)."""
    msg = rec.tx.message
    n_static = len(msg.account_keys)
    signers = msg.header.num_required_signatures
    called = {ix.program_id_index for ix in msg.instructions}
    # A legacy message keeps a called program writable when the upgradeable loader is present.
    demote_called = isinstance(msg, MessageV0) or BPF_UPGRADEABLE_LOADER_ID not in rec.account_keys
    out = []
    for i, (key, writable) in enumerate(zip(rec.account_keys, rec.writable)):
        if key in _RESERVED or (demote_called and i in called):
            writable = False
        out.append({"pubkey": str(key), "signer": i < signers,
                    "source": "transaction" if i < n_static else "lookupTable", "writable": writable})
    return out


def parsed_message(rec: TxRecord) -> dict[str, Any]:
    """Return the ``UiParsedMessage`` JSON of a record's transaction."""
    msg = rec.tx.message
    keys = rec.account_keys
    instructions = [parse_instruction(keys[ix.program_id_index], [keys[a] for a in bytes(ix.accounts)], bytes(ix.data), None)
                    for ix in msg.instructions]
    out: dict[str, Any] = {"accountKeys": account_keys_json(rec), "instructions": instructions,
                           "recentBlockhash": str(msg.recent_blockhash)}
    if isinstance(msg, MessageV0):
        out["addressTableLookups"] = [{"accountKey": str(lk.account_key), "readonlyIndexes": list(bytes(lk.readonly_indexes)),
                                       "writableIndexes": list(bytes(lk.writable_indexes))} for lk in msg.address_table_lookups]
    return out


def parsed_inner_instructions(rec: TxRecord) -> list[dict[str, Any]]:
    """Return the ``UiInnerInstructions`` JSON list with each inner instruction parsed."""
    keys = rec.account_keys
    out = []
    for index, inner in enumerate(rec.inner_instructions):
        if inner:
            parsed = []
            for ii in inner:
                ci = ii.instruction()
                parsed.append(parse_instruction(keys[ci.program_id_index], [keys[a] for a in bytes(ci.accounts)],
                                                bytes(ci.data), ii.stack_height()))
            out.append({"index": index, "instructions": parsed})
    return out


def parsed_transaction_json(rec: TxRecord) -> dict[str, Any]:
    """Return ``{"transaction", "meta", "version"}`` of a record in the jsonParsed encoding.

    This is Agave's ``EncodedTransactionWithStatusMeta`` (an entry of getBlock's ``transactions``);
    getTransaction adds ``slot`` and ``blockTime``. ``version`` is 0 or "legacy"; callers that
    must omit it (no maxSupportedTransactionVersion) delete it.
    """
    meta = status_meta(rec)
    meta["innerInstructions"] = parsed_inner_instructions(rec)
    meta.pop("loadedAddresses", None)
    transaction = {"message": parsed_message(rec), "signatures": [str(s) for s in rec.tx.signatures]}
    return {"meta": meta, "transaction": transaction, "version": 0 if isinstance(rec.tx.message, MessageV0) else "legacy"}


__all__ = ["account_keys_json", "parsed_inner_instructions", "parsed_message", "parsed_transaction_json"]
