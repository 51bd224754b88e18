"""The LiteSVM RPC node on free 127.0.0.1 ports, bootstrapped with an exchange, for RPC tests.

The node loads the perp program and the mock oracle; every market reads mock-oracle price accounts
(no price publisher runs unless a test starts one).

The node runs in a background thread with fast slots (50 ms) and shallow commitment depths so
that confirmations take a fraction of a second. Its log is kept in memory and its tail is added to
the report of any failing test that used it.
"""

from __future__ import annotations

import collections
import json
import logging
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from solana.rpc.async_api import AsyncClient

from localnet.deployment import BootstrapPlan, Deployment, RecordingSvm, bootstrap_local
from localnet.rpc import NodeConfig, NodeThread, RpcNode

SLOT_MS = 50
FINALIZED_DEPTH = 4


class _Tail(logging.Handler):
    def __init__(self, size: int = 200) -> None:
        super().__init__(logging.DEBUG)
        self.lines: collections.deque[str] = collections.deque(maxlen=size)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class LocalNode:
    """A running node with its deployment."""

    node: RpcNode
    thread: NodeThread
    deployment: Deployment
    log: _Tail

    @property
    def rpc_url(self) -> str:
        return self.node.rpc_url

    @property
    def ws_url(self) -> str:
        return self.node.ws_url

    def rpc(self, method: str, params: Any = None, timeout_s: float = 5.0) -> dict[str, Any]:
        """Send one JSON-RPC request with urllib and return the decoded reply."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            body["params"] = params
        req = urllib.request.Request(self.rpc_url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return json.loads(resp.read())

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(list(self.log.lines)[-lines:])


@pytest.fixture(scope="session")
def mock_oracle_program() -> bytes:
    """The mock oracle's SBF bytes, built from programs/mock_oracle (cached by source hash)."""
    from localnet.build import build_program

    return Path(build_program("mock_oracle")).read_bytes()


def start_node(perp_program: bytes, mock_oracle: bytes | None = None, plan: BootstrapPlan | None = None,
               **config: Any) -> LocalNode:
    """Start a node bootstrapped with ``plan`` (default: two markets, three users) on free ports (bounded start-up wait)."""
    if mock_oracle is None:
        from localnet.build import build_program

        mock_oracle = Path(build_program("mock_oracle")).read_bytes()
    tail = _Tail()
    logging.getLogger("localnet.rpc").addHandler(tail)
    logging.getLogger("localnet.rpc").setLevel(logging.INFO)
    svm = RecordingSvm(perp_program, mock_oracle=mock_oracle)
    dep = bootstrap_local(svm, plan or BootstrapPlan(markets=("SOL-PERP", "BTC-PERP"), users=3))
    settings: dict[str, Any] = {"rpc_port": 0, "ws_port": 0, "slot_ms": SLOT_MS, "finalized_depth_slots": FINALIZED_DEPTH}
    settings.update(config)
    node = RpcNode(svm, NodeConfig(**settings))
    node.chain.note_addresses(svm.touched | set(dep.addresses()))
    thread = NodeThread(node).start(timeout_s=10.0)
    dep.rpc_url, dep.ws_url = node.rpc_url, node.ws_url
    return LocalNode(node, thread, dep, tail)


def stop_node(n: LocalNode) -> None:
    """Stop the node and detach its log handler."""
    n.thread.stop()
    logging.getLogger("localnet.rpc").removeHandler(n.log)


@pytest.fixture(scope="module")
def local_node(perp_program: bytes, mock_oracle_program: bytes) -> Iterator[LocalNode]:
    """A node shared by the tests of one module."""
    n = start_node(perp_program, mock_oracle_program)
    yield n
    stop_node(n)


@pytest.fixture
async def client(local_node: LocalNode) -> AsyncIterator[AsyncClient]:
    """solana-py's AsyncClient on the module's node."""
    c = AsyncClient(local_node.rpc_url, timeout=10)
    yield c
    await c.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for name in ("local_node", "fresh_node"):
            n = getattr(item, "funcargs", {}).get(name)
            if isinstance(n, LocalNode):
                report.sections.append((f"node log tail ({name})", n.log_tail()))
