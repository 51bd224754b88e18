"""What a keeper does when an action fails: retry it, skip it, or alert a human.

Program errors are named through the generated ``programs_client.perp.error_names.ErrorName`` enum
(never as bare numbers or hand-typed text); runtime errors (a transaction refused before execution) by
their solders names, gathered in ``RuntimeErrorName``. Both are ``StrEnum``s: a member equals its text,
which is what the journal stores and the metrics label.
"""

from __future__ import annotations

import enum
from enum import StrEnum

from solders.transaction_status import TransactionErrorInstructionError

from keepers.chain.base import custom_error_code
from programs_client.perp.error_names import ErrorName as ProgramErrorName
from programs_client.perp.errors import custom as perp_errors


class Verdict(enum.Enum):
    """What to do after a failure."""

    RETRY = "retry"  # a transient condition: try again later with fresh state
    SKIP = "skip"  # the chain moved on (someone else did it, or it is not due): drop this intent
    ALERT = "alert"  # a bug, a misconfiguration or an attack: drop it and tell a human


class RuntimeErrorName(StrEnum):
    """Errors of the Solana runtime the policy knows, by the name solders gives them."""

    AlreadyProcessed = "AlreadyProcessed"
    BlockhashNotFound = "BlockhashNotFound"
    AccountInUse = "AccountInUse"
    WouldExceedMaxBlockCostLimit = "WouldExceedMaxBlockCostLimit"
    WouldExceedMaxAccountCostLimit = "WouldExceedMaxAccountCostLimit"
    ComputationalBudgetExceeded = "ComputationalBudgetExceeded"
    ProgramFailedToComplete = "ProgramFailedToComplete"
    InsufficientFundsForFee = "InsufficientFundsForFee"


ErrorName = ProgramErrorName | RuntimeErrorName
"""A failure's name as the pipeline reports it (``ActionResult.error_name``) and actions expect it."""

_P, _R = ProgramErrorName, RuntimeErrorName

# SKIP: the intent's key names the state it was planned from, so a new state brings a new key.
# MissingMarketAccount: the user gained a position in another market (a fill) after the plan passed
# the markets of the positions it saw.
_SKIP = (
    _P.NotLiquidatable, _P.NoPositionToLiquidate,
    _P.NotBankrupt, _P.OrderNotFound,
    _P.ZeroAmount, _P.MarketNotTradable, _P.MarketNotInSettlement,
    _P.ReduceOnlyViolated, _P.MissingMarketAccount, _P.NothingToPrune,
    _P.TriggerNotFound,  # fired by another keeper, or cancelled by its owner
)
# RETRY: the same intent can succeed later (the chain's clock passes a boundary, a queue drains).
_RETRY = (
    _P.FundingTooEarly, _P.RevenueSettleTooEarly, _P.PricesStale, _P.MarkStale, _P.OracleStale, _P.OracleUnavailable, _P.OracleConfidenceTooWide,
    _P.OracleDivergence, _P.EventQueueNotEmpty, _P.EventQueueFull, _P.MakerNotPassed,
    _P.OrderPriceOutOfBand, _P.OpenInterestLimit, _P.InsufficientMargin,
    _P.InsuranceLimit,
    # a trigger keeper's race with the price: the order stays stored and fires at a later price
    _P.TriggerConditionNotMet, _P.TriggerPriceNotFresh,
)
PROGRAM_POLICY: dict[ProgramErrorName, Verdict] = {
    **{name: Verdict.SKIP for name in _SKIP},
    **{name: Verdict.RETRY for name in _RETRY},
}
RUNTIME_POLICY: dict[RuntimeErrorName, Verdict] = {
    _R.AlreadyProcessed: Verdict.SKIP,
    _R.BlockhashNotFound: Verdict.RETRY,
    _R.AccountInUse: Verdict.RETRY,
    _R.WouldExceedMaxBlockCostLimit: Verdict.RETRY,
    _R.WouldExceedMaxAccountCostLimit: Verdict.RETRY,
    _R.ComputationalBudgetExceeded: Verdict.RETRY,
    _R.ProgramFailedToComplete: Verdict.RETRY,  # out of compute units: the pipeline re-sizes by simulation
    _R.InsufficientFundsForFee: Verdict.ALERT,
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


__all__ = ["PROGRAM_POLICY", "RUNTIME_POLICY", "ErrorName", "ProgramErrorName", "RuntimeErrorName", "Verdict", "classify",
           "error_name"]
