"""Compute units per perp-program instruction, measured in LiteSVM; writes benchmarks/compute_units.md.

Every address that feeds a PDA search comes from a fixed seed, so the figures are deterministic and a
test (tests/program/test_compute_unit_table.py) fails when the committed table no longer matches the
program. Run: python -m benchmarks.compute_units [--check]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair

from keepers import instructions as ix
from localnet.bootstrap import QUOTE, LocalExchange, LocalUser, default_market_params, oracle_config
from localnet.build import build_program
from localnet.svm import LocalSvm
from programs_client.perp.types import market_status

TABLE = Path(__file__).with_name("compute_units.md")
FOUNDATION_TARGET = 15_000


@dataclass(frozen=True)
class Row:
    instruction: str
    compute_units: int
    target: int
    note: str = ""


def _kp(n: int) -> Keypair:
    return Keypair.from_seed(bytes([n]) * 32)


def measure(program: bytes) -> list[Row]:
    """Run each instruction once on a fresh chain and return its compute units."""
    svm = LocalSvm(program)
    rows: list[Row] = []

    def run(name: str, ixs, signers, payer=None, note: str = "") -> None:  # noqa: ANN001
        out = svm.send_ok(ixs, signers, payer)
        rows.append(Row(name, out.compute_units, FOUNDATION_TARGET, note))

    admin = _kp(1)
    svm.svm.airdrop(admin.pubkey(), 100 * 10**9)
    mint_authority = _kp(2)
    mint = svm.create_mint(mint_authority.pubkey(), mint=_kp(3))
    run("initialize_exchange", [ix.initialize_exchange(admin.pubkey(), mint)], [admin], admin,
        "one-time; SPL Token InitializeAccount3 costs 4,214 per vault, 3 PDA searches 4,500")
    ex = LocalExchange(svm, admin, mint, mint_authority)
    run("set_paused_operations", [ix.set_paused_operations(admin.pubkey(), 0)], [admin], admin)
    oracle = oracle_config(_kp(10).pubkey(), _kp(11).pubkey())
    params = default_market_params()
    run("initialize_market", [ix.initialize_market(admin.pubkey(), 0, "SOL-PERP", oracle, params)], [admin], admin,
        "one-time per market; creates market, orderbook, event queue; canonical-bump search is 8 x 1,500 for index 0")
    run("update_market_params", [ix.update_market_params(admin.pubkey(), 0, params)], [admin], admin)
    run("update_market_oracle", [ix.update_market_oracle(admin.pubkey(), 0, oracle)], [admin], admin)
    run("set_market_status", [ix.set_market_status(admin.pubkey(), 0, market_status.ReduceOnly())], [admin], admin)

    trader = _kp(20)
    svm.svm.airdrop(trader.pubkey(), 10 * 10**9)
    token_account = svm.token_account(trader.pubkey(), mint)
    svm.mint_to(mint, mint_authority, token_account, 1_000 * QUOTE)
    run("initialize_user", [ix.initialize_user(trader.pubkey(), 0, None)], [trader], trader)
    ex.users.append(LocalUser(trader, token_account, 0, svm.program_id))
    run("set_user_delegate", [ix.set_user_delegate(trader.pubkey(), _kp(21).pubkey())], [trader], trader)
    run("deposit", [ix.deposit(trader.pubkey(), token_account, 500 * QUOTE)], [trader], trader, "includes SPL Token transfer")
    run("withdraw", [ix.withdraw(trader.pubkey(), token_account, 200 * QUOTE)], [trader], trader,
        "includes PDA-signed SPL Token transfer")
    run("transfer_admin", [ix.transfer_admin(admin.pubkey(), _kp(30).pubkey())], [admin], admin)
    vault, total, users = ex.conservation()
    if not vault == total == users:
        raise RuntimeError(f"conservation broken in the benchmark run: {vault} {total} {users}")
    return rows


def render(rows: list[Row]) -> str:
    """Return the markdown table."""
    lines = [
        "# Compute units per instruction",
        "",
        "Measured in LiteSVM by `python -m benchmarks.compute_units` on the program built from this tree;",
        "`tests/program/test_compute_unit_table.py` fails when this table is stale. Figures include CPIs.",
        "",
        "| instruction | compute units | target | within | note |",
        "|---|---:|---:|:---:|---|",
    ]
    for r in rows:
        lines.append(f"| `{r.instruction}` | {r.compute_units:,} | {r.target:,} | {'yes' if r.compute_units <= r.target else 'NO'} | {r.note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write (or with --check, compare) the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if the committed table differs")
    args = p.parse_args(argv)
    text = render(measure(build_program("perp").read_bytes()))
    print(text)
    if args.check:
        if not TABLE.exists() or TABLE.read_text() != text:
            print(f"{TABLE} is stale: run python -m benchmarks.compute_units", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text)
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
