"""Fixtures of the keeper-runtime integration tests: the LiteSVM RPC node (as in the localnet tests)
and an ``RpcChain`` on it, with the node's faults cleared after every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from keepers.chain.rpc import RpcChain
from keepers.config import ClusterConfig
from tests.integration.localnet.conftest import LocalNode, mock_oracle_program, start_node, stop_node

__all__ = ["mock_oracle_program"]  # re-exported: a fixture of tests/integration/localnet


@pytest.fixture(scope="module")
def node(perp_program: bytes, mock_oracle_program: bytes) -> Iterator[LocalNode]:
    """A bootstrapped node shared by the tests of one module."""
    n = start_node(perp_program, mock_oracle_program)
    yield n
    stop_node(n)


@pytest.fixture
def clear_faults(node: LocalNode) -> Iterator[LocalNode]:
    """The node, its fault configuration and any slot stall cleared after the test."""
    yield node
    node.rpc("perpkeep_setFaults", [{}])
    node.rpc("perpkeep_stallSlots", [0])


@pytest.fixture
async def chain(clear_faults: LocalNode) -> AsyncIterator[RpcChain]:
    """An ``RpcChain`` on the node with short backoffs, closed after the test."""
    c = RpcChain(ClusterConfig(rpc_url=clear_faults.rpc_url, ws_url=clear_faults.ws_url, request_timeout_s=5.0, silence_s=3.0), max_backoff_s=0.3)
    yield c
    await c.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    n = getattr(item, "funcargs", {}).get("node")
    if report.failed and isinstance(n, LocalNode):
        report.sections.append(("node log tail", n.log_tail()))
