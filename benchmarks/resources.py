"""The keeper's CPU and memory over a long run at the demo's load (memory must not grow).

``perpkeep run`` (every bot) in a subprocess against the LiteSVM node of ``benchmarks.soak`` (400 ms
slots, 5 s of chain time per slot) carrying the demo's trading: two markets, a market maker, 40
leveraged takers, and a crash-and-recover cycle of the oracle prices every ``--cycle-minutes`` (6), so
that the liquidator, settler and insurance bots keep working the whole run. Unlike the soak there are no
faults, no dropped websockets and no kill: one keeper process, undisturbed, from start to end.

The keeper process's CPU seconds (user + system) and RSS are read from ``/proc`` every ``--sample-s``
(60). Printed: CPU % of one core on average (and per sample interval: min, max), RSS at the start and the
end, and the least-squares RSS growth per hour over all samples and over those after the first
``--warmup-minutes`` (10: imports finish, connection pools and the allocator fill during the first minutes).

One cache fills by design: SQLite's page cache of the journal, capped at
``keepers.execution.journal.PAGE_CACHE_KIB`` and never larger than the journal file. At SQLite's default
cap (2 MiB) it filled for hours at this load (about 150 KiB per 1,000 actions), the growth this
benchmark first measured (3.96 MiB/hour); at 256 KiB it is full within the warm-up. The growth after
the warm-up is printed beside the most the cache can have taken and net of it (the growth that no cap
explains: what must be flat).

Run: python -m benchmarks.resources --minutes 60 [--sample-s 60] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.soak import SoakOptions, run_soak
from keepers.execution.journal import PAGE_CACHE_KIB


def growth_per_hour(samples: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of ``(seconds, value)`` samples, per hour (None: fewer than two distinct
    times). The closed form, in plain floats: no LAPACK call for a two-parameter fit."""
    if len(samples) < 2:
        return None
    n = len(samples)
    t_mean = sum(t for t, _ in samples) / n
    v_mean = sum(v for _, v in samples) / n
    spread = sum((t - t_mean) ** 2 for t, _ in samples)
    if spread == 0:
        return None
    return sum((t - t_mean) * (v - v_mean) for t, v in samples) / spread * 3600.0


def journal_bytes(path: Path) -> int:
    """Size of the SQLite journal at ``path`` with its WAL (0 when absent)."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def resource_figures(samples: list[tuple[float, int, int, float]], warmup_s: float,
                     journal_size: int = 0) -> dict[str, Any]:
    """CPU and RSS figures from ``(s since start, RSS KiB, open files, CPU s)`` samples; ``journal_size``
    (bytes at the end) bounds how much SQLite's page cache can have filled."""
    if len(samples) < 2:
        raise ValueError(f"{len(samples)} samples: too few to measure (run longer or sample more often)")
    (t0, rss0, _, cpu0), (t1, rss1, _, cpu1) = samples[0], samples[-1]
    intervals = [(b[3] - a[3]) / (b[0] - a[0]) * 100 for a, b in zip(samples, samples[1:]) if b[0] > a[0]]
    after = [(t, rss) for t, rss, _, _ in samples if t - t0 >= warmup_s]
    all_growth = growth_per_hour([(t, rss) for t, rss, _, _ in samples])
    late_growth = growth_per_hour(after)
    late_hours = (after[-1][0] - after[0][0]) / 3600 if len(after) >= 2 else 0.0
    cache_kib = min(PAGE_CACHE_KIB, journal_size / 1024)  # the most the page cache can hold at the end
    net = (late_growth - cache_kib / late_hours) if late_growth is not None and late_hours > 0 else None
    return {
        "samples": len(samples), "seconds": round(t1 - t0, 1),
        "cpu_percent_mean": round((cpu1 - cpu0) / (t1 - t0) * 100, 2),
        "cpu_percent_min_max": [round(min(intervals), 2), round(max(intervals), 2)],
        "cpu_seconds": round(cpu1 - cpu0, 1),
        "rss_mib_start_end_max": [round(rss0 / 1024, 1), round(rss1 / 1024, 1), round(max(s[1] for s in samples) / 1024, 1)],
        "rss_growth_mib_per_hour": round(all_growth / 1024, 2) if all_growth is not None else None,
        "rss_growth_mib_per_hour_after_warmup": round(late_growth / 1024, 2) if late_growth is not None else None,
        "warmup_s": warmup_s,
        "journal_mib_end": round(journal_size / 2**20, 2),
        "page_cache_bound_mib": round(cache_kib / 1024, 2),
        # after the warm-up, less all that the page cache can have taken: the growth no cap explains
        "rss_growth_mib_per_hour_after_warmup_net_of_cache": round(net / 1024, 2) if net is not None else None,
        "open_files_start_end": [samples[0][2], samples[-1][2]],
    }


