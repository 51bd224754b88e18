"""In-process transaction rate: a bare LiteSVM loop, the ledger, and ``InProcessChain`` over the ledger.

The same stream of real transactions (deposits of distinct amounts by the exchange's users, signed
beforehand with one blockhash) is sent three ways, each on an exchange bootstrapped the same way:

(a) ``solders.litesvm.LiteSVM.send_transaction`` in a loop (LiteSVM's own signature check on);
(b) ``localnet.ledger.Ledger.execute`` (signature check, history, token balances, listeners);
(c) ``keepers.chain.inprocess.InProcessChain.send`` and ``get_signature_statuses``, as the keepers do.

The ways take turns round by round; prints transactions/s per way, best and median of ``--rounds``
(the best is the least disturbed by other work on the machine), and the best per second of this
process's CPU time (steadier on a shared machine); nothing is asserted.

    python3 -m benchmarks.inprocess_tx [--transactions 1000] [--users 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solders.hash import Hash
from solders.message import MessageV0
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from keepers.exchange import instructions as ix
from keepers.chain.inprocess import InProcessChain
from localnet.build import build_program
from localnet.deployment import BootstrapPlan, Deployment, RecordingSvm, bootstrap_local
from localnet.ledger import Ledger


def _world(users: int) -> tuple[RecordingSvm, Deployment]:
    perp = Path(build_program("perp")).read_bytes()
    mock_oracle = Path(build_program("mock_oracle")).read_bytes()
    svm = RecordingSvm(perp, mock_oracle=mock_oracle)
    dep = bootstrap_local(svm, BootstrapPlan(markets=("SOL-PERP",), users=users))
    return svm, dep


def _make_ledger(svm: RecordingSvm, dep: Deployment) -> Ledger:
    ledger = Ledger(svm)
    ledger.note_addresses(svm.touched | set(dep.addresses()))
    return ledger


def _deposits(dep: Deployment, users: int, count: int, first_amount: int, blockhash: Hash) -> list[VersionedTransaction]:
    """``count`` signed deposits, user after user, each of a distinct amount (so no two are the same transaction)."""
    out = []
    for n in range(count):
        i = n % users
        kp, tokens = dep.wallets[f"user-{i}"], dep.user_accounts[f"user-{i}-tokens"]
        deposit = ix.deposit(kp.pubkey(), tokens, first_amount + n, 0, dep.program_id)
        out.append(VersionedTransaction(MessageV0.try_compile(kp.pubkey(), [deposit], [], blockhash), [kp]))
    return out


@dataclass(frozen=True)
class RoundResult:
    """One round of one way: transactions per second of wall time and of this process's CPU time."""

    wall_rate: float
    cpu_rate: float
    landed: int


Round = Callable[[int], RoundResult]  # round number -> its result


def _timed(count: int, run: Callable[[], int]) -> RoundResult:
    gc.collect()  # garbage of the previous way's round is not charged to this one
    start, cpu_start = time.perf_counter(), time.process_time()
    landed = run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return RoundResult(count / wall, count / max(cpu, 1e-9), landed)


def bare_litesvm(users: int, count: int) -> Round:
    """(a): LiteSVM's ``send_transaction`` in a loop."""
    svm, dep = _world(users)
    raw = svm.svm

    def round_(r: int) -> RoundResult:
        txs = _deposits(dep, users, count, 1 + r * count, raw.latest_blockhash())
        return _timed(count, lambda: sum(not isinstance(raw.send_transaction(tx), FailedTransactionMetadata) for tx in txs))

    return round_


def ledger_direct(users: int, count: int) -> Round:
    """(b): ``Ledger.execute``, one slot per round."""
    svm, dep = _world(users)
    ledger = _make_ledger(svm, dep)

    def round_(r: int) -> RoundResult:
        ledger.advance_slot()
        txs = _deposits(dep, users, count, 1 + r * count, ledger.blockhash_at(ledger.slot).blockhash)

        def run() -> int:
            landed = 0
            for tx in txs:
                record = ledger.execute(tx)
                landed += record is not None and record.err is None
            return landed

        return _timed(count, run)

    return round_


def inprocess_chain(users: int, count: int) -> Round:
    """(c): ``InProcessChain.send`` then ``get_signature_statuses`` for each transaction, one slot per round."""
    svm, dep = _world(users)
    ledger = _make_ledger(svm, dep)
    chain = InProcessChain(ledger)

    async def send_all(txs: list[VersionedTransaction]) -> int:
        landed = 0
        for tx in txs:
            signature = await chain.send(tx)
            (status,) = await chain.get_signature_statuses([signature])
            landed += status is not None and status.err is None
        return landed

    def round_(r: int) -> RoundResult:
        ledger.advance_slot()
        blockhash = asyncio.run(chain.get_latest_blockhash()).blockhash
        txs = _deposits(dep, users, count, 1 + r * count, blockhash)
        return _timed(count, lambda: asyncio.run(send_all(txs)))

    return round_


def _report(name: str, results: list[RoundResult], count: int) -> tuple[float, float]:
    wall = [r.wall_rate for r in results]
    cpu = max(r.cpu_rate for r in results)
    landed = min(r.landed for r in results)
    print(f"{name:<36} {max(wall):>7,.0f} tx/s best, {statistics.median(wall):>7,.0f} median, {cpu:>7,.0f} per CPU-second"
          f"   ({landed}/{count} landed in every round)")
    return max(wall), cpu


def main(argv: list[str] | None = None) -> None:
    """Run the three ways on the same stream of transactions, round after round, and print transactions/s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1000, help="transactions per round")
    parser.add_argument("--users", type=int, default=20, help="depositing users (transactions cycle over them)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    n = args.transactions
    ways = {"(a) LiteSVM.send_transaction loop": bare_litesvm(args.users, n),
            "(b) Ledger.execute": ledger_direct(args.users, n),
            "(c) InProcessChain.send + status": inprocess_chain(args.users, n)}
    results: dict[str, list[RoundResult]] = {name: [] for name in ways}
    for r in range(args.rounds):  # interleaved, so that a busy moment of the machine slows every way alike
        for name, round_ in ways.items():
            results[name].append(round_(r))
    print(f"{n} deposits per round, {args.users} users, {args.rounds} rounds")
    (bare, bare_cpu), (direct, direct_cpu), (chain, chain_cpu) = (_report(name, results[name], n) for name in ways)
    print(f"relative to the bare loop, best wall rate: ledger {direct / bare:.2f}, in-process chain {chain / bare:.2f};"
          f" per CPU-second: ledger {direct_cpu / bare_cpu:.2f}, in-process chain {chain_cpu / bare_cpu:.2f}")


if __name__ == "__main__":
    main()
