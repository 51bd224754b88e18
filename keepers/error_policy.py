"""What a keeper does when an action fails: retry it, skip it, or alert a human.

Program errors are named through the generated ``programs_client.perp.errors`` module (never as bare
numbers); runtime errors (a transaction refused before execution) by their solders names.
"""

from __future__ import annotations

import enum

from solders.transaction_status import TransactionErrorInstructionError

from keepers.chain.base import custom_error_code
from programs_client.perp.errors import custom as perp_errors


class Verdict(enum.Enum):
    """What to do after a failure."""

    RETRY = "retry"  # a transient condition: try again later with fresh state
    SKIP = "skip"  # the chain moved on (someone else did it, or it is not due): drop this intent
    ALERT = "alert"  # a bug, a misconfiguration or an attack: drop it and tell a human


# SKIP: the intent's key names the state it was planned from, so a new state brings a new key.
# MissingMarketAccount: the user gained a position in another market (a fill) after the plan passed
# the markets of the positions it saw.
_SKIP = (
    perp_errors.NotLiquidatable, perp_errors.NoPositionToLiquidate,
    perp_errors.NotBankrupt, perp_errors.OrderNotFound,
    perp_errors.ZeroAmount, perp_errors.MarketNotTradable, perp_errors.MarketNotInSettlement,
    perp_errors.ReduceOnlyViolated, perp_errors.MissingMarketAccount,
)
# RETRY: the same intent can succeed later (the chain's clock passes a boundary, a queue drains).
_RETRY = (
    perp_errors.FundingTooEarly, perp_errors.RevenueSettleTooEarly, perp_errors.PricesStale, perp_errors.OracleStale, perp_errors.OracleUnavailable, perp_errors.OracleConfidenceTooWide,
    perp_errors.OracleDivergence, perp_errors.EventQueueNotEmpty, perp_errors.EventQueueFull, perp_errors.MakerNotPassed,
    perp_errors.OrderPriceOutOfBand, perp_errors.OpenInterestLimit, perp_errors.InsufficientMargin,
    perp_errors.InsuranceLimit,
)
PROGRAM_POLICY: dict[str, Verdict] = {
    **{cls.__name__: Verdict.SKIP for cls in _SKIP},
    **{cls.__name__: Verdict.RETRY for cls in _RETRY},
}
RUNTIME_POLICY: dict[str, Verdict] = {
    "AlreadyProcessed": Verdict.SKIP,
    "BlockhashNotFound": Verdict.RETRY,
    "AccountInUse": Verdict.RETRY,
    "WouldExceedMaxBlockCostLimit": Verdict.RETRY,
    "WouldExceedMaxAccountCostLimit": Verdict.RETRY,
    "ComputationalBudgetExceeded": Verdict.RETRY,
    "ProgramFailedToComplete": Verdict.RETRY,  # out of compute units: the pipeline re-sizes by simulation
    "InsufficientFundsForFee": Verdict.ALERT,
}


def error_name(err: object) -> str:
    """A short name for a transaction error: the IDL name for perp codes, else the runtime's name."""
    code = custom_error_code(err)
    if code is not None:
        known = perp_errors.from_code(code)
        return type(known).__name__ if known is not None else f"Custom({code})"
    if isinstance(err, str):
        return err
    if isinstance(err, dict) and len(err) == 1:
        (name, value), = err.items()
        if name == "InstructionError" and isinstance(value, list) and len(value) == 2:
            inner = value[1]
            return inner if isinstance(inner, str) else next(iter(inner), "InstructionError") if isinstance(inner, dict) else name
        return str(name)
    if isinstance(err, TransactionErrorInstructionError):
        return _solders_name(err.err)
    return _solders_name(err)


def _solders_name(err: object) -> str:
    """``InstructionErrorFieldless.InvalidAccountData`` -> ``InvalidAccountData``; ``TransactionErrorX(...)`` -> ``X``."""
    text = str(err).split("(")[0].split(" ")[0].split(".")[-1]
    for prefix in ("TransactionError", "InstructionError"):
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix):]
    return text or repr(err)


def classify(err: object) -> tuple[str, Verdict]:
    """Return (name, verdict) of a failure: the IDL's and the runtime's policy, ALERT for anything unknown."""
    name = error_name(err)
    return name, PROGRAM_POLICY.get(name) or RUNTIME_POLICY.get(name) or Verdict.ALERT


__all__ = ["PROGRAM_POLICY", "RUNTIME_POLICY", "Verdict", "classify", "error_name"]
