"""Complete perp-program instructions: the generated builders with every PDA and fixed account filled in.

Pure functions: arguments in, a solders ``Instruction`` out. The generated ``programs_client``
builders stay the only place that encodes instruction data: the struct-packed ones of
``programs_client.perp.fast_instructions`` (byte for byte anchorpy's, without its per-call construct
encoding), called with keywords so that an account added to an instruction in the IDL fails loudly here.
The PDAs of the market and the exchange are cached: deriving one costs more than building an instruction.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from keepers.exchange.pdas import (
    collateral_vault_pda,
    event_queue_pda,
    exchange_pda,
    insurance_fund_pda,
    insurance_stake_pda,
    insurance_vault_pda,
    market_pda,
    orderbook_pda,
    program_data_pda,
    trigger_orders_pda,
    user_pda,
)
from programs_client.perp import fast_instructions as gen
from programs_client.perp.program_id import PROGRAM_ID
from programs_client.perp.types import market_status, order_type, trigger_condition, trigger_kind, trigger_price_source
from programs_client.perp.types import side as side_
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.order_args import OrderArgs
from programs_client.perp.types.trigger_order_args import TriggerOrderArgs
from programs_client.perp.types.oracle_config import OracleConfig

MARKET_NAME_LEN = 16

# The PDAs nearly every instruction passes, cached per (index,) program id: find_program_address costs
# tens of microseconds, more than building the instruction.
_exchange = lru_cache(maxsize=64)(exchange_pda)
_collateral_vault = lru_cache(maxsize=64)(collateral_vault_pda)
_insurance_vault = lru_cache(maxsize=64)(insurance_vault_pda)
_insurance_fund = lru_cache(maxsize=64)(insurance_fund_pda)
_market = lru_cache(maxsize=1024)(market_pda)
_orderbook = lru_cache(maxsize=1024)(orderbook_pda)
_event_queue = lru_cache(maxsize=1024)(event_queue_pda)


def encode_market_name(name: str) -> list[int]:
    """Return ``name`` as the 16 zero-padded bytes a market stores; ValueError when it does not fit."""
    raw = name.encode("ascii")
    if not 0 < len(raw) <= MARKET_NAME_LEN:
        raise ValueError(f"market name {name!r} must be 1 to {MARKET_NAME_LEN} ASCII characters")
    return list(raw.ljust(MARKET_NAME_LEN, b"\0"))


def decode_market_name(raw: list[int] | bytes) -> str:
    """Return the market name stored as zero-padded bytes."""
    return bytes(raw).rstrip(b"\0").decode("ascii", errors="replace")


def initialize_exchange(admin: Pubkey, collateral_mint: Pubkey, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Create the exchange and its vaults; ``admin`` (the program's upgrade authority) pays and becomes the admin."""
    return gen.initialize_exchange(
        admin=admin,
        exchange=_exchange(program_id),
        collateral_mint=collateral_mint,
        collateral_vault=_collateral_vault(program_id),
        insurance_vault=_insurance_vault(program_id),
        program_data=program_data_pda(program_id),
        program_id=program_id,
    )


