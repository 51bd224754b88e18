"""A longer fuzz run of the exchange program than the suite's: ``python3 -m benchmarks.fuzz --seed S --cases N``.

Stands up the fuzzer's exchange (``localnet.fuzz``) in LiteSVM and sends N attack cases from seed S,
printing progress, then the counts: cases run, landed, refused per error name, runtime failures,
crashes, violations (with the first ones), cases/s. Exits 1 when any violation was found.
"""

from __future__ import annotations

import argparse
import sys

from keepers.cli import non_negative_int, positive_int
from localnet.fuzz.run import BACKGROUND_EVERY, FuzzReport, run_fuzz


def _progress(r: FuzzReport) -> None:
    print(f"  {r.cases} cases, {r.landed} landed, {sum(r.crashes.values())} crashes, {len(r.violations)} violations, "
          f"{r.cases_per_second:.0f} cases/s", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print the counts; 1 when a violation or a crash was found."""
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the run (default 0)")
    parser.add_argument("--cases", type=positive_int, default=2000, help="attack cases to send (default 2000)")
    parser.add_argument("--background-every", type=positive_int, default=BACKGROUND_EVERY,
                        help=f"cases between two honest-world steps (default {BACKGROUND_EVERY})")
    parser.add_argument("--progress-every", type=positive_int, default=500, help="cases between progress lines")
    args = parser.parse_args(argv)
    print(f"fuzzing the perp program: seed {args.seed}, {args.cases} cases", flush=True)
    report = run_fuzz(args.seed, args.cases, background_every=args.background_every, progress=_progress,
                      progress_every=args.progress_every)
    print(report.summary())
    return 1 if report.violations or report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
