"""`perpkeep ops status|approve|reject|cancel|execute` on proposals written into the node's ledger in the
Squads layout (the Squads program itself cannot run here): states, approvals against the threshold, the time
lock, re-simulation before approving and executing, and the refusals the program would also make."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from solders.keypair import Keypair

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import market_pda
from localnet.bootstrap import default_market_params
from tests.integration.localnet.conftest import start_node, stop_node
from tests.integration.ops.conftest import TIME_LOCK, OpsWorld, make_world


@pytest.fixture(scope="module")
def voting(world: OpsWorld) -> Iterator[OpsWorld]:
    """Four transactions: #1 Active with bob's approval, #2 Approved a minute ago, #3 Approved two hours ago,
    #4 Executed; #1-#3 change market 0's initial margin, #4 transfers the admin role."""
    pid = world.node.deployment.program_id
    now = world.now()
    update = [ix.update_market_params(world.vault, 0, default_market_params(initial_margin_bps=1200), pid)]
    world.write_proposal(1, update, "Active", now - 300, ["bob"])
    world.write_proposal(2, update, "Approved", now - 60, ["alice", "bob"])
    world.write_proposal(3, update, "Approved", now - 2 * TIME_LOCK, ["alice", "bob"])
    world.write_proposal(4, [ix.transfer_admin(world.vault, Keypair().pubkey(), pid)], "Executed", now - 100, ["alice", "bob"])
    world.write_multisig(transaction_index=4)
    yield world
    world.write_multisig(transaction_index=0)


