"""Compute units of the perp program's oracle readers, per layout, measured in LiteSVM.

The oracle probe (tests/fixtures/sbf/oracle_probe.c) links programs/perp/oracle.c and is run on
accounts written by the mock oracle program; each figure is the probe's compute units minus those of
the same probe call without the oracle function (the baseline: input parsing and return data).
Run: python -m benchmarks.oracle_compute_units (prints a Markdown table).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from solders.pubkey import Pubkey

from keepers.exchange.oracles import OracleKind
from localnet import mock_oracle as mo
from localnet.bootstrap import default_market_params
from localnet.oracle_lab import OracleLab, build_mock_oracle, build_probe, mock_oracle_config

FEED = hashlib.sha256(b"SOL/USD").digest()
SLOT = 1_000


@dataclass(frozen=True)
class Row:
    what: str
    compute_units: int


def _accounts(lab: OracleLab) -> dict[OracleKind, Pubkey]:
    a = lab.oracle.authority.pubkey()
    accs = {k: lab.oracle.create_account(k) for k in OracleKind if k != OracleKind.NONE}
    lab.oracle.write(mo.write_pyth_legacy_ix(a, accs[OracleKind.PYTH_LEGACY], price=14_325_000_000, conf=7_000_000, exponent=-8))
    lab.oracle.write(mo.write_price_update_v2_ix(a, accs[OracleKind.PYTH_PULL_V2], feed_id=FEED, price=14_325_000_000,
                                                 conf=7_000_000, exponent=-8))
    # a typical aggregator result: 28 decimals, so the division runs its longest common path
    lab.oracle.write(mo.write_switchboard_v2_ix(a, accs[OracleKind.SWITCHBOARD_V2], mantissa=143_25 * 10**26, scale=28,
                                                std_dev_mantissa=7 * 10**25))
    lab.oracle.write(mo.write_switchboard_on_demand_ix(a, accs[OracleKind.SWITCHBOARD_ON_DEMAND], value=14_325 * 10**16,
                                                       std_dev=7 * 10**15))
    return accs


def measure() -> list[Row]:
    """Return the compute units of decoding each layout and of the ladder with one and two sources."""
    lab = OracleLab(build_probe(), build_mock_oracle())
    lab.svm.warp(SLOT)
    accs = _accounts(lab)
    params = default_market_params()
    rows = []
    for kind, acc in accs.items():
        base = lab.baseline(acc).compute_units
        rows.append(Row(f"decode {kind.name}", lab.decode(kind, acc, FEED).compute_units - base))
    for kind, acc in accs.items():
        config = mock_oracle_config(kind, acc, primary_feed_id=FEED)
        r = lab.select(config, params, acc, current_slot=SLOT)
        assert r.rc == 0, (kind, r)
        rows.append(Row(f"select {kind.name} (primary only)", r.compute_units - lab.baseline(acc).compute_units))
    p, f = accs[OracleKind.PYTH_PULL_V2], accs[OracleKind.SWITCHBOARD_ON_DEMAND]
    config = mock_oracle_config(OracleKind.PYTH_PULL_V2, p, OracleKind.SWITCHBOARD_ON_DEMAND, f, primary_feed_id=FEED)
    r = lab.select(config, params, p, f, current_slot=SLOT)
    assert r.rc == 0, r
    rows.append(Row("select PYTH_PULL_V2 + SWITCHBOARD_ON_DEMAND fallback", r.compute_units - lab.baseline(p).compute_units))
    return rows


def render(rows: list[Row]) -> str:
    """Return the rows as a Markdown table."""
    lines = ["| oracle operation | compute units |", "|---|---:|"]
    lines += [f"| {r.what} | {r.compute_units:,} |" for r in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(measure()), end="")