def growth_by_mapping(mappings: list[tuple[float, dict[str, int]]], warmup_s: float) -> dict[str, float | None]:
    """RSS growth in MiB/hour after ``warmup_s`` per kind of mapping (``benchmarks.soak.rss_by_mapping``):
    which part of the process grows, when the total does."""
    late = [(t, m) for t, m in mappings if t >= warmup_s and m]
    kinds = sorted({k for _, m in late for k in m})
    out = {}
    for k in kinds:
        g = growth_per_hour([(t, m.get(k, 0) / 1024) for t, m in late])
        out[k] = None if g is None else round(g, 3)
    return out


def render(r: dict[str, Any], f: dict[str, Any]) -> str:
    """The figures as text."""
    return "\n".join([
        f"keeper resources: {r['seconds']} s, {r['samples']} samples; chain: {f['slots']} slots",
        f"CPU: {r['cpu_percent_mean']}% of one core on average ({r['cpu_seconds']} CPU s); "
        f"per sample interval min {r['cpu_percent_min_max'][0]}%, max {r['cpu_percent_min_max'][1]}%",
        f"RSS MiB (start, end, max): {r['rss_mib_start_end_max']}",
        f"RSS growth (least squares): {r['rss_growth_mib_per_hour']} MiB/hour over all samples, "
        f"{r['rss_growth_mib_per_hour_after_warmup']} MiB/hour after the first {r['warmup_s']:.0f} s",
        f"after the warm-up: {r['rss_growth_mib_per_hour_after_warmup']} MiB/hour; SQLite's page cache (cap "
        f"{PAGE_CACHE_KIB} KiB, journal {r['journal_mib_end']} MiB at the end) can hold at most "
        f"{r['page_cache_bound_mib']} MiB of it; net of that: {r['rss_growth_mib_per_hour_after_warmup_net_of_cache']} "
        "MiB/hour (<= 0: flat)",
        f"RSS growth after the warm-up by kind of mapping, MiB/hour: {r.get('growth_by_mapping')}",
        f"open files (start, end): {r['open_files_start_end']}",
        f"work done: journal {f['journal']}; liquidation episodes {f['liquidation_delay_slots']['episodes']}; "
        f"keeper log {f['keeper_log']}",
        "samples (s, RSS KiB, open files, CPU s): "
        + ", ".join(f"({t:.0f}, {rss}, {fds}, {cpu:.1f})" for t, rss, fds, cpu in f["resource_samples"]),
    ])


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print (and write --json)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--sample-s", type=float, default=60.0, help="seconds between samples of the keeper process")
    p.add_argument("--warmup-minutes", type=float, default=10.0, help="left out of the second growth figure")
    p.add_argument("--cycle-minutes", type=float, default=6.0, help="one crash-and-recover cycle per this many minutes")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, default=None, help="directory for the wallets, config, journal and keeper log")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = p.parse_args(argv)
    figures = run_soak(SoakOptions(minutes=args.minutes, faults_file=None, kill=False, ws_drop_s=None,
                                   cycles=max(1, round(args.minutes / args.cycle_minutes)), seed=args.seed,
                                   out_dir=args.out, sample_every_s=args.sample_s))
    r = resource_figures(figures["resource_samples"], args.warmup_minutes * 60,
                         journal_bytes(Path(figures["out_dir"]) / "journal.sqlite"))
    r["growth_by_mapping"] = growth_by_mapping(figures.get("mapping_samples", []), args.warmup_minutes * 60)
    print(render(r, figures), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps({"resources": r, "run": figures}, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
