"""Every admin instruction of the exchange as a proposable action: its arguments, its guard rails, and the
instructions it puts in the vault transaction (the vault as the admin signer).

An action reads what it needs from the cluster (the market's current parameters, the exchange) through
``Chain`` and returns a ``Plan``: the instructions, a one-line summary per argument, warnings, and
refusals (rules of the program the arguments break), which stop a proposal before it is simulated.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from keepers.exchange import instructions as perp_ix
from keepers.exchange.pdas import exchange_pda, market_pda
from ops import params as guard
from ops.chain import Chain, OpsError
from programs_client.perp.accounts import Exchange, Market
from programs_client.perp.types import market_status, oracle_kind
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig

QUOTE_DECIMALS = 6  # COLLATERAL_DECIMALS and PRICE_DECIMALS of idl/perp.json


@dataclass
class Context:
    """What an action builds against."""

    chain: Chain
    vault: Pubkey
    program_id: Pubkey
    max_change: float = guard.DEFAULT_MAX_CHANGE


@dataclass
class Plan:
    """An action's instructions and what a reviewer should read about them."""

    action: str
    ixs: list[Instruction]
    summary: list[str]
    warnings: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # action-specific approver checklist lines


@dataclass(frozen=True)
class Action:
    """A proposable admin action."""

    name: str
    instruction: str  # the perp instruction it wraps
    help: str
    add_args: Callable[[argparse.ArgumentParser], None]
    build: Callable[[Context, argparse.Namespace], Plan]


def quote_units(text: str) -> int:
    """A decimal amount or price of quote ("101.25") in base units (1e6)."""
    try:
        value = Decimal(text) * 10 ** QUOTE_DECIMALS
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal number: {text!r}") from None
    if value != value.to_integral_value() or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative or finer than {QUOTE_DECIMALS} decimals")
    return int(value)


