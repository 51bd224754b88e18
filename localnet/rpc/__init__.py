"""A LiteSVM-backed Solana JSON-RPC (HTTP) and PubSub (websocket) node.

``RpcNode`` serves the real perp program from LiteSVM through the same wire protocol a validator
speaks, so keeper code is tested on the path it runs in production. Modules: ``config`` (settings),
``chain`` (LiteSVM with slots, blockhashes, history, account index), ``methods`` (JSON-RPC
methods), ``subscriptions`` (PubSub), ``encoding``/``txjson`` (wire shapes), ``faults`` (seeded
fault injection), ``http``/``server`` (transport).
"""

from localnet.rpc.config import ConfigError, FaultConfig, NodeConfig
from localnet.rpc.faults import FaultInjector
from localnet.rpc.server import NodeThread, RpcNode

__all__ = ["ConfigError", "FaultConfig", "FaultInjector", "NodeConfig", "NodeThread", "RpcNode"]
