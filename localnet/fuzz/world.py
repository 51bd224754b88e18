"""The exchange the fuzzer attacks: markets with mock oracles, an insurance fund, a market maker, a victim
and an attacker with an accomplice, on a ``LocalSvm``; its snapshots and the values the checks compare.

The victim holds small positions (about a quarter of its collateral in notional) in both markets, a trading
bot's key as delegate, resting orders 35% away from the oracle on both sides (any fill of them is a gain at
the oracle price) and an insurance stake. The maker quotes both sides around the oracle. The attacker and its accomplice each own a keypair,
a funded token account and a margin account; the fuzzer signs with their keys only.
``background`` is the honest world moving on between attack cases: oracle moves of at most a few percent
(prices stay within 10% of their start), the clock, a price crank, the event queue drained, fresh quotes.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, TypeVar

from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.sysvar import CLOCK
from spl.token.constants import TOKEN_PROGRAM_ID

from keepers.exchange import instructions as ix
from keepers.exchange import margin as mirror
from keepers.exchange.fast_decode import decoder_for
from keepers.exchange.pdas import (
    event_queue_pda,
    insurance_fund_pda,
    insurance_stake_pda,
    market_pda,
    orderbook_pda,
    user_pda,
)
from localnet.bootstrap import LocalExchange, LocalUser, default_market_params
from localnet.market_oracles import MarketOracles, plan_market_oracles
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID, MockOracle
from localnet.svm import LocalSvm
from programs_client.perp.accounts import EventQueue, Exchange, InsuranceFund, InsuranceStake, Market, Orderbook, User
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUEUE_EVENT_FILL, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import order_type, side

BID, ASK = mirror.BID, mirror.ASK
INSURANCE_COOLDOWN_SECS = 3600
VICTIM_ORDER_DISTANCE_BPS = 3500  # the victim's resting orders: 35% away from the oracle
# The oracle stays within 10% of its start, so the victim's orders stay on the right side of it (1.1 < 0.9 * 1.35).
MAX_DRIFT_BPS = 1000
VICTIM_BOT = Keypair.from_seed(bytes(range(32)))  # the victim's delegate: a trading bot's key the attacker lacks

# (name, start price, parameters): a 100-quote market and a 4-quote market with coarser lots.
MARKETS = [
    ("AAA-PERP", 100 * PRICE, default_market_params(funding_period_secs=900)),
    ("BBB-PERP", 4 * PRICE, default_market_params(
        tick_size=1_000, lot_size=BASE // 100, min_order_size=BASE // 10, max_open_interest=200_000 * BASE,
        initial_margin_bps=2000, maintenance_margin_bps=1000, liquidation_fee_bps=400, insurance_share_bps=2500,
        taker_fee_bps=25, maker_rebate_bps=5, max_funding_rate_bps=300, funding_period_secs=1800)),
]


D = TypeVar("D")


@lru_cache(maxsize=None)
def _decoder(cls: type[D]) -> Callable[[bytes], D]:
    return decoder_for(cls)


@lru_cache(maxsize=2)
def built_program(name: str) -> bytes:
    """The SBF bytes of ``programs/<name>``, built (and cached by source hash) by ``localnet.build``."""
    from localnet.build import build_program

    return Path(build_program(name)).read_bytes()


def is_bid(side_value: object) -> bool:
    """Whether a decoded ``Side`` (a generated or event-coder enum value, or its index) is a bid."""
    if isinstance(side_value, int):
        return side_value == BID
    return type(side_value).__name__ == "Bid"


class Actor(LocalUser):
    """A ``LocalUser`` whose key and margin-account address are computed once (the fuzzer reads them per case)."""

    @classmethod
    def of(cls, u: LocalUser) -> "Actor":
        return cls(u.keypair, u.token_account, u.sub_id, u.program_id)

    @cached_property
    def authority(self) -> Pubkey:  # type: ignore[override]
        return self.keypair.pubkey()

    @cached_property
    def address(self) -> Pubkey:  # type: ignore[override]
        return user_pda(self.authority, self.sub_id, self.program_id)


@dataclass(frozen=True)
class Addresses:
    """The exchange's fixed addresses, derived once."""

    exchange: Pubkey
    collateral_vault: Pubkey
    insurance_vault: Pubkey
    insurance_fund: Pubkey
    admin: Pubkey


