"""`perpkeep ops propose` against the local node: every admin action is built with the Squads vault as the
admin, simulated on accounts cloned from the node, and its decoded state diff reported; refusals for
failing simulations, bad parameters, non-members and large changes."""

from __future__ import annotations

import base64

import pytest
from solders.keypair import Keypair

from keepers.exchange.pdas import exchange_pda, insurance_fund_pda, insurance_vault_pda, market_pda
from ops import squads
from tests.integration.ops.conftest import INSURANCE_TOKENS, OpsWorld


def _changes(report: dict, address: object) -> dict[str, tuple]:
    for d in report["simulation"]["diffs"]:
        if d["address"] == str(address):
            return {c["field"]: (c["before"], c["after"]) for c in d["changes"]}
    raise AssertionError(f"no diff for {address}: {report['simulation']['diffs']}")


def _propose(world: OpsWorld, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, report, err = world.run(capsys, "propose", *args, "--dry-run")
    assert code == 0, (report, err)
    assert report["simulation"]["ok"] and report["dry_run"]
    return report


def _check_proposal(world: OpsWorld, report: dict, instruction: str) -> None:
    """The proposal's vault transaction carries exactly the simulated instruction, signed by the vault."""
    message = squads.decode_transaction_message(base64.b64decode(report["message"]))
    assert message.account_keys[0] == world.vault and message.num_signers == 1
    assert [i["instruction"] for i in report["instructions"]] == [instruction]
    (inner,) = message.instructions_out()
    assert bytes(inner.data).hex() == report["instructions"][0]["data"]
    assert report["transaction_index"] == 1  # the multisig's transaction_index is 0
    assert any("this vault" in line for line in report["checklist"])


def test_update_market_params(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    report = _propose(world, capsys, "update-market-params", "0", "--set", "initial_margin_bps=1100",
                      "--set", "taker-fee-bps=12")
    _check_proposal(world, report, "updateMarketParams")
    changes = _changes(report, market_pda(0, world.node.deployment.program_id))
    assert changes == {"params.initial_margin_bps": (1000, 1100), "params.taker_fee_bps": (10, 12)}
    assert report["warnings"] == []


def test_update_market_oracle(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    dep = world.node.deployment
    other = dep.markets[1].oracle
    report = _propose(world, capsys, "update-market-oracle", "0", "--set", f"primary={other}")
    _check_proposal(world, report, "updateMarketOracle")
    assert _changes(report, dep.markets[0].address)["oracle.primary"] == (str(dep.markets[0].oracle), str(other))


def test_set_market_status(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    report = _propose(world, capsys, "set-market-status", "0", "ReduceOnly")
    _check_proposal(world, report, "setMarketStatus")
    assert _changes(report, world.node.deployment.markets[0].address) == {"status": ("Active", "ReduceOnly")}


def test_settle_market(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    dep = world.node.deployment
    index_price = dep.markets[1].initial_price
    report = _propose(world, capsys, "settle-market", "1", f"{index_price:.2f}")
    _check_proposal(world, report, "settleMarket")
    changes = _changes(report, dep.markets[1].address)
    assert changes["status"] == ("Active", "Settlement")
    assert changes["settlement_price"] == (0, round(index_price * 100) * 10_000)


def test_withdraw_insurance(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    dep = world.node.deployment
    destination = dep.user_accounts["user-0-tokens"]
    report = _propose(world, capsys, "withdraw-insurance", "400", str(destination))
    _check_proposal(world, report, "adminWithdrawInsurance")
    vault = _changes(report, insurance_vault_pda(dep.program_id))
    assert vault["amount"] == (INSURANCE_TOKENS, INSURANCE_TOKENS - 400 * 10**6)
    before, after = _changes(report, destination)["amount"]
    assert after - before == 400 * 10**6
    fund = _changes(report, insurance_fund_pda(dep.program_id))
    assert fund["total_shares"] == (0, INSURANCE_TOKENS - 400 * 10**6)  # unshared tokens are the protocol's


def test_transfer_admin(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    new_admin = Keypair().pubkey()
    report = _propose(world, capsys, "transfer-admin", str(new_admin))
    _check_proposal(world, report, "transferAdmin")
    assert _changes(report, exchange_pda(world.node.deployment.program_id)) == {"admin": (str(world.vault), str(new_admin))}
    assert any("hands every admin power" in w for w in report["warnings"])


def test_initialize_market(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    dep = world.node.deployment
    oracle = dep.markets[0].oracles.config()
    report = _propose(world, capsys, "initialize-market", "2", "ETH-PERP", "--primary", str(dep.markets[1].oracle),
                      "--primary-program", str(oracle.primary_program), "--primary-kind", oracle.primary_kind.kind,
                      "--params-from", "0", "--set", "max_open_interest=5000000000000")
    _check_proposal(world, report, "initializeMarket")
    created = next(d for d in report["simulation"]["diffs"] if d["address"] == str(market_pda(2, dep.program_id)))
    fields = {c["field"]: c["after"] for c in created["changes"]}
    assert created["created"] and fields["name"] == "ETH-PERP" and fields["market_index"] == 2
    assert fields["params.max_open_interest"] == 5_000_000_000_000
    assert _changes(report, exchange_pda(dep.program_id))["market_count"] == (2, 3)
    vault_lamports = _changes(report, world.vault)["lamports"]
    assert vault_lamports[1] < vault_lamports[0]  # the vault paid the rent


def test_set_paused_operations(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    report = _propose(world, capsys, "set-paused-operations", "3")
    _check_proposal(world, report, "setPausedOperations")
    assert _changes(report, exchange_pda(world.node.deployment.program_id)) == {"paused_operations": (0, 3)}


def test_the_simulation_leaves_the_cluster_unchanged(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    _propose(world, capsys, "set-market-status", "0", "Paused")
    report = _propose(world, capsys, "set-market-status", "0", "ReduceOnly")
    assert _changes(report, world.node.deployment.markets[0].address) == {"status": ("Active", "ReduceOnly")}


# -- refusals -------------------------------------------------------------------------------------------
def _refused(world: OpsWorld, capsys: pytest.CaptureFixture[str], *args: str, member: str = "alice") -> str:
    code, report, err = world.run(capsys, "propose", *args, member=member)
    assert code == 1 and report["ok"] is False
    return report["error"]


def test_refused_when_the_simulation_fails(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    dep = world.node.deployment
    error = _refused(world, capsys, "withdraw-insurance", "5000", str(dep.user_accounts["user-0-tokens"]), "--dry-run")
    assert "the simulation failed with InsuranceLimit" in error
    error = _refused(world, capsys, "initialize-insurance-fund", "0", "--dry-run")
    assert "the simulation failed with AccountAlreadyInitialized" in error


def test_refused_when_the_vault_is_not_the_admin(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    error = _refused(world, capsys, "set-market-status", "0", "Paused", "--vault-index", "1", "--dry-run")
    assert "the simulation failed with Unauthorized" in error


def test_refused_on_parameters_the_program_rejects(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    error = _refused(world, capsys, "update-market-params", "0", "--set", "maintenance_margin_bps=1000", "--dry-run")
    assert "initial_margin_bps must exceed maintenance_margin_bps" in error and "simulation" not in error
    assert "no settable field" in _refused(world, capsys, "update-market-params", "0", "--set", "nonsense=1", "--dry-run")
    assert "next market index is 2" in _refused(
        world, capsys, "initialize-market", "5", "X-PERP", "--primary", str(world.vault), "--primary-program",
        str(world.vault), "--primary-kind", "PythLegacy", "--params-from", "0", "--dry-run")


def test_refused_for_non_members_and_members_without_initiate(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    assert "is not a member" in _refused(world, capsys, "set-market-status", "0", "Paused", "--dry-run", member="mallory")
    assert "without the Initiate permission" in _refused(world, capsys, "set-market-status", "0", "Paused", "--dry-run",
                                                         member="carol")


def test_large_margin_changes_need_acknowledgement(world: OpsWorld, capsys: pytest.CaptureFixture[str]) -> None:
    report = _propose(world, capsys, "update-market-params", "0", "--set", "initial_margin_bps=2000")
    assert report["warnings"] == ["large change: initial_margin_bps moves 1000 -> 2000 (100% of its value)"]
    assert any("acknowledged" in line for line in report["checklist"])
    error = _refused(world, capsys, "update-market-params", "0", "--set", "initial_margin_bps=2000")
    assert "refused without --accept-warnings" in error
    quieter = _propose(world, capsys, "update-market-params", "0", "--set", "initial_margin_bps=2000", "--max-change", "1.5")
    assert quieter["warnings"] == []


def test_sending_reaches_the_cluster(world: OpsWorld, capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    """Without --dry-run the proposal is signed by the member's keypair and sent; the local node has no Squads
    program, so it refuses there (on a real cluster this creates the transaction and proposal accounts)."""
    import json

    import perpkeep_cli

    key = tmp_path / "alice.json"
    key.write_text(json.dumps(list(bytes(world.members["alice"]))))
    key.chmod(0o600)
    world.on_node(world.node.node.chain.svm.airdrop, world.members["alice"].pubkey(), 10**9)
    capsys.readouterr()
    code = perpkeep_cli.main(["ops", "propose", "set-market-status", "0", "Paused", "--rpc-url", world.node.rpc_url,
                              "--multisig", str(world.multisig), "--keypair", str(key), "--json"])
    out = capsys.readouterr()
    error = json.loads(out.out)["error"]
    assert code == 1 and "the cluster refused the transaction" in error, out
    assert "InvalidProgramForExecution" in error  # the Squads program is absent, the rest of the transaction passed