def pubkey(text: str) -> Pubkey:
    try:
        return Pubkey.from_string(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a base58 public key: {text!r}") from None


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE, got {text!r}")
    return name.strip().replace("-", "_"), value.strip()


def _enum_value(module: Any, name: str) -> Any:
    try:
        return module.from_json({"kind": name})
    except ValueError:
        raise OpsError(f"unknown {module.__name__.rsplit('.', 1)[-1]} {name!r}") from None


def apply_settings(current: Any, settings: list[tuple[str, str]]) -> Any:
    """``current`` (a generated struct) with ``FIELD=VALUE`` settings applied, each parsed as the field's type."""
    names = {f.name for f in dataclasses.fields(current)}
    changes: dict[str, Any] = {}
    for name, text in settings:
        if name not in names or name == "padding":
            raise OpsError(f"{type(current).__name__} has no settable field {name!r} (fields: {', '.join(sorted(names - {'padding'}))})")
        old = getattr(current, name)
        try:
            if isinstance(old, Pubkey):
                changes[name] = Pubkey.from_string(text)
            elif isinstance(old, list):
                raw = bytes.fromhex(text)
                if len(raw) != len(old):
                    raise ValueError(f"needs {len(old)} bytes")
                changes[name] = list(raw)
            elif isinstance(old, int):
                changes[name] = int(text, 0)
            else:  # an enum variant
                changes[name] = _enum_value(oracle_kind, text)
        except ValueError as e:
            raise OpsError(f"{name}={text!r}: {e}") from None
    return dataclasses.replace(current, **changes)


def _market(ctx: Context, index: int) -> Market:
    acc = ctx.chain.account(market_pda(index, ctx.program_id))
    if acc is None or acc.owner != ctx.program_id:
        raise OpsError(f"market {index} does not exist on this cluster")
    return Market.decode(bytes(acc.data))


def exchange(ctx: Context) -> Exchange:
    """The exchange account (OpsError when the program has none on this cluster)."""
    acc = ctx.chain.account(exchange_pda(ctx.program_id))
    if acc is None or acc.owner != ctx.program_id:
        raise OpsError(f"no exchange account for program {ctx.program_id} on this cluster")
    return Exchange.decode(bytes(acc.data))


def _market_label(m: Market, index: int) -> str:
    return f"market {index} ({bytes(m.name).rstrip(bytes(1)).decode('ascii', 'replace')})"


def _param_diff(before: MarketParams, after: MarketParams) -> list[str]:
    return [f"{f.name}: {getattr(before, f.name)} -> {getattr(after, f.name)}"
            for f in dataclasses.fields(MarketParams) if getattr(before, f.name) != getattr(after, f.name)]


# -- the actions -----------------------------------------------------------------------------------------
def _add_market(p: argparse.ArgumentParser) -> None:
    p.add_argument("market", type=int, help="market index")


def _add_settings(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--set", dest="settings", action="append", type=_setting, default=[], metavar="FIELD=VALUE",
                   help=f"a {what} field to change (repeatable; integers, base58 keys, hex bytes, enum names)")


def _build_update_params(ctx: Context, a: argparse.Namespace) -> Plan:
    m = _market(ctx, a.market)
    if not a.settings:
        raise OpsError("nothing to change: give --set FIELD=VALUE")
    new = apply_settings(m.params, a.settings)
    plan = Plan("update-market-params", [perp_ix.update_market_params(ctx.vault, a.market, new, ctx.program_id)],
                [_market_label(m, a.market)] + _param_diff(m.params, new))
    plan.refusals = guard.market_params_errors(new)
    plan.warnings = [f"large change: {c}" for c in guard.large_changes(m.params, new, ctx.max_change)]
    plan.checks = [f"the new parameters apply at once to every open position of {_market_label(m, a.market)}: "
                   "margin changes can make accounts liquidatable"]
    return plan


def _build_update_oracle(ctx: Context, a: argparse.Namespace) -> Plan:
    m = _market(ctx, a.market)
    if not a.settings:
        raise OpsError("nothing to change: give --set FIELD=VALUE")
    new = apply_settings(m.oracle, a.settings)
    changed = [f"{f.name}: {getattr(m.oracle, f.name)} -> {getattr(new, f.name)}"
               for f in dataclasses.fields(OracleConfig) if getattr(m.oracle, f.name) != getattr(new, f.name)]
    plan = Plan("update-market-oracle", [perp_ix.update_market_oracle(ctx.vault, a.market, new, ctx.program_id)],
                [_market_label(m, a.market)] + changed)
    plan.refusals = guard.oracle_config_errors(new)
    plan.checks = ["the new price accounts are the feeds intended for this market (check owner program and feed id)"]
    return plan


_STATUSES = ("Active", "ReduceOnly", "Paused")


def _add_status(p: argparse.ArgumentParser) -> None:
    _add_market(p)
    p.add_argument("status", choices=_STATUSES, help="the new status (Settlement comes only from settle-market)")


def _build_status(ctx: Context, a: argparse.Namespace) -> Plan:
    m = _market(ctx, a.market)
    status = _enum_value(market_status, a.status)
    plan = Plan("set-market-status", [perp_ix.set_market_status(ctx.vault, a.market, status, ctx.program_id)],
                [_market_label(m, a.market), f"status: {type(m.status).__name__} -> {a.status}"])
    if a.status != "Active":
        plan.checks = [f"{a.status} stops new risk in {_market_label(m, a.market)}; keepers and market makers are told"]
    return plan


def _add_settle(p: argparse.ArgumentParser) -> None:
    _add_market(p)
    p.add_argument("price", type=quote_units, help="settlement price in quote (e.g. 101.25)")


def _build_settle(ctx: Context, a: argparse.Namespace) -> Plan:
    m = _market(ctx, a.market)
    plan = Plan("settle-market", [perp_ix.settle_market(ctx.vault, a.market, a.price, ctx.program_id)],
                [_market_label(m, a.market), f"settlement price: {Decimal(a.price) / 10 ** QUOTE_DECIMALS} "
                 f"(index now {Decimal(m.index_price) / 10 ** QUOTE_DECIMALS})"])
    if a.price == 0:
        plan.refusals.append("a settlement price must be positive")
    elif m.index_price and abs(a.price - m.index_price) / m.index_price > ctx.max_change:
        plan.warnings.append(f"large change: the settlement price is {abs(a.price - m.index_price) / m.index_price:.0%} "
                             "away from the market's index price")
    plan.checks = ["settlement is final: every position closes at this price"]
    return plan


def _add_withdraw(p: argparse.ArgumentParser) -> None:
    p.add_argument("amount", type=quote_units, help="collateral to withdraw, in quote (e.g. 250.5)")
    p.add_argument("destination", type=pubkey, help="the collateral token account that receives it")


def _build_withdraw(ctx: Context, a: argparse.Namespace) -> Plan:
    plan = Plan("withdraw-insurance", [perp_ix.admin_withdraw_insurance(ctx.vault, a.destination, a.amount, ctx.program_id)],
                [f"amount: {Decimal(a.amount) / 10 ** QUOTE_DECIMALS}", f"destination: {a.destination}"])
    if a.amount == 0:
        plan.refusals.append("the amount must be positive")
    plan.checks = [f"the destination {a.destination} is the treasury's token account, not a member's"]
    return plan


def _add_transfer(p: argparse.ArgumentParser) -> None:
    p.add_argument("new_admin", type=pubkey, help="the new admin (e.g. another multisig's vault)")


def _build_transfer(ctx: Context, a: argparse.Namespace) -> Plan:
    ex = exchange(ctx)
    plan = Plan("transfer-admin", [perp_ix.transfer_admin(ctx.vault, a.new_admin, ctx.program_id)],
                [f"admin: {ex.admin} -> {a.new_admin}"])
    if a.new_admin == Pubkey.default():
        plan.refusals.append("the new admin is the zero key: nobody could ever sign as admin again")
    plan.warnings.append("transfer-admin hands every admin power to the new key; this multisig loses it")
    plan.checks = [f"{a.new_admin} is controlled as intended (a multisig vault: check its members and threshold)"]
    return plan


def _add_init_market(p: argparse.ArgumentParser) -> None:
    p.add_argument("market", type=int, help="the new market's index (the exchange's market count)")
    p.add_argument("name", help="market name, e.g. ETH-PERP")
    p.add_argument("--primary", type=pubkey, required=True, help="primary price account")
    p.add_argument("--primary-program", type=pubkey, required=True, help="program that owns the primary price account")
    p.add_argument("--primary-kind", required=True, help="PythLegacy, PythPullV2, SwitchboardV2, SwitchboardOnDemand")
    p.add_argument("--primary-feed-id", default="00" * 32, help="hex feed id (PythPullV2 only)")
    p.add_argument("--params-from", type=int, required=True, metavar="MARKET",
                   help="start from this existing market's parameters")
    _add_settings(p, "MarketParams")


def _build_init_market(ctx: Context, a: argparse.Namespace) -> Plan:
    source = _market(ctx, a.params_from)
    params = apply_settings(source.params, a.settings)
    try:
        feed = list(bytes.fromhex(a.primary_feed_id))
    except ValueError:
        raise OpsError("--primary-feed-id must be hex") from None
    oracle = OracleConfig(primary=a.primary, primary_program=a.primary_program, primary_feed_id=feed,
                          fallback=Pubkey.default(), fallback_program=Pubkey.default(), fallback_feed_id=[0] * 32,
                          primary_kind=_enum_value(oracle_kind, a.primary_kind), fallback_kind=oracle_kind.None_(),
                          padding=[0] * 6)
    plan = Plan("initialize-market",
                [perp_ix.initialize_market(ctx.vault, a.market, a.name, oracle, params, ctx.program_id)],
                [f"market {a.market} ({a.name})", f"primary oracle: {a.primary} ({a.primary_kind})",
                 f"parameters from {_market_label(source, a.params_from)}"] + _param_diff(source.params, params))
    plan.refusals = guard.market_name_errors(a.name) + guard.market_params_errors(params) + guard.oracle_config_errors(oracle)
    ex = exchange(ctx)
    if a.market != ex.market_count:
        plan.refusals.append(f"the next market index is {ex.market_count}, not {a.market}")
    plan.checks = ["the vault pays the rent of the market, order book and event queue accounts"]
    return plan


def _add_paused(p: argparse.ArgumentParser) -> None:
    p.add_argument("flags", type=int, help="paused operations bit mask (1 deposits, 2 withdrawals; 0 resumes all)")


def _build_paused(ctx: Context, a: argparse.Namespace) -> Plan:
    ex = exchange(ctx)
    plan = Plan("set-paused-operations", [perp_ix.set_paused_operations(ctx.vault, a.flags, ctx.program_id)],
                [f"paused operations: {ex.paused_operations} -> {a.flags}"])
    if a.flags < 0 or a.flags > 0xFFFF:
        plan.refusals.append("the flags are a u16")
    plan.checks = ["users are told before deposits or withdrawals stop"] if a.flags else []
    return plan


def _add_init_insurance(p: argparse.ArgumentParser) -> None:
    p.add_argument("cooldown_secs", type=int, help="unstake cooldown in seconds")


def _build_init_insurance(ctx: Context, a: argparse.Namespace) -> Plan:
    plan = Plan("initialize-insurance-fund",
                [perp_ix.initialize_insurance_fund(ctx.vault, a.cooldown_secs, ctx.program_id)],
                [f"unstake cooldown: {a.cooldown_secs} s"])
    if a.cooldown_secs < 0:
        plan.refusals.append("the cooldown cannot be negative")
    return plan


def _add_market_settings(p: argparse.ArgumentParser, what: str) -> None:
    _add_market(p)
    _add_settings(p, what)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("update-market-params", "updateMarketParams", "change a market's risk and fee parameters",
           lambda p: _add_market_settings(p, "MarketParams"), _build_update_params),
    Action("update-market-oracle", "updateMarketOracle", "change a market's oracle configuration",
           lambda p: _add_market_settings(p, "OracleConfig"), _build_update_oracle),
    Action("set-market-status", "setMarketStatus", "move a market between Active, ReduceOnly and Paused",
           _add_status, _build_status),
    Action("settle-market", "settleMarket", "settle a market at a final price", _add_settle, _build_settle),
    Action("withdraw-insurance", "adminWithdrawInsurance", "withdraw the protocol's part of the insurance fund",
           _add_withdraw, _build_withdraw),
    Action("transfer-admin", "transferAdmin", "hand the admin role to another key", _add_transfer, _build_transfer),
    Action("initialize-market", "initializeMarket", "create a market", _add_init_market, _build_init_market),
    Action("set-paused-operations", "setPausedOperations", "pause or resume deposits and withdrawals",
           _add_paused, _build_paused),
    Action("initialize-insurance-fund", "initializeInsuranceFund", "create the insurance fund's share accounting",
           _add_init_insurance, _build_init_insurance),
)}