@dataclass
class FuzzMarket:
    """One market of the world: its index, oracle accounts, start and current oracle price."""

    index: int
    oracles: MarketOracles
    start_price: int
    price: int
    market: Pubkey
    orderbook: Pubkey
    event_queue: Pubkey


@dataclass(frozen=True)
class Snapshot:
    """Everything the checks compare, read after a case (decoded accounts, balances)."""

    slot: int
    exchange: Exchange
    markets: list[Market]
    books: list[Orderbook]
    queues: list[EventQueue]
    users: dict[Pubkey, User]
    fund: InsuranceFund
    stakes: dict[Pubkey, InsuranceStake | None]  # by authority
    stake_raw: dict[Pubkey, bytes | None]
    vault: int
    insurance: int
    wallets: dict[Pubkey, int]  # token account -> balance

    def states(self, prices: dict[int, int] | None = None) -> dict[int, mirror.MarketState]:
        """Margin-mirror market states at each mark, or at ``prices`` (market index -> price) instead."""
        out = {}
        for i, m in enumerate(self.markets):
            st = mirror.MarketState.from_account(m)
            out[i] = replace(st, mark_price=prices[i]) if prices is not None else st
        return out

    def stake_value(self, authority: Pubkey) -> int:
        """What ``authority``'s insurance shares would pay now: floor(shares * vault / total shares)."""
        st = self.stakes.get(authority)
        if st is None or self.fund.total_shares == 0:
            return 0
        return st.shares * self.insurance // self.fund.total_shares


