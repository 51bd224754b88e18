"""A seeded, bounded fuzz run: ``run_fuzz(seed, cases)`` stands up the world, sends ``cases`` attack
cases (the honest world moving on every ``background_every`` cases), checks each, and returns the counts.
The same seed and case count repeat the same run.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from keepers.execution.results import Landed
from localnet.fuzz.cases import Case, generate
from localnet.fuzz.checks import Checker, Violation, outcome_counts
from localnet.fuzz.world import FuzzWorld

BACKGROUND_EVERY = 20


@dataclass
class FuzzReport:
    """The counts of a run."""

    seed: int
    cases: int = 0
    landed: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # IDL error name -> cases
    cpi_refused: Counter[str] = field(default_factory=Counter)  # another program's error (SPL Token) -> cases
    runtime: Counter[str] = field(default_factory=Counter)  # runtime errors other than crashes
    crashes: Counter[str] = field(default_factory=Counter)  # panics, access violations, compute exhaustion
    landed_by_instruction: Counter[str] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    violations: list[Violation] = field(default_factory=list)
    skipped_value_checks: int = 0
    seconds: float = 0.0

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        """The counts as text: cases, landed, refusals per error, runtime failures, violations, rate."""
        lines = [
            f"seed {self.seed}: {self.cases} cases in {self.seconds:.1f} s ({self.cases_per_second:.0f} cases/s)",
            f"  landed {self.landed}, refused by the program {sum(self.refused.values())}, "
            f"refused by SPL Token {sum(self.cpi_refused.values())}, runtime failures {sum(self.runtime.values())}, "
            f"crashes {sum(self.crashes.values())}, violations {len(self.violations)}",
            f"  modes: {dict(sorted(self.modes.items()))}",
            f"  landed by instruction: {dict(self.landed_by_instruction.most_common())}",
            f"  refused per error: {dict(self.refused.most_common())}",
        ]
        if self.cpi_refused:
            lines.append(f"  refused by SPL Token: {dict(self.cpi_refused.most_common())}")
        if self.runtime:
            lines.append(f"  runtime failures: {dict(self.runtime.most_common())}")
        if self.crashes:
            lines.append(f"  crashes: {dict(self.crashes.most_common())}")
        lines.append(f"  value checks skipped (funding or a socialised loss moved): {self.skipped_value_checks}")
        by_check = Counter(v.check for v in self.violations)
        if by_check:
            lines.append(f"  violations per check: {dict(by_check.most_common())}")
        for v in self.violations[:20]:
            lines.append(f"  case {v.case} [{v.label}] {v.check}: {v.detail}")
        return "\n".join(lines)


def run_fuzz(seed: int, cases: int, *, perp_program: bytes | None = None, background_every: int = BACKGROUND_EVERY,
             progress: Callable[[FuzzReport], None] | None = None, progress_every: int = 500) -> FuzzReport:
    """Send ``cases`` attack cases from ``seed`` and check each; ``progress`` is called every ``progress_every``."""
    if cases < 0:
        raise ValueError(f"the case count must not be negative, got {cases}")
    start = time.perf_counter()
    world = FuzzWorld.create(seed, perp_program)
    rng = random.Random(seed * 7919 + 1)
    checker = Checker(world)
    report = FuzzReport(seed)
    before = world.snapshot()
    for n in range(cases):
        if n and n % background_every == 0:
            world.background()
            before = world.snapshot()
        case: Case = generate(world, before, rng)
        out = world.svm.send(list(case.instructions), case.signers, payer=world.attacker.keypair)
        if isinstance(out, Landed):
            world.note_users([a.pubkey for i in case.instructions for a in i.accounts])
        after = world.snapshot()
        checker.check_case(n, case, out, before, after)
        kind, name = outcome_counts(out)
        report.cases += 1
        report.modes[case.mode] += 1
        if kind == "landed":
            report.landed += 1
            report.landed_by_instruction["+".join(case.names)] += 1
        else:
            {"refused": report.refused, "cpi": report.cpi_refused, "runtime": report.runtime,
             "crash": report.crashes}[kind][name] += 1
        before = after
        if progress is not None and report.cases % progress_every == 0:
            report.seconds = time.perf_counter() - start
            report.violations = checker.violations
            progress(report)
    report.violations = checker.violations
    report.skipped_value_checks = checker.skipped_value_checks
    report.seconds = time.perf_counter() - start
    return report


__all__ = ["BACKGROUND_EVERY", "FuzzReport", "run_fuzz"]