def test_status(voting: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = voting.run(capsys, "status")
    assert code == 0
    assert (report["threshold"], report["voters"], report["time_lock"], report["transaction_index"]) == (2, 3, TIME_LOCK, 4)
    rows = {r["index"]: r for r in report["proposals"]}
    assert [r["index"] for r in report["proposals"]] == [4, 3, 2, 1]
    assert (rows[1]["status"], rows[1]["approvals"], rows[1]["threshold"], rows[1]["time_lock_remaining"]) == ("Active", 1, 2, None)
    assert rows[1]["action"] == "updateMarketParams" and rows[4]["action"] == "transferAdmin"
    assert rows[2]["status"] == "Approved" and TIME_LOCK - 120 <= rows[2]["time_lock_remaining"] <= TIME_LOCK - 60
    assert rows[3]["time_lock_remaining"] == 0 and rows[4]["status"] == "Executed"
    assert rows[1]["rejection_cutoff"] == 2  # 3 voters - threshold 2 + 1
    code, report, _ = voting.run(capsys, "status", "--limit", "2")
    assert code == 0 and [r["index"] for r in report["proposals"]] == [4, 3]


def test_status_as_text(voting: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    import perpkeep_cli

    capsys.readouterr()
    assert perpkeep_cli.main(["ops", "status", *voting.argv()[:-1]]) == 0
    text = capsys.readouterr().out
    assert "#1 Active: updateMarketParams; approvals 1/2" in text
    assert "#3 Approved: updateMarketParams; approvals 2/2, rejections 0/2; time lock released" in text
    assert "s remaining" in text.splitlines()[[i for i, line in enumerate(text.splitlines()) if "#2 " in line][0]]


def test_approve_re_runs_the_simulation(voting: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = voting.run(capsys, "approve", "1", "--dry-run")
    assert code == 0, err
    (diff,) = report["simulation"]["diffs"]
    assert diff["address"] == str(market_pda(0, voting.node.deployment.program_id))
    assert {c["field"]: (c["before"], c["after"]) for c in diff["changes"]} == {"params.initial_margin_bps": (1000, 1200)}
    assert report["approvals_after"] == "2 of 2" and report["checklist"]


def test_vote_refusals(voting: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    def refused(*args: str, member: str = "alice") -> str:
        code, report, _ = voting.run(capsys, *args, "--dry-run", member=member)
        assert code == 1
        return report["error"]

    assert "already voted approve" in refused("approve", "1", member="bob")
    assert "is Approved: only an Active proposal" in refused("approve", "2")
    assert "is Active: only an Approved proposal takes a cancel vote" in refused("cancel", "1")
    assert "is not a member" in refused("approve", "1", member="mallory")
    assert "no transaction 9" in refused("approve", "9")
    code, report, _ = voting.run(capsys, "reject", "1", "--dry-run", member="carol")
    assert code == 0 and report["status"] == "Active"
    code, report, _ = voting.run(capsys, "cancel", "3", "--dry-run", member="carol")
    assert code == 0 and report["status"] == "Approved"


def test_execute_waits_for_threshold_and_time_lock(voting: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    def refused(index: str, member: str = "alice") -> str:
        code, report, _ = voting.run(capsys, "execute", index, "--dry-run", member=member)
        assert code == 1
        return report["error"]

    assert "threshold not met (1 of 2 approvals)" in refused("1")
    assert "time lock not released" in refused("2")
    assert "is Executed: only an Approved proposal executes" in refused("4")
    assert "without the Execute permission" in refused("3", member="carol")
    code, report, err = voting.run(capsys, "execute", "3", "--dry-run")
    assert code == 0, err
    assert report["simulation"]["ok"] and report["execute_accounts"] == 4 + 4  # 4 fixed + vault, exchange, market, program


def test_stale_proposals_take_no_votes(voting: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    voting.write_multisig(transaction_index=4, stale=1)
    try:
        code, report, _ = voting.run(capsys, "approve", "1", "--dry-run")
        assert code == 1 and "stale" in report["error"]
        code, report, _ = voting.run(capsys, "status")
        assert {r["index"]: r["stale"] for r in report["proposals"]} == {4: False, 3: False, 2: False, 1: True}
    finally:
        voting.write_multisig(transaction_index=4)


def test_approve_refuses_a_transaction_that_now_fails(voting: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    pid = voting.node.deployment.program_id
    bad = [ix.update_market_params(voting.vault, 0, default_market_params(maintenance_margin_bps=2000), pid)]
    voting.write_proposal(5, bad, "Active", voting.now(), [])
    voting.write_multisig(transaction_index=5)
    try:
        code, report, _ = voting.run(capsys, "approve", "5", "--dry-run")
        assert code == 1 and "the simulation failed with InvalidMarketParams" in report["error"]
    finally:
        voting.write_multisig(transaction_index=4)


@pytest.fixture
def bare_node(perp_program: bytes, mock_oracle_program: bytes) -> Iterator[OpsWorld]:
    """A node without an insurance fund, its admin a vault."""
    n = start_node(perp_program, mock_oracle_program)
    try:
        yield make_world(n, init_insurance=False)
    finally:
        stop_node(n)


def test_initialize_insurance_fund(bare_node: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    from keepers.exchange.pdas import insurance_fund_pda

    code, report, err = bare_node.run(capsys, "propose", "initialize-insurance-fund", "86400", "--dry-run")
    assert code == 0, err
    created = next(d for d in report["simulation"]["diffs"]
                   if d["address"] == str(insurance_fund_pda(bare_node.node.deployment.program_id)))
    assert created["created"] and {c["field"]: c["after"] for c in created["changes"]}["unstake_cooldown_secs"] == 86400


def test_the_rpc_url_from_a_keeper_config(voting: OpsWorld, capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    import json

    import perpkeep_cli

    config = tmp_path / "keeper.toml"
    config.write_text(f'[cluster]\nrpc_url = "{voting.node.rpc_url}"\n\n[keeper]\nkeypair_path = "{tmp_path / "k.json"}"\n')
    capsys.readouterr()
    code = perpkeep_cli.main(["ops", "status", "--config", str(config), "--multisig", str(voting.multisig),
                              "--member", str(voting.members["carol"].pubkey()), "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["transaction_index"] == 4
