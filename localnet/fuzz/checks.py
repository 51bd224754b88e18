"""What must hold after every attack case, and how a failed transaction is classified.

``check_case`` compares the snapshots before and after one attacker-signed transaction:

- conservation: collateral vault == Exchange.totalCollateral == sum of users' collateral + PnL pools; the
  insurance vault only shrinks through a resolved bankruptcy or the attacker's own stake removal (paid
  to its wallet, at most its stake's value);
- admin state: the Exchange's admin, mint, vaults, market count and pause flags, every Market's oracle,
  parameters, name, status and settlement price, the InsuranceFund's cooldown: unchanged (the attacker
  never holds the admin key);
- victim: its margin account's authority and delegate, its stake account's bytes, its token balance and
  stake value (no bankruptcy) unchanged or up, none of its orders cancelled, its value at the oracle
  price (funding and queued fills included) not down by more than rounding;
- attacker: the value of the attacker's and the accomplice's wallets, margin accounts (at the oracle)
  and stakes together grows at most by what its fills against others and its liquidations gained at the
  oracle price; no attacker account is pushed to (or further below) negative equity at the mark: bad debt,
  named by its cause (a liquidation, a maker fill, a reduce-only or other taker fill), since the
  accomplice holds the other side of it and ``resolve_bankruptcy`` makes the insurance fund or the market
  pay it; a landed liquidation's target was below maintenance by the margin mirror before;
- the program's checks: a landed transaction never passed a forged account (a copy under another owner,
  a short one, a missing one) in a declared position, nor a declared signer that did not sign;
- no runtime failure: a panic, an access violation or compute exhaustion is a violation.

Cases where funding or a socialised loss moved a market's cumulative funding skip the two value checks
(counted), since every position's value moves with it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from anchorpy.coder.event import EventCoder
from anchorpy_core.idl import Idl
from solders.pubkey import Pubkey
from solders.transaction_status import TransactionErrorInstructionError

from keepers.exchange import margin as mirror
from keepers.execution.results import Failed, Landed, Outcome
from localnet.codegen import REPO_ROOT
from localnet.fuzz.cases import Case
from localnet.fuzz.idl_model import BY_NAME, error_name
from localnet.fuzz.world import MARKETS, FuzzWorld, Snapshot, is_bid
from programs_client.perp.constants import BASE_PRECISION as BASE

_EVENT_CODER = EventCoder(Idl.from_json((REPO_ROOT / "idl" / "perp.json").read_text()))
_PROGRAM_DATA = "Program data: "
_CRASH_MARKERS = ("Access violation", "panicked", "exceeded CUs", "ComputationalBudgetExceeded",
                  "ProgramFailedToComplete", "ProgramFailedToCompile", "stack", "Unsupported")
FORGED = ("victim_user_system_owned", "market_foreign_owned", "exchange_attacker_owned", "user_short",
          "nonexistent")


@dataclass(frozen=True)
class Violation:
    """A broken property: the case number, its label, which check and what was seen."""

    case: int
    label: str
    check: str
    detail: str


def decode_events(logs: list[str]) -> list[tuple[str, Any]]:
    """The program's events in the logs, as (name, decoded fields)."""
    out = []
    for line in logs:
        if line.startswith(_PROGRAM_DATA):
            try:
                ev = _EVENT_CODER.parse(base64.b64decode(line[len(_PROGRAM_DATA):]))
            except Exception:  # noqa: BLE001 - another program's data line
                ev = None
            if ev is not None:
                out.append((ev.name, ev.data))
    return out


def classify(out: Failed) -> tuple[str, str]:
    """("refused", IDL error name), ("cpi", the other program's error) or ("runtime"/"crash", the error)."""
    code = out.custom_code
    if code is not None:
        name = error_name(code)
        if name is not None:
            return "refused", name
        return "cpi", f"Custom({code}) of {_failed_program(out.logs)}"
    text = "\n".join(out.logs) + " " + str(out.error)
    err = out.error.err if isinstance(out.error, TransactionErrorInstructionError) else out.error
    label = str(err).split("(")[0].split(".")[-1] or str(err)
    if any(m in text for m in _CRASH_MARKERS):
        return "crash", label
    return "runtime", label


def _failed_program(logs: list[str]) -> str:
    for line in reversed(logs):
        if line.startswith("Program ") and " failed" in line:
            return line.split()[1][:8]
    return "?"


def _admin_view(s: Snapshot) -> list[str]:
    e = s.exchange
    out = [repr((e.admin, e.collateral_mint, e.collateral_vault, e.insurance_vault, e.market_count,
                 e.paused_operations)), repr(s.fund.unstake_cooldown_secs)]
    for m in s.markets:
        out.append(repr((m.oracle, m.params, list(m.name), m.status, m.settlement_price, m.orderbook, m.event_queue)))
    return out


