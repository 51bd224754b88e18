"""`perpkeep demo`: the exchange program on an embedded LiteSVM chain, end to end.

Builds the program, initialises the exchange and two markets, funds users who deposit and withdraw,
and prints what happened with the conservation check (vault == exchange total == users' collateral + PnL pools). The
keeper issue extends this into the full trading demo with a price crash and every keeper running.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from keepers import instructions as ix
from keepers.instructions import decode_market_name
from keepers.results import Landed
from localnet.bootstrap import QUOTE, LocalExchange
from localnet.build import BuildError, build_program
from localnet.svm import LocalSvm
from programs_client.perp.accounts import Market


def _step(msg: str) -> None:
    print(f"  {msg}", flush=True)


def run_demo(users: int = 4, seed: int = 7) -> int:
    """Run the demo; return the exit status (0 when the conservation check holds)."""
    started = time.monotonic()
    print("perpkeep demo: embedded local chain (LiteSVM), no network")
    try:
        so = build_program("perp")
    except BuildError as e:
        print(f"perpkeep: build failed:\n{e}", file=sys.stderr)
        return 1
    _step(f"built {Path(so).name}: {Path(so).stat().st_size:,} bytes")
    svm = LocalSvm(so)
    ex = LocalExchange.create(svm)
    _step(f"exchange {ex.address} (admin {ex.admin.pubkey()})")
    for name in ("SOL-PERP", "BTC-PERP"):
        index = ex.add_market(name)
        m = svm.decode(Market, ex.market_address(index))
        _step(f"market {index} {decode_market_name(m.name)}: initial margin {m.params.initial_margin_bps / 100:.1f}%, "
              f"maintenance {m.params.maintenance_margin_bps / 100:.1f}%")

    rng = random.Random(seed)
    cu: list[int] = []
    deposits = withdrawals = 0
    for i in range(users):
        u = ex.add_user(tokens=10_000 * QUOTE)
        amount = rng.randrange(1_000, 9_000) * QUOTE
        out = svm.send_ok([ix.deposit(u.authority, u.token_account, amount, program_id=ex.program_id)], [u.keypair], payer=u.keypair)
        cu.append(out.compute_units)
        deposits += amount
        back = rng.randrange(1, amount // QUOTE) * QUOTE
        out = svm.send([ix.withdraw(u.authority, u.token_account, back, program_id=ex.program_id)], [u.keypair], payer=u.keypair)
        if isinstance(out, Landed):
            cu.append(out.compute_units)
            withdrawals += back
        _step(f"user {i}: deposited {amount / QUOTE:,.0f}, withdrew {back / QUOTE:,.0f}")

    vault, total, summed = ex.conservation()
    ok = vault == total == summed
    print("summary")
    _step(f"users {users}, deposits {deposits / QUOTE:,.2f}, withdrawals {withdrawals / QUOTE:,.2f}")
    _step(f"collateral vault {vault / QUOTE:,.6f} | exchange total {total / QUOTE:,.6f} | collateral + PnL pools {summed / QUOTE:,.6f}")
    _step(f"compute units per deposit/withdraw: max {max(cu):,}, mean {sum(cu) // len(cu):,}")
    _step(f"conservation check: {'OK' if ok else 'BROKEN'}  ({time.monotonic() - started:.1f} s)")
    return 0 if ok else 1
