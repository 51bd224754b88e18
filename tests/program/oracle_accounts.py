"""Oracle accounts and priced markets for the program tests.

``pyth_legacy_data`` writes the bytes of a Pyth legacy price account (the layout the ``pyth-client``
C headers and ``pyth-sdk-solana``'s ``SolanaPriceAccount`` describe): magic 0xa1b2c3d4 @0, version 2
@4, account type 3 (price) @8, size @12, exponent i32 @20, aggregate price i64 @208, confidence u64
@216, status u32 @224 (1 = trading), publish slot u64 @232; 3312 bytes in all (a 240-byte header and
32 96-byte publisher components). ``PythFeed`` puts such an account on the LiteSVM chain with
``set_account``, owned by the program a market names as its oracle program.

The scenario helpers below (``priced_market``, ``crank``, ``advance``, ``trade``) are shared by the
price, funding, settlement, liquidation and margin-checked withdrawal tests.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from solders.account import Account
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.execution.results import Outcome
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params, oracle_config
from localnet.svm import LocalSvm
from programs_client.perp.accounts import Market, User
from programs_client.perp.constants import PRICE_PRECISION as PRICE
from programs_client.perp.types import order_type, side
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig

DEFAULT_PARAMS = default_market_params()
PYTH_MAGIC = 0xA1B2C3D4
PYTH_VERSION = 2
PYTH_TYPE_PRICE = 3
PYTH_LEN = 3312
(
    PYTH_STATUS_UNKNOWN,
    PYTH_STATUS_TRADING,
    PYTH_STATUS_HALTED,
    PYTH_STATUS_AUCTION,
    PYTH_STATUS_IGNORED,
) = range(5)


def pyth_legacy_data(
    price: int,
    conf: int,
    expo: int = -6,
    status: int = PYTH_STATUS_TRADING,
    pub_slot: int = 0,
    *,
    magic: int = PYTH_MAGIC,
    version: int = PYTH_VERSION,
    account_type: int = PYTH_TYPE_PRICE,
    size: int = PYTH_LEN,
    length: int = PYTH_LEN,
) -> bytes:
    """The data of a Pyth legacy price account with the given aggregate."""
    d = bytearray(length)
    struct.pack_into("<IIII", d, 0, magic, version, account_type, size)
    struct.pack_into("<i", d, 20, expo)
    struct.pack_into("<qQIIQ", d, 208, price, conf, status, 0, pub_slot)
    return bytes(d)


class PythFeed:
    """A Pyth legacy price account at ``address``, owned by ``program``."""

    def __init__(
        self, svm: LocalSvm, address: Pubkey | None = None, program: Pubkey | None = None
    ) -> None:
        self.svm = svm
        self.address = address or Pubkey.new_unique()
        self.program = program or Pubkey.new_unique()

    def config(self) -> OracleConfig:
        """An oracle configuration naming this account as the only (primary) source."""
        return oracle_config(self.address, self.program)

    def set(
        self,
        price: int,
        conf: int | None = None,
        expo: int = -6,
        status: int = PYTH_STATUS_TRADING,
        pub_slot: int | None = None,
        owner: Pubkey | None = None,
        **layout: int,
    ) -> None:
        """Publish ``price`` (mantissa at ``expo``); conf defaults to 0.1% of it, pub_slot to now."""
        if conf is None:
            conf = abs(price) // 1000
        if pub_slot is None:
            pub_slot = self.svm.clock().slot
        data = pyth_legacy_data(price, conf, expo, status, pub_slot, **layout)
        self.svm.set_account(self.address, Account(10**9, data, owner or self.program, False, 0))


def ema_step(x: int, sample: int, w: int, window: int) -> int:
    """One averaging step of prices.c: x + floor((sample - x) * w / window)."""
    return x + (sample - x) * w // window


@dataclass(frozen=True)
class PriceModel:
    """A market's price state as update_prices must leave it, from the formulas of prices.c:

    sample = clamp(floor((best bid + best ask) / 2) - index, +-floor(index / 10)), 0 without both sides,
    where the caller passes only orders that rested: placed before the first update of an earlier slot;
    w = clamp(now - last update, 0, W), W = the funding period; x += floor((sample - x) * w / W), except
    that the premium EMA does not move at an update in the same slot as the last one (``slot``);
    first update: mark = index, TWAPs = index, EMA 0; later: mark = max(index + EMA, tick).
    """

    index: int = 0
    ema: int = 0
    mark: int = 0
    mark_twap: int = 0
    index_twap: int = 0
    ts: int = 0
    window: int = DEFAULT_PARAMS.funding_period_secs
    tick: int = DEFAULT_PARAMS.tick_size
    slot: int | None = None  # of the last update, when the caller follows slots

    def update(
        self, index: int, ts: int, bid: int | None = None, ask: int | None = None, slot: int | None = None
    ) -> PriceModel:
        if bid is None or ask is None:
            sample = 0
        else:
            cap = index // 10
            sample = max(-cap, min(cap, (bid + ask) // 2 - index))
        if self.index == 0:
            return replace(
                self, index=index, ema=0, mark=index, mark_twap=index, index_twap=index, ts=ts, slot=slot
            )
        w = max(0, min(self.window, ts - self.ts))
        same_slot = slot is not None and slot == self.slot
        ema = ema_step(self.ema, sample, 0 if same_slot else w, self.window)
        mark = max(index + ema, self.tick)
        return replace(
            self,
            index=index,
            ema=ema,
            mark=mark,
            mark_twap=ema_step(self.mark_twap, mark, w, self.window),
            index_twap=ema_step(self.index_twap, index, w, self.window),
            ts=ts,
            slot=slot,
        )

    def assert_market(self, m: Market) -> None:
        got = (
            m.index_price,
            m.premium_ema,
            m.mark_price,
            m.mark_twap,
            m.index_twap,
            m.twap_updated_ts,
        )
        assert got == (self.index, self.ema, self.mark, self.mark_twap, self.index_twap, self.ts)


def advance(svm: LocalSvm, seconds: int, slots: int | None = None) -> None:
    """Move the clock ``seconds`` forward and the slot by ``slots`` (default 1: feeds stay fresh)."""
    c = svm.clock()
    svm.warp(c.slot + (1 if slots is None else slots), c.unix_timestamp + seconds)


def crank(
    exchange: LocalExchange, index: int, feed: PythFeed, fallback: PythFeed | None = None
) -> Outcome:
    """Send update_prices for market ``index``."""
    return exchange.svm.send(
        [ix.update_prices(index, feed.address, fallback.address if fallback else None)]
    )


def let_orders_rest(exchange: LocalExchange, index: int) -> None:
    """Make the orders placed so far count for the premium: one slot on at the same time, crank
    update_prices (weight 0, so no price moves). Orders count once an update of an earlier slot saw them."""
    svm = exchange.svm
    c = svm.clock()
    svm.warp(c.slot + 1, c.unix_timestamp)
    oc = market(exchange, index).oracle
    out = svm.send([ix.update_prices(index, oc.primary, oc.fallback if oc.fallback_kind.discriminator else None)])
    assert out.ok, out


def priced_market(
    exchange: LocalExchange,
    price: int = 100 * PRICE,
    params: MarketParams | None = None,
    name: str | None = None,
    oracle: OracleConfig | None = None,
    feed: PythFeed | None = None,
) -> tuple[int, PythFeed]:
    """Create a market whose primary oracle is a fresh Pyth feed at ``price`` (expo -6) and crank it once."""
    feed = feed or PythFeed(exchange.svm)
    index = exchange.state().market_count
    exchange.add_market(
        name or f"M{index}-PERP",
        oracle=oracle or feed.config(),
        params=params or default_market_params(),
    )
    feed.set(price)
    out = crank(exchange, index, feed)
    assert out.ok, out
    return index, feed


def market(exchange: LocalExchange, index: int) -> Market:
    return exchange.svm.decode(Market, exchange.market_address(index))


def user(exchange: LocalExchange, u: LocalUser) -> User:
    return exchange.svm.decode(User, u.address)


def rest(
    exchange: LocalExchange, u: LocalUser, index: int, side_: side.SideKind, price: int, base: int
) -> Outcome:
    """Place a resting limit order (it must not cross)."""
    return exchange.svm.send(
        [ix.place_order(u.authority, u.address, index, ix.order_args(side_, price, base))],
        [u.keypair],
    )


def take(
    exchange: LocalExchange,
    u: LocalUser,
    index: int,
    side_: side.SideKind,
    price: int,
    base: int,
    reduce_only: bool = False,
    other_markets: list[Pubkey] = (),  # type: ignore[assignment]
) -> Outcome:
    """Place an immediate-or-cancel order."""
    args = ix.order_args(
        side_, price, base, order_type.ImmediateOrCancel(), reduce_only=reduce_only
    )
    return exchange.svm.send(
        [ix.place_order(u.authority, u.address, index, args, other_markets)], [u.keypair]
    )


@dataclass(frozen=True)
class Trade:
    maker: LocalUser
    taker: LocalUser
    price: int
    base: int


def trade(
    exchange: LocalExchange,
    maker: LocalUser,
    taker: LocalUser,
    index: int,
    taker_side: side.SideKind,
    price: int,
    base: int,
    reduce_only: bool = False,
    taker_other_markets: list[Pubkey] = (),  # type: ignore[assignment]
) -> Trade:
    """Maker rests ``base`` at ``price``, the taker takes all of it, the maker's fill is applied.

    ``taker_other_markets``: the markets of the taker's other positions (its margin check reads them)."""
    maker_side = side.Ask() if isinstance(taker_side, side.Bid) else side.Bid()
    out = rest(exchange, maker, index, maker_side, price, base)
    assert out.ok, "\n".join(out.logs)
    out = take(exchange, taker, index, taker_side, price, base, reduce_only, taker_other_markets)
    assert out.ok, "\n".join(out.logs)
    exchange.svm.send_ok([ix.consume_events(index, [maker.address], 16)])
    return Trade(maker, taker, price, base)


__all__ = [
    "PYTH_LEN",
    "PriceModel",
    "PythFeed",
    "advance",
    "crank",
    "ema_step",
    "market",
    "priced_market",
    "pyth_legacy_data",
    "rest",
    "take",
    "trade",
    "user",
]