def _funding_moved(b: Snapshot, a: Snapshot) -> bool:
    return any((mb.cumulative_funding_long, mb.cumulative_funding_short) != (ma.cumulative_funding_long,
               ma.cumulative_funding_short) for mb, ma in zip(b.markets, a.markets))


def _equity_at_mark(s: Snapshot, user: Pubkey) -> int:
    u = s.users[user]
    return mirror.compute_margin(u.collateral, [mirror.Position.from_account(p) for p in u.positions],
                                 s.states()).equity


_REDUCE_ONLY_AT = 8 + 8 + 8 + 8 + 1 + 1  # placeOrder data: discriminator, price, base, client id, side, type


def _bad_debt_cause(user: Pubkey, case: Case, evs: list, equity_before: int) -> str:
    """What pushed ``user`` below zero: a liquidation, its maker fill, its reduce-only or other taker fill."""
    if any(name == "LiquidationEvent" and e.user == user for name, e in evs):
        return "a liquidation of an account below zero" if equity_before < 0 else "a liquidation"
    if any(name == "MakerFillApplied" and e.maker == user for name, e in evs):
        return "a maker fill"
    if any(name == "FillEvent" and e.taker == user for name, e in evs):
        place = BY_NAME["placeOrder"]
        reduce_only = any(
            name == "placeOrder" and i.data[:8] == place.discriminator and len(i.accounts) > 1
            and i.accounts[1].pubkey == user and len(i.data) > _REDUCE_ONLY_AT and i.data[_REDUCE_ONLY_AT]
            for name, i in zip(case.names, case.instructions))
        return "a reduce-only fill" if reduce_only else "a taker fill"
    return "another change"


