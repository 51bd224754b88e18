"""JSON-RPC error codes and the exception that carries one to the client.

Codes and messages follow the Agave validator (`rpc-client-api/src/custom_error.rs` and
`jsonrpc-core`), so that client libraries classify them as they would a real node's.
"""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

BLOCK_CLEANED_UP = -32001
SEND_TRANSACTION_PREFLIGHT_FAILURE = -32002
TRANSACTION_SIGNATURE_VERIFICATION_FAILURE = -32003
BLOCK_NOT_AVAILABLE = -32004
NODE_UNHEALTHY = -32005
SLOT_SKIPPED = -32007
NO_SNAPSHOT = -32008
LONG_TERM_STORAGE_SLOT_SKIPPED = -32009
TRANSACTION_HISTORY_NOT_AVAILABLE = -32011
UNSUPPORTED_TRANSACTION_VERSION = -32015
MIN_CONTEXT_SLOT_NOT_REACHED = -32016


class RpcError(Exception):
    """An error returned to the client as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        """Return the JSON-RPC ``error`` member."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def invalid_params(message: str) -> RpcError:
    """Return a -32602 error with ``message`` as the node would phrase it."""
    return RpcError(INVALID_PARAMS, message)


def parse_error() -> RpcError:
    """Return the -32700 error for a body that is not JSON."""
    return RpcError(PARSE_ERROR, "Parse error")


def invalid_request(message: str = "Invalid request") -> RpcError:
    """Return a -32600 error (not a JSON-RPC 2.0 request object)."""
    return RpcError(INVALID_REQUEST, message)


def method_not_found() -> RpcError:
    """Return the -32601 error for an unknown method."""
    return RpcError(METHOD_NOT_FOUND, "Method not found")


def signature_verification_failure() -> RpcError:
    """Return the -32003 error for a transaction whose signatures do not verify."""
    return RpcError(TRANSACTION_SIGNATURE_VERIFICATION_FAILURE, "Transaction signature verification failure")


def min_context_slot_not_reached(context_slot: int) -> RpcError:
    """Return the -32016 error for a ``minContextSlot`` the node has not reached."""
    return RpcError(MIN_CONTEXT_SLOT_NOT_REACHED, "Minimum context slot has not been reached", {"contextSlot": context_slot})


def node_unhealthy(num_slots_behind: int | None) -> RpcError:
    """Return the -32005 error of an unhealthy (e.g. stalled) node."""
    message = f"Node is behind by {num_slots_behind} slots" if num_slots_behind is not None else "Node is unhealthy"
    return RpcError(NODE_UNHEALTHY, message, {"numSlotsBehind": num_slots_behind})


def block_cleaned_up(slot: int, first_available: int) -> RpcError:
    """Return the -32001 error for a block pruned from the node's history."""
    return RpcError(BLOCK_CLEANED_UP, f"Block {slot} cleaned up, does not exist on node. First available block: {first_available}")


def block_not_available(slot: int) -> RpcError:
    """Return the -32004 error for a block not (yet) produced at the requested commitment."""
    return RpcError(BLOCK_NOT_AVAILABLE, f"Block not available for slot {slot}")


def slot_skipped(slot: int) -> RpcError:
    """Return the -32007 error for a slot that has no block."""
    return RpcError(SLOT_SKIPPED, f"Slot {slot} was skipped, or missing due to ledger jump to recent snapshot")


def no_snapshot() -> RpcError:
    """Return the -32008 error of a node that has taken no snapshot."""
    return RpcError(NO_SNAPSHOT, "No snapshot")


def unsupported_transaction_version(version: int) -> RpcError:
    """Return the -32015 error for a transaction newer than ``maxSupportedTransactionVersion`` allows."""
    return RpcError(UNSUPPORTED_TRANSACTION_VERSION,
                    f"Transaction version ({version}) is not supported by the requesting client. Please try the request "
                    f'again with the following configuration parameter: "maxSupportedTransactionVersion": {version}')
