"""The bounded fuzzer of the exchange program (``localnet.fuzz``) in the suite: a fixed seed and case count.

Random and mutated instructions generated from the IDL, permuted accounts and unprivileged signers (the
attacker's keys in every signer slot) against an exchange with markets, oracles, an insurance fund, a
victim with positions, orders and a stake, and a maker. After every case: conservation, admin state, the
victim's accounts, the attacker's value and the program's own checks (``localnet.fuzz.checks``).
``python3 -m benchmarks.fuzz --seed S --cases N`` runs the same fuzzer longer.
"""

from __future__ import annotations

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair

from keepers.exchange import instructions as ix
from localnet.fuzz.cases import Case
from localnet.fuzz.checks import Checker
from localnet.fuzz.run import run_fuzz
from localnet.fuzz.world import FuzzWorld
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE

SEED = 12
CASES = 8_000


@pytest.mark.slow
def test_fuzz_run_finds_no_violation(perp_program: bytes, record_property: pytest.RecordProperty) -> None:
    report = run_fuzz(SEED, CASES, perp_program=perp_program)
    print("\n" + report.summary())
    record_property("fuzz_counts", {"cases": report.cases, "landed": report.landed,
                                    "refused": sum(report.refused.values()), "runtime": sum(report.runtime.values()),
                                    "crashes": sum(report.crashes.values()), "violations": len(report.violations)})
    assert report.cases == CASES
    assert report.crashes == {} and report.runtime == {}, report.summary()
    # Items 1, 2 and 8 of issue 12 showed here before their fixes (test_fuzz_findings.py reproduces them).
    assert report.violations == [], report.summary()
    # The run reached the program's checks and its business logic, not only the instruction decoder.
    assert report.landed >= CASES // 20
    for name in ("Unauthorized", "MissingSigner", "InvalidAccountOwner", "InvalidPda", "InvalidDiscriminator",
                 "AccountNotWritable", "NotEnoughAccounts", "UnknownInstruction", "InvalidInstructionData"):
        assert report.refused[name] > 0, f"no case was refused with {name}:\n{report.summary()}"
    for name in ("placeOrder", "withdraw", "consumeEvents", "updatePrices", "settlePnl"):
        assert report.landed_by_instruction[name] > 0, f"{name} never landed:\n{report.summary()}"


def _case(label: str, instr: Instruction, signer: Keypair) -> Case:
    return Case("canary", (label,), (instr,), (signer,), label)


def test_the_checks_see_what_an_exploit_would_do(perp_program: bytes) -> None:
    """Each check fires on the state change it guards against (made here by the privileged keys)."""
    w = FuzzWorld.create(SEED, perp_program)
    checker = Checker(w)
    svm, pid = w.svm, w.svm.program_id

    def apply(label: str, instr: Instruction, signer: Keypair) -> None:
        before = w.snapshot()
        out = svm.send([instr], [signer], payer=signer)
        assert out.ok, out
        checker.check_case(len(checker.violations), _case(label, instr, signer), out, before, w.snapshot())

    apply("setPausedOperations", ix.set_paused_operations(w.ex.admin.pubkey(), 1, pid), w.ex.admin)
    assert [v.check for v in checker.violations] == ["admin state changed"]
    apply("setPausedOperations", ix.set_paused_operations(w.ex.admin.pubkey(), 0, pid), w.ex.admin)

    checker.violations.clear()
    apply("cancelAllOrders", ix.cancel_all_orders(w.victim.authority, w.victim.address, 0, pid), w.victim.keypair)
    assert {v.check for v in checker.violations} == {"victim order cancelled"}

    checker.violations.clear()
    apply("withdraw", ix.withdraw(w.victim.authority, w.victim.token_account, 1_000 * QUOTE, 0, pid,
                                  [m.market for m in w.markets], [m.orderbook for m in w.markets]), w.victim.keypair)
    assert {v.check for v in checker.violations} == {"victim value down"}

    checker.violations.clear()
    before = w.snapshot()
    svm.mint_to(w.ex.mint, w.ex.mint_authority, w.ex.collateral_vault, 1)  # one unit nobody's claim covers
    settle = ix.settle_pnl(w.attacker.address, 0, pid)
    out = svm.send([settle], [w.attacker.keypair], payer=w.attacker.keypair)
    checker.check_case(0, _case("settlePnl", settle, w.attacker.keypair), out, before, w.snapshot())
    assert "conservation" in {v.check for v in checker.violations}