class Checker:
    """Runs the checks of one world and collects counts and violations."""

    def __init__(self, world: FuzzWorld) -> None:
        self.w = world
        self.violations: list[Violation] = []
        self.skipped_value_checks = 0

    def _fail(self, n: int, case: Case, check: str, detail: str) -> None:
        self.violations.append(Violation(n, case.label, check, detail))

    def conservation(self, n: int, case: Case, s: Snapshot) -> None:
        """Collateral vault == exchange total == claims (every known user's collateral + PnL pools)."""
        claims = sum(u.collateral for u in s.users.values()) + sum(m.pnl_pool for m in s.markets)
        if not s.vault == s.exchange.total_collateral == claims:
            self._fail(n, case, "conservation",
                       f"vault {s.vault}, exchange total {s.exchange.total_collateral}, claims {claims}")

    def check_case(self, n: int, case: Case, out: Outcome, b: Snapshot, a: Snapshot) -> None:
        """Every check of the module docstring for the case ``n`` that took ``b`` to ``a``."""
        self.conservation(n, case, a)
        if isinstance(out, Failed):
            kind, name = classify(out)
            if kind == "crash":
                self._fail(n, case, "runtime failure", f"{name}: " + " | ".join(out.logs[-4:]))
            if (a.vault, a.insurance, a.wallets) != (b.vault, b.insurance, b.wallets) or _admin_view(a) != _admin_view(b):
                self._fail(n, case, "failed transaction changed state", name)
            return
        assert isinstance(out, Landed)
        evs = decode_events(out.logs)
        names = {e for e, _ in evs}
        if _admin_view(a) != _admin_view(b):
            changed = [i for i, (x, y) in enumerate(zip(_admin_view(b), _admin_view(a))) if x != y]
            self._fail(n, case, "admin state changed", f"parts {changed} (0: exchange, 1: fund, 2+: markets)")
        self._program_checks(n, case)
        self._insurance(n, case, b, a, names)
        self._victim(n, case, b, a, evs, names)
        self._attacker(n, case, b, a, evs, names)

    def _program_checks(self, n: int, case: Case) -> None:
        forged = {self.w.fakes[k]: k for k in FORGED}
        signed = {k.pubkey() for k in case.signers} | {self.w.attacker.authority}
        for name, instr in zip(case.names, case.instructions):
            declared = BY_NAME[name].accounts
            if instr.data[:8] != BY_NAME[name].discriminator:
                continue  # the data named another instruction: its accounts are another list
            for meta, acc in zip(instr.accounts, declared):
                if meta.pubkey in forged:
                    self._fail(n, case, "forged account accepted", f"{name}.{acc.name} = {forged[meta.pubkey]}")
                if acc.signer and meta.pubkey not in signed:
                    self._fail(n, case, "missing signer accepted", f"{name}.{acc.name} = {meta.pubkey}")

    def _insurance(self, n: int, case: Case, b: Snapshot, a: Snapshot, names: set[str]) -> None:
        drop = b.insurance - a.insurance
        if drop <= 0 or "BankruptcyResolved" in names:
            return
        w = self.w
        keys = (w.attacker, w.accomplice)
        paid = sum(a.wallets[k.token_account] - b.wallets[k.token_account] for k in keys)
        entitled = sum(b.stake_value(k.authority) for k in keys)
        if "removeInsuranceStake" not in case.names or drop > entitled or paid < drop:
            self._fail(n, case, "insurance vault drained",
                       f"vault down {drop}; attacker wallets up {paid}; its stakes were worth {entitled}")

    def _victim(self, n: int, case: Case, b: Snapshot, a: Snapshot, evs: list, names: set[str]) -> None:
        w, v = self.w, self.w.victim
        ub, ua = b.users[v.address], a.users[v.address]
        if (ub.authority, ub.delegate) != (ua.authority, ua.delegate):
            self._fail(n, case, "victim account taken over", f"authority/delegate {ua.authority}/{ua.delegate}")
        if b.stake_raw[v.authority] != a.stake_raw[v.authority]:
            self._fail(n, case, "victim stake changed", "InsuranceStake bytes differ")
        if a.wallets[v.token_account] < b.wallets[v.token_account]:
            self._fail(n, case, "victim tokens taken",
                       f"{b.wallets[v.token_account]} -> {a.wallets[v.token_account]}")
        if "BankruptcyResolved" not in names and a.stake_value(v.authority) < b.stake_value(v.authority):
            self._fail(n, case, "victim stake diluted", f"{b.stake_value(v.authority)} -> {a.stake_value(v.authority)}")
        for name, e in evs:
            if name == "OrderCancelled" and e.user == v.address:
                self._fail(n, case, "victim order cancelled", f"order {e.order_id} in market {e.market_index}")
        if _funding_moved(b, a):
            self.skipped_value_checks += 1
            return
        before, after = w.account_value(b, v.address), w.account_value(a, v.address)
        fills = sum(1 for name, _ in evs if name in ("FillEvent", "MakerFillApplied", "LiquidationEvent"))
        tol = 2 * fills + sum(1 for p in ub.positions if p.base_amount)
        if after < before - tol:
            self._fail(n, case, "victim value down", f"{before} -> {after} at the oracle ({after - before})")

    def _attacker(self, n: int, case: Case, b: Snapshot, a: Snapshot, evs: list, names: set[str]) -> None:
        w = self.w
        mine = set(w.attacker_users(a))
        for u in mine:
            if u in b.users and not _funding_moved(b, a):
                eb, ea = _equity_at_mark(b, u), _equity_at_mark(a, u)
                if ea < 0 and ea < eb:
                    self._fail(n, case, f"attacker account left in bad debt by {_bad_debt_cause(u, case, evs, eb)}",
                               f"{u}: equity at mark {eb} -> {ea}")
        allowed, fills = 0, 0
        prices = w.oracle_prices
        for name, e in evs:
            if name == "FillEvent":
                fills += 1
                price, base, oracle = e.price, e.base_amount, prices[e.market_index]
                taker_bid = is_bid(e.taker_side)
                taker_gain = ((oracle - price) if taker_bid else (price - oracle)) * base // BASE
                if e.taker in mine and e.maker not in mine:
                    allowed += max(0, taker_gain)
                elif e.maker in mine and e.taker not in mine:
                    rebate = base * price // BASE * MARKETS[e.market_index][2].maker_rebate_bps // 10_000 + 1
                    allowed += max(0, -taker_gain) + rebate
            elif name == "LiquidationEvent" and e.liquidator in mine:
                fills += 1
                if e.user in b.users and not mirror.compute_margin(
                        b.users[e.user].collateral,
                        [mirror.Position.from_account(p) for p in b.users[e.user].positions], b.states()).liquidatable:
                    self._fail(n, case, "healthy account liquidated",
                               f"{e.user} by {e.liquidator}: mirror says not liquidatable at the mark")
                oracle = prices[e.market_index]
                user_long = is_bid(e.user_side)
                gain = ((oracle - e.liquidator_price) if user_long else (e.liquidator_price - oracle)) * e.base_amount
                allowed += max(0, gain // BASE)
        if _funding_moved(b, a) or names & {"RevenueSettled", "BankruptcyResolved"}:
            self.skipped_value_checks += 1
            return

        def total(s: Snapshot) -> int:
            keys = (w.attacker, w.accomplice)
            return (sum(s.wallets[k.token_account] + s.stake_value(k.authority) for k in keys)
                    + sum(w.account_value(s, u) for u in w.attacker_users(s) if u in s.users))

        gain = total(a) - total(b)
        tol = 2 * fills + 2 * len(mine) + 2
        if gain > allowed + tol:
            self._fail(n, case, "attacker value up", f"gained {gain} at the oracle, fills allow {allowed}")


def outcome_counts(out: Outcome) -> tuple[str, str]:
    """("landed", "") or the classification of a failure."""
    return ("landed", "") if isinstance(out, Landed) else classify(out)


__all__ = ["Checker", "FORGED", "Violation", "classify", "decode_events", "outcome_counts"]