@dataclass
class FuzzWorld:
    """The exchange under attack and its actors."""

    svm: LocalSvm
    ex: LocalExchange
    oracle: MockOracle
    rng: random.Random
    markets: list[FuzzMarket]
    maker: Actor
    victim: Actor
    attacker: Actor
    accomplice: Actor
    addresses: Addresses
    fakes: dict[str, Pubkey] = field(default_factory=dict)
    known_users: list[Pubkey] = field(default_factory=list)
    _decoded: dict[Pubkey, tuple[bytes, object]] = field(default_factory=dict)

    # -- set-up ----------------------------------------------------------------------------------
    @classmethod
    def create(cls, seed: int, perp_program: bytes | None = None) -> "FuzzWorld":
        """Stand up the exchange, its markets and actors; ``seed`` drives every later random choice."""
        svm = LocalSvm(perp_program or built_program("perp"))
        svm.add_program(MOCK_ORACLE_PROGRAM_ID, built_program("mock_oracle"))
        oracle = MockOracle(svm.send, svm.funded_keypair(1000))
        assert oracle.initialize().ok, "mock oracle initialize failed"
        ex = LocalExchange.create(svm)
        markets = []
        for name, price, params in MARKETS:
            plan = plan_market_oracles(name)
            svm.send_ok(plan.create_ixs(oracle.authority.pubkey()), [oracle.authority, *plan.keypairs],
                        payer=oracle.authority)
            svm.send_ok(plan.oracles.write_ixs(oracle.authority.pubkey(), price / PRICE), [oracle.authority],
                        payer=oracle.authority)
            i = ex.add_market(name, oracle=plan.oracles.config(), params=params)
            svm.send_ok([plan.oracles.update_prices_ix(i, svm.program_id)])
            pid = svm.program_id
            markets.append(FuzzMarket(i, plan.oracles, price, price, ex.market_address(i), orderbook_pda(i, pid),
                                      event_queue_pda(i, pid)))
        svm.send_ok([ix.initialize_insurance_fund(ex.admin.pubkey(), INSURANCE_COOLDOWN_SECS, svm.program_id)],
                    [ex.admin], payer=ex.admin)
        svm.mint_to(ex.mint, ex.mint_authority, ex.insurance_vault, 5_000 * QUOTE)
        maker = ex.add_user(tokens=3_000_000 * QUOTE, deposit=2_000_000 * QUOTE)
        victim = ex.add_user(tokens=30_000 * QUOTE, deposit=20_000 * QUOTE)
        attacker = ex.add_user(tokens=20_000 * QUOTE, deposit=10_000 * QUOTE)
        accomplice = ex.add_user(tokens=20_000 * QUOTE, deposit=10_000 * QUOTE)
        maker, victim, attacker, accomplice = (Actor.of(u) for u in (maker, victim, attacker, accomplice))
        addresses = Addresses(ex.address, ex.collateral_vault, ex.insurance_vault, insurance_fund_pda(svm.program_id),
                              ex.admin.pubkey())
        world = cls(svm, ex, oracle, random.Random(seed), markets, maker, victim, attacker, accomplice, addresses)
        world.known_users = [u.address for u in ex.users]
        svm.send_ok([ix.add_insurance_stake(victim.authority, victim.token_account, 2_000 * QUOTE, svm.program_id),
                     ix.set_user_delegate(victim.authority, VICTIM_BOT.pubkey(), 0, svm.program_id)],
                    [victim.keypair], payer=victim.keypair)
        world.quote()
        for m in markets:  # the victim buys in the first market, sells in the second (about 0.25x each)
            s = BID if m.index == 0 else ASK
            base = world.lots(m, 5_000 * QUOTE * BASE // m.price)
            world.place(victim, m, s, world.band_edge(m, s), base, order_type.ImmediateOrCancel())
        for u, s in ((attacker, BID), (accomplice, ASK)):  # the attacker's side starts with small positions
            for m in markets:
                world.place(u, m, s, world.band_edge(m, s), world.lots(m, 2_000 * QUOTE * BASE // m.price),
                            order_type.ImmediateOrCancel())
        world.drain()
        world.victim_orders()
        world.drain()
        world.make_fakes()
        return world

    def make_fakes(self) -> None:
        """Accounts that look like the program's but are not: copies under another owner, a wrong-size one."""
        def copy(name: str, source: Pubkey, owner: Pubkey, cut: int = 0) -> None:
            acc = self.svm.account(source)
            assert acc is not None
            data = bytes(acc.data)[: len(acc.data) - cut] if cut else bytes(acc.data)
            address = Pubkey.new_unique()
            self.svm.set_account(address, Account(acc.lamports, data, owner, False, 0))
            self.fakes[name] = address

        copy("victim_user_system_owned", self.victim.address, SYSTEM_PROGRAM_ID)
        copy("market_foreign_owned", self.markets[0].market, MOCK_ORACLE_PROGRAM_ID)
        copy("exchange_attacker_owned", self.ex.address, self.attacker.authority)
        copy("vault_copy_token_owned", self.ex.collateral_vault, TOKEN_PROGRAM_ID)
        copy("user_short", self.attacker.address, self.svm.program_id, cut=8)
        self.fakes["nonexistent"] = Pubkey.new_unique()

    # -- honest actions --------------------------------------------------------------------------
    def lots(self, m: FuzzMarket, base: int) -> int:
        """``base`` rounded down to the market's lot, at least the minimum order."""
        p = MARKETS[m.index][2]
        return max(base // p.lot_size * p.lot_size, p.min_order_size)

    def tick(self, m: FuzzMarket, price: int) -> int:
        t = MARKETS[m.index][2].tick_size
        return max(t, price // t * t)

    def band_edge(self, m: FuzzMarket, s: int) -> int:
        """The worst price of the mark's band on side ``s`` (the limit of an aggressive order)."""
        mark = self.read(Market, m.market).mark_price
        return self.tick(m, mark + mark // 2 - 1 if s == BID else mark - mark // 2 + MARKETS[m.index][2].tick_size)

    def place(self, u: LocalUser, m: FuzzMarket, s: int, price: int, base: int, kind: object) -> bool:
        others = [x.market for x in self.markets if x.index != m.index]
        args = ix.order_args(side.Bid() if s == BID else side.Ask(), price, base, kind)  # type: ignore[arg-type]
        out = self.svm.send([ix.place_order(u.authority, u.address, m.index, args, others, self.svm.program_id)],
                            [u.keypair], payer=u.keypair)
        return out.ok

    def quote(self) -> None:
        """The maker's two levels a side around each oracle price (its earlier quotes cancelled)."""
        for m in self.markets:
            self.svm.send([ix.cancel_all_orders(self.maker.authority, self.maker.address, m.index, self.svm.program_id)],
                          [self.maker.keypair], payer=self.maker.keypair)
            for bps in (50, 100):
                base = self.lots(m, 2_000 * QUOTE * BASE // m.price)
                self.place(self.maker, m, BID, self.tick(m, m.price * (10_000 - bps) // 10_000), base,
                           order_type.PostOnly())
                self.place(self.maker, m, ASK, self.tick(m, m.price * (10_000 + bps) // 10_000 + MARKETS[m.index][2].tick_size - 1), base,
                           order_type.PostOnly())

    def victim_orders(self) -> None:
        """The victim's resting bid and ask 35% from the oracle, re-placed where a fill took them."""
        for m in self.markets:
            book = self.read(Orderbook, m.orderbook)
            mine = {BID: 0, ASK: 0}
            for s, orders, n in ((BID, book.bids, book.bid_count), (ASK, book.asks, book.ask_count)):
                mine[s] = sum(1 for o in orders[:n] if o.owner == self.victim.address)
            base = self.lots(m, 500 * QUOTE * BASE // m.price)
            if not mine[BID]:
                self.place(self.victim, m, BID, self.tick(m, m.price * (10_000 - VICTIM_ORDER_DISTANCE_BPS) // 10_000),
                           base, order_type.PostOnly())
            if not mine[ASK]:
                self.place(self.victim, m, ASK, self.tick(m, m.price * (10_000 + VICTIM_ORDER_DISTANCE_BPS) // 10_000),
                           base, order_type.PostOnly())

    def consume_ix(self, m: FuzzMarket, limit: int = 128) -> Instruction:
        """consume_events for the next ``limit`` queued fills, with their makers' accounts."""
        q = self.read(EventQueue, m.event_queue)
        n = min(limit, q.count)
        makers = [q.fills[(q.head + i) % len(q.fills)].maker for i in range(n)]
        return ix.consume_events(m.index, makers, limit, self.svm.program_id)

    def drain(self) -> None:
        """Apply every queued maker fill of every market."""
        for m in self.markets:
            for _ in range(4):
                if self.read(EventQueue, m.event_queue).count == 0:
                    break
                self.svm.send([self.consume_ix(m, 32)])

    def background(self) -> None:
        """The honest world between cases: time, oracle moves, a price crank, the queue drained, fresh quotes."""
        rng = self.rng
        clock = self.svm.clock()
        self.svm.warp(clock.slot + rng.randint(1, 40), clock.unix_timestamp + rng.randint(1, 900))
        for m in self.markets:
            move = rng.randint(-300, 300)
            lo = m.start_price * (10_000 - MAX_DRIFT_BPS) // 10_000
            hi = m.start_price * (10_000 + MAX_DRIFT_BPS) // 10_000
            m.price = self.tick(m, min(hi, max(lo, m.price * (10_000 + move) // 10_000)))
            self.svm.send(m.oracles.write_ixs(self.oracle.authority.pubkey(), m.price / PRICE), [self.oracle.authority],
                          payer=self.oracle.authority)
            self.svm.send([m.oracles.update_prices_ix(m.index, self.svm.program_id)])
        self.drain()
        self.quote()
        self.victim_orders()
        self.drain()
        self.top_up()

    def top_up(self) -> None:
        """Give the attacker's side collateral again when an earlier case withdrew or lost most of it."""
        for u in (self.attacker, self.accomplice):
            if self.read(User, u.address).collateral < 5_000 * QUOTE:
                self.svm.mint_to(self.ex.mint, self.ex.mint_authority, u.token_account, 10_000 * QUOTE)
                self.svm.send([ix.deposit(u.authority, u.token_account, 10_000 * QUOTE, 0, self.svm.program_id)],
                              [u.keypair], payer=u.keypair)

    # -- observation -----------------------------------------------------------------------------
    def note_users(self, addresses: list[Pubkey]) -> None:
        """Remember every margin account among ``addresses`` (the attacker may create some)."""
        for a in addresses:
            if a in self.known_users:
                continue
            acc = self.svm.account(a)
            if acc is None or acc.owner != self.svm.program_id or bytes(acc.data[:8]) != User.discriminator:
                continue
            try:
                _decoder(User)(bytes(acc.data))
            except struct.error:  # a User's discriminator on a short account: a forged one, never a margin account
                continue
            self.known_users.append(a)

    @cached_property
    def substitutes(self) -> list[Pubkey]:
        """The accounts a permuted case may put in any position: the exchange's, every market's, the actors',
        programs, a sysvar, the forged copies and the PDA of a market that does not exist."""
        pid, a = self.svm.program_id, self.addresses
        out = [a.exchange, a.collateral_vault, a.insurance_vault, self.ex.mint, a.admin, a.insurance_fund,
               market_pda(len(self.markets), pid), SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID, pid, MOCK_ORACLE_PROGRAM_ID,
               CLOCK, *self.fakes.values(), *self.stake_accounts]
        for m in self.markets:
            out += [m.market, m.orderbook, m.event_queue, *(f.address for f in m.oracles.feeds)]
        for u in (self.maker, self.victim, self.attacker, self.accomplice):
            out += [u.address, u.authority, u.token_account]
        return out

    @cached_property
    def stake_accounts(self) -> list[Pubkey]:
        """The InsuranceStake addresses of the victim, the attacker and the accomplice."""
        return [insurance_stake_pda(u.authority, self.svm.program_id) for u in (self.victim, self.attacker, self.accomplice)]

    @cached_property
    def token_accounts(self) -> list[Pubkey]:
        return [u.token_account for u in (self.maker, self.victim, self.attacker, self.accomplice)]

    def read(self, cls: type[D], address: Pubkey) -> D:
        """Decode a program account with the compiled decoder (``LocalSvm.decode`` checks, slower)."""
        acc = self.svm.account(address)
        if acc is None or acc.owner != self.svm.program_id:
            raise KeyError(f"no {cls.__name__} of the program at {address}")
        data = bytes(acc.data)
        cached = self._decoded.get(address)
        if cached is not None and cached[0] == data:  # most cases change nothing: skip decoding 9 KB books
            return cached[1]  # type: ignore[return-value]
        value = _decoder(cls)(data)
        self._decoded[address] = (data, value)
        return value

    def snapshot(self) -> Snapshot:
        """Read every account the checks compare."""
        svm, read = self.svm, self.read
        stakes: dict[Pubkey, InsuranceStake | None] = {}
        raw: dict[Pubkey, bytes | None] = {}
        for u, stake in zip((self.victim, self.attacker, self.accomplice), self.stake_accounts):
            acc = svm.account(stake)
            raw[u.authority] = bytes(acc.data) if acc is not None else None
            stakes[u.authority] = (_decoder(InsuranceStake)(bytes(acc.data))
                                   if acc is not None and acc.owner == svm.program_id else None)
        return Snapshot(
            slot=svm.clock().slot,
            exchange=read(Exchange, self.addresses.exchange),
            markets=[read(Market, m.market) for m in self.markets],
            books=[read(Orderbook, m.orderbook) for m in self.markets],
            queues=[read(EventQueue, m.event_queue) for m in self.markets],
            users={a: read(User, a) for a in self.known_users},
            fund=read(InsuranceFund, self.addresses.insurance_fund),
            stakes=stakes,
            stake_raw=raw,
            vault=svm.token_balance(self.addresses.collateral_vault),
            insurance=svm.token_balance(self.addresses.insurance_vault),
            wallets={t: svm.token_balance(t) for t in self.token_accounts},
        )

    @property
    def oracle_prices(self) -> dict[int, int]:
        return {m.index: m.price for m in self.markets}

    def queued_value(self, s: Snapshot, user: Pubkey) -> int:
        """Value at the oracle of ``user``'s maker fills still in the queues (rebates included)."""
        total = 0
        for m, q in zip(self.markets, s.queues):
            for i in range(q.count):
                f = q.fills[(q.head + i) % len(q.fills)]
                if f.maker != user or f.kind != QUEUE_EVENT_FILL:  # an out event (evicted or expired order) trades nothing
                    continue
                gain = (m.price - f.price) * f.base_amount if is_bid(f.maker_side) else (f.price - m.price) * f.base_amount
                total += gain // BASE + f.maker_rebate
        return total

    def account_value(self, s: Snapshot, user: Pubkey) -> int:
        """Equity of a margin account at the oracle prices, funding and queued maker fills included."""
        u = s.users[user]
        positions = [mirror.Position.from_account(p) for p in u.positions]
        return mirror.compute_margin(u.collateral, positions, s.states(self.oracle_prices)).equity + self.queued_value(s, user)

    def actor_value(self, s: Snapshot, actor: LocalUser) -> int:
        """An actor's wallet, margin account at the oracle and insurance stake, together."""
        return s.wallets[actor.token_account] + self.account_value(s, actor.address) + s.stake_value(actor.authority)

    def attacker_users(self, s: Snapshot) -> list[Pubkey]:
        """Every margin account owned by the attacker's or the accomplice's key."""
        keys = {self.attacker.authority, self.accomplice.authority}
        return [a for a, u in s.users.items() if u.authority in keys]


__all__ = ["BID", "ASK", "Actor", "Addresses", "is_bid", "FuzzMarket", "FuzzWorld", "MARKETS", "Snapshot", "built_program"]
