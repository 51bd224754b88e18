"""A LiteSVM-backed Solana JSON-RPC (HTTP) and PubSub (websocket) node.

``RpcNode`` serves the real perp program from LiteSVM through the same wire protocol a validator
speaks, so keeper code is tested on the path it runs in production. The chain itself is
``localnet.ledger.Ledger`` (LiteSVM with slots, blockhashes, history, account index), which returns
typed values; this package is its only JSON edge. Modules: ``config`` (settings), ``methods``
(JSON-RPC methods), ``subscriptions`` (PubSub), ``encoding``/``txjson``/``params`` (wire shapes),
``errors`` (JSON-RPC error codes), ``faults`` (seeded fault injection), ``dispatch``/``server``
(transport).
"""

from localnet.rpc.config import ConfigError, FaultConfig, NodeConfig
from localnet.rpc.faults import FaultInjector
from localnet.rpc.server import NodeThread, RpcNode

__all__ = ["ConfigError", "FaultConfig", "FaultInjector", "NodeConfig", "NodeThread", "RpcNode"]