def set_paused_operations(admin: Pubkey, paused_operations: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Set the exchange's global pause flags."""
    return gen.set_paused_operations(
        admin=admin,
        exchange=_exchange(program_id),
        paused_operations=paused_operations,
        program_id=program_id,
    )


def transfer_admin(admin: Pubkey, new_admin: Pubkey, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Hand the admin role to ``new_admin``."""
    return gen.transfer_admin(
        admin=admin, exchange=_exchange(program_id), new_admin=new_admin, program_id=program_id
    )


def initialize_market(
    admin: Pubkey,
    market_index: int,
    name: str,
    oracle: OracleConfig,
    params: MarketParams,
    program_id: Pubkey = PROGRAM_ID,
) -> Instruction:
    """Create market ``market_index`` (the exchange's next index) with its order book and event queue."""
    return gen.initialize_market(
        admin=admin,
        exchange=_exchange(program_id),
        market=_market(market_index, program_id),
        orderbook=_orderbook(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        oracle=oracle,
        params=params,
        name=encode_market_name(name),
        market_index=market_index,
        program_id=program_id,
    )


def _admin_market_accounts(admin: Pubkey, market_index: int, program_id: Pubkey) -> dict[str, Pubkey]:
    return {"admin": admin, "exchange": _exchange(program_id), "market": _market(market_index, program_id)}


def update_market_params(
    admin: Pubkey, market_index: int, params: MarketParams, program_id: Pubkey = PROGRAM_ID
) -> Instruction:
    """Replace a market's risk and fee parameters."""
    return gen.update_market_params(
        **_admin_market_accounts(admin, market_index, program_id), params=params, program_id=program_id
    )


def update_market_oracle(
    admin: Pubkey, market_index: int, oracle: OracleConfig, program_id: Pubkey = PROGRAM_ID
) -> Instruction:
    """Replace a market's oracle configuration."""
    return gen.update_market_oracle(
        **_admin_market_accounts(admin, market_index, program_id), oracle=oracle, program_id=program_id
    )


def set_market_status(
    admin: Pubkey, market_index: int, status: market_status.MarketStatusKind, program_id: Pubkey = PROGRAM_ID
) -> Instruction:
    """Move a market between Active, ReduceOnly and Paused."""
    return gen.set_market_status(
        **_admin_market_accounts(admin, market_index, program_id), status=status, program_id=program_id
    )


def initialize_user(
    authority: Pubkey, sub_id: int = 0, delegate: Pubkey | None = None, program_id: Pubkey = PROGRAM_ID
) -> Instruction:
    """Create ``authority``'s margin account number ``sub_id``; ``delegate`` None means no delegate."""
    return gen.initialize_user(
        authority=authority,
        exchange=_exchange(program_id),
        user=user_pda(authority, sub_id, program_id),
        delegate=delegate or Pubkey.default(),
        sub_id=sub_id,
        program_id=program_id,
    )


def set_user_delegate(
    authority: Pubkey, delegate: Pubkey | None, sub_id: int = 0, program_id: Pubkey = PROGRAM_ID
) -> Instruction:
    """Set (or clear with None) the delegate of a margin account."""
    return gen.set_user_delegate(
        authority=authority,
        user=user_pda(authority, sub_id, program_id),
        delegate=delegate or Pubkey.default(),
        program_id=program_id,
    )


def deposit(
    authority: Pubkey, token_account: Pubkey, amount: int, sub_id: int = 0, program_id: Pubkey = PROGRAM_ID
) -> Instruction:
    """Deposit ``amount`` (quote, 1e6) from ``token_account`` into the margin account."""
    return gen.deposit(
        authority=authority,
        exchange=_exchange(program_id),
        user=user_pda(authority, sub_id, program_id),
        user_token_account=token_account,
        collateral_vault=_collateral_vault(program_id),
        amount=amount,
        program_id=program_id,
    )


def withdraw(
    authority: Pubkey,
    token_account: Pubkey,
    amount: int,
    sub_id: int = 0,
    program_id: Pubkey = PROGRAM_ID,
    markets: list[Pubkey] = (),  # type: ignore[assignment]
    orderbooks: list[Pubkey] = (),  # type: ignore[assignment]
) -> Instruction:
    """Withdraw ``amount`` (quote, 1e6) to ``token_account``; ``markets``: those of the user's positions;
    ``orderbooks``: those of the markets where it rests orders."""
    return gen.withdraw(
        authority=authority,
        exchange=_exchange(program_id),
        user=user_pda(authority, sub_id, program_id),
        collateral_vault=_collateral_vault(program_id),
        user_token_account=token_account,
        amount=amount,
        program_id=program_id,
        remaining_accounts=_readonly([*markets, *orderbooks]),
    )


__all__ = [
    "cancel_trigger_order",
    "init_trigger_orders",
    "place_trigger_order",
    "trigger_args",
    "trigger_order",
    "add_insurance_stake",
    "admin_withdraw_insurance",
    "initialize_insurance_fund",
    "remove_insurance_stake",
    "request_remove_insurance_stake",
    "resolve_bankruptcy",
    "settle_expired_position",
    "settle_market",
    "settle_revenue_to_insurance",
    "liquidate_perp",
    "settle_funding",
    "settle_pnl",
    "update_funding",
    "update_prices",
    "cancel_all_orders",
    "cancel_order",
    "consume_events",
    "order_args",
    "place_order",
    "prune_expired_orders",
    "decode_market_name",
    "deposit",
    "encode_market_name",
    "initialize_exchange",
    "initialize_market",
    "initialize_user",
    "set_market_status",
    "set_paused_operations",
    "set_user_delegate",
    "transfer_admin",
    "update_market_oracle",
    "update_market_params",
    "withdraw",
]


def _readonly(markets: Iterable[Pubkey]) -> list[AccountMeta]:
    return [AccountMeta(m, False, False) for m in markets]


def order_args(
    side: side_.SideKind,
    price: int,
    base_amount: int,
    order_type_: order_type.OrderTypeKind | None = None,
    client_order_id: int = 0,
    reduce_only: bool = False,
    expiry_slot: int = 0,
    min_fill_base: int = 0,
) -> OrderArgs:
    """Return the arguments of a new order (a Limit order unless ``order_type_`` says otherwise).

    ``expiry_slot``: last slot the order may rest or fill in (0: good-til-cancelled); ``min_fill_base``:
    base it must fill at once or the transaction fails with MinFillNotMet (0: none).
    """
    return OrderArgs(
        price=price,
        base_amount=base_amount,
        client_order_id=client_order_id,
        side=side,
        order_type=order_type_ or order_type.Limit(),
        reduce_only=reduce_only,
        padding=[0] * 5,
        expiry_slot=expiry_slot,
        min_fill_base=min_fill_base,
    )


def place_order(
    signer: Pubkey,
    user: Pubkey,
    market_index: int,
    order: OrderArgs,
    other_markets: list[Pubkey] = (),  # type: ignore[assignment]
    program_id: Pubkey = PROGRAM_ID,
) -> Instruction:
    """Place ``order`` for margin account ``user`` (signed by its authority or delegate).

    ``other_markets`` are the markets of the user's other positions, which the margin check reads.
    """
    return gen.place_order(
        signer=signer,
        user=user,
        market=_market(market_index, program_id),
        orderbook=_orderbook(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        order=order,
        program_id=program_id,
        remaining_accounts=_readonly(other_markets),
    )


def cancel_order(signer: Pubkey, user: Pubkey, market_index: int, order_id: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Cancel one resting order of ``user`` by order id."""
    return gen.cancel_order(signer=signer, user=user, market=_market(market_index, program_id),
                            orderbook=_orderbook(market_index, program_id), order_id=order_id, program_id=program_id)


def cancel_all_orders(signer: Pubkey, user: Pubkey, market_index: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Cancel every resting order of ``user`` in the market."""
    return gen.cancel_all_orders(signer=signer, user=user, market=_market(market_index, program_id),
                                 orderbook=_orderbook(market_index, program_id), program_id=program_id)


def consume_events(market_index: int, makers: list[Pubkey], limit: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Apply up to ``limit`` queued maker fills; ``makers`` are the User accounts of the next fills, in order."""
    unique = list(dict.fromkeys(makers))
    return gen.consume_events(
        market=_market(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        limit=limit,
        program_id=program_id,
        remaining_accounts=[AccountMeta(m, False, True) for m in unique],
    )


def prune_expired_orders(market_index: int, limit: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Remove up to ``limit`` expired resting orders of the market (permissionless): each leaves an out event
    that ``consume_events`` applies to release its owner's reservation."""
    return gen.prune_expired_orders(
        market=_market(market_index, program_id),
        orderbook=_orderbook(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        limit=limit,
        program_id=program_id,
    )


def update_prices(market_index: int, oracle_primary: Pubkey, oracle_fallback: Pubkey | None = None,
                  program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Crank the market's prices from its oracles (``oracle_fallback`` None: the primary is passed twice)."""
    return gen.update_prices(
        market=_market(market_index, program_id),
        orderbook=_orderbook(market_index, program_id),
        oracle_primary=oracle_primary,
        oracle_fallback=oracle_fallback or oracle_primary,
        program_id=program_id,
    )


def update_funding(market_index: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Crank the market's funding (once per period, with the event queue drained)."""
    return gen.update_funding(
        market=_market(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        program_id=program_id,
    )


def settle_funding(user: Pubkey, markets: list[Pubkey], program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Settle accrued funding of every position of ``user``; ``markets``: those of its positions."""
    return gen.settle_funding(user=user, program_id=program_id, remaining_accounts=_readonly(markets))


def settle_pnl(user: Pubkey, market_index: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Settle ``user``'s realised PnL in one market into collateral through the market's PnL pool."""
    return gen.settle_pnl(user=user, market=_market(market_index, program_id), program_id=program_id)


def liquidate_perp(
    liquidator: Pubkey,
    liquidator_user: Pubkey,
    user: Pubkey,
    market_index: int,
    max_base_amount: int,
    other_markets: list[Pubkey] = (),  # type: ignore[assignment]
    program_id: Pubkey = PROGRAM_ID,
) -> Instruction:
    """Liquidate ``user`` in one market into ``liquidator_user`` (signed by its authority or delegate)."""
    return gen.liquidate_perp(
        liquidator=liquidator,
        liquidator_user=liquidator_user,
        user=user,
        market=_market(market_index, program_id),
        orderbook=_orderbook(market_index, program_id),
        exchange=_exchange(program_id),
        max_base_amount=max_base_amount,
        program_id=program_id,
        remaining_accounts=_readonly(other_markets),
    )


def resolve_bankruptcy(user: Pubkey, market_index: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Cover a bankrupt user's loss in one market: collateral, the fee pool, the insurance fund, then socialised."""
    return gen.resolve_bankruptcy(
        user=user,
        exchange=_exchange(program_id),
        market=_market(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        insurance_vault=_insurance_vault(program_id),
        collateral_vault=_collateral_vault(program_id),
        program_id=program_id,
    )


def settle_revenue_to_insurance(market_index: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Sweep the market's fee pool into the insurance fund (once per interval, queue drained)."""
    return gen.settle_revenue_to_insurance(
        exchange=_exchange(program_id),
        market=_market(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        collateral_vault=_collateral_vault(program_id),
        insurance_vault=_insurance_vault(program_id),
        program_id=program_id,
    )


def settle_market(admin: Pubkey, market_index: int, settlement_price: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Admin: put the market in Settlement at ``settlement_price``."""
    return gen.settle_market(
        admin=admin,
        exchange=_exchange(program_id),
        market=_market(market_index, program_id),
        settlement_price=settlement_price,
        program_id=program_id,
    )


def settle_expired_position(user: Pubkey, market_index: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Close ``user``'s position in a settled market at the settlement price."""
    return gen.settle_expired_position(
        user=user,
        market=_market(market_index, program_id),
        orderbook=_orderbook(market_index, program_id),
        program_id=program_id,
    )


def initialize_insurance_fund(admin: Pubkey, unstake_cooldown_secs: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Admin: create the insurance fund's share accounting."""
    return gen.initialize_insurance_fund(
        admin=admin,
        exchange=_exchange(program_id),
        insurance_fund=_insurance_fund(program_id),
        insurance_vault=_insurance_vault(program_id),
        unstake_cooldown_secs=unstake_cooldown_secs,
        program_id=program_id,
    )


def add_insurance_stake(authority: Pubkey, token_account: Pubkey, amount: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Stake ``amount`` collateral tokens into the insurance fund."""
    return gen.add_insurance_stake(
        authority=authority,
        exchange=_exchange(program_id),
        insurance_fund=_insurance_fund(program_id),
        insurance_stake=insurance_stake_pda(authority, program_id),
        user_token_account=token_account,
        insurance_vault=_insurance_vault(program_id),
        amount=amount,
        program_id=program_id,
    )


def request_remove_insurance_stake(authority: Pubkey, shares: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Ask to remove ``shares`` after the cooldown."""
    return gen.request_remove_insurance_stake(
        authority=authority,
        insurance_fund=_insurance_fund(program_id),
        insurance_stake=insurance_stake_pda(authority, program_id),
        shares=shares,
        program_id=program_id,
    )


def remove_insurance_stake(authority: Pubkey, token_account: Pubkey, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Burn the requested shares and receive their value in ``token_account``."""
    return gen.remove_insurance_stake(
        authority=authority,
        exchange=_exchange(program_id),
        insurance_fund=_insurance_fund(program_id),
        insurance_stake=insurance_stake_pda(authority, program_id),
        insurance_vault=_insurance_vault(program_id),
        user_token_account=token_account,
        program_id=program_id,
    )


def admin_withdraw_insurance(admin: Pubkey, destination: Pubkey, amount: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Admin: withdraw up to the protocol's part of the insurance fund to ``destination``."""
    return gen.admin_withdraw_insurance(
        admin=admin,
        exchange=_exchange(program_id),
        insurance_fund=_insurance_fund(program_id),
        insurance_vault=_insurance_vault(program_id),
        destination=destination,
        amount=amount,
        program_id=program_id,
    )


def init_trigger_orders(payer: Pubkey, user: Pubkey, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Create ``user``'s TriggerOrders account; ``payer`` (its authority or delegate) pays the rent."""
    return gen.init_trigger_orders(
        payer=payer, user=user, trigger_orders=trigger_orders_pda(user, program_id), program_id=program_id
    )


def place_trigger_order(
    signer: Pubkey, user: Pubkey, market_index: int, order: TriggerOrderArgs, program_id: Pubkey = PROGRAM_ID
) -> Instruction:
    """Store trigger order ``order`` for ``user`` in market ``market_index`` (signed by its authority or delegate)."""
    return gen.place_trigger_order(
        signer=signer,
        user=user,
        trigger_orders=trigger_orders_pda(user, program_id),
        market=_market(market_index, program_id),
        order=order,
        program_id=program_id,
    )


def cancel_trigger_order(signer: Pubkey, user: Pubkey, trigger_id: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
    """Remove ``user``'s trigger order ``trigger_id`` (signed by its authority or delegate)."""
    return gen.cancel_trigger_order(
        signer=signer,
        user=user,
        trigger_orders=trigger_orders_pda(user, program_id),
        trigger_id=trigger_id,
        program_id=program_id,
    )


def trigger_order(
    keeper: Pubkey,
    keeper_user: Pubkey,
    user: Pubkey,
    market_index: int,
    trigger_id: int,
    other_markets: list[Pubkey] = (),  # type: ignore[assignment]
    program_id: Pubkey = PROGRAM_ID,
) -> Instruction:
    """Fire ``user``'s trigger order ``trigger_id`` (its fee to ``keeper_user``, whose authority ``keeper`` signs).

    ``other_markets`` are the markets of the user's other positions, which the margin check reads.
    """
    return gen.trigger_order(
        keeper=keeper,
        user=user,
        market=_market(market_index, program_id),
        orderbook=_orderbook(market_index, program_id),
        event_queue=_event_queue(market_index, program_id),
        trigger_orders=trigger_orders_pda(user, program_id),
        keeper_user=keeper_user,
        trigger_id=trigger_id,
        program_id=program_id,
        remaining_accounts=_readonly(other_markets),
    )


def trigger_args(
    side: side_.SideKind,
    kind: trigger_kind.TriggerKindKind,
    condition: trigger_condition.TriggerConditionKind,
    trigger_price: int,
    base_amount: int,
    limit_price: int = 0,
    price_source: trigger_price_source.TriggerPriceSourceKind | None = None,
    reduce_only: bool = False,
) -> TriggerOrderArgs:
    """Return the arguments of a new trigger order (on the mark unless ``price_source`` says otherwise)."""
    return TriggerOrderArgs(
        trigger_price=trigger_price,
        limit_price=limit_price,
        base_amount=base_amount,
        side=side,
        kind=kind,
        condition=condition,
        price_source=price_source or trigger_price_source.Mark(),
        reduce_only=reduce_only,
        padding=[0] * 3,
    )
