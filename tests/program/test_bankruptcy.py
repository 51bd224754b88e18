"""resolve_bankruptcy: collateral first, then the market's fee pool, then the insurance vault, then socialised
over open interest.

Expected values are computed here from the formulas of programs/perp/insurance.c:

    loss = -unsettled PnL;  from collateral = min(loss, collateral);  rest = loss - from collateral
    from the fee pool = min(rest, fee pool): the pool's claim on the PnL pool's tokens goes to the loss
    insurance paid = min(rest, insurance vault balance): tokens insurance vault -> collateral vault, into
    the PnL pool and the exchange total
    socialised = what is left when open interest > 0 (else 0):
    delta = ceil(socialised * 1e12 / (OI long + OI short)); cumulative long += delta, short -= delta
    unsettled PnL += from collateral + fee pool + insurance paid + socialised; flags cleared (and
    Exchange.bankruptUsers lowered) when the user's equity is no longer negative

and every open position then pays floor(-base * (cumulative - snapshot) / 1e12) through settle_funding
(rounded against the user, so the positions pay at least the socialised amount).

Besides vault == exchange total == collateral + PnL pools, the quote ledger of a market is checked:
PnL pool - (unsettled PnL + quote entry of every position) - fee pool starts at 0, trading, liquidation,
settle_pnl and revenue sweeps keep it, a socialisation lowers it by the socialised amount and the
funding the positions then pay raises it again (by at least as much).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from keepers.exchange import instructions as ix
from keepers.exchange.margin import Position
from localnet.bootstrap import LocalExchange, LocalUser
from programs_client.perp.accounts import User
from programs_client.perp.constants import BASE_PRECISION as BASE, FUNDING_PRECISION, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.errors import custom
from programs_client.perp.types import side
from tests.program import test_liquidation as tl
from tests.program.helpers import IDL_JSON, expect_error, single_event
from tests.program.oracle_accounts import market, priced_market, rest, trade, user
from tests.program.tamper import with_account

FLAG_BEING_LIQUIDATED, FLAG_BANKRUPT = 1, 2
_RB_ACCOUNTS = [a["name"] for a in next(i for i in IDL_JSON["instructions"] if i["name"] == "resolveBankruptcy")["accounts"]]
RB_INSURANCE, RB_VAULT = _RB_ACCOUNTS.index("insuranceVault"), _RB_ACCOUNTS.index("collateralVault")


# ------------------------------------------------------------------------------------------------
# helpers shared with test_insurance_fund.py


def in_use(p: Position) -> bool:
    return any(
        (
            p.base_amount,
            p.quote_entry_amount,
            p.unsettled_pnl,
            p.open_orders,
            p.open_bids,
            p.open_asks,
        )
    )


def slot_of(exchange: LocalExchange, u: LocalUser, index: int) -> int:
    """The position slot the user holds in market ``index``."""
    ps = [Position.from_account(p) for p in user(exchange, u).positions]
    found = [i for i, p in enumerate(ps) if p.market_index == index and in_use(p)]
    assert len(found) == 1
    return found[0]


def slot(exchange: LocalExchange, u: LocalUser, i: int) -> Position:
    return Position.from_account(user(exchange, u).positions[i])


def position(exchange: LocalExchange, u: LocalUser, index: int) -> Position:
    """The user's position in market ``index`` (a zero one when it has none)."""
    for p in user(exchange, u).positions:
        pos = Position.from_account(p)
        if pos.market_index == index and in_use(pos):
            return pos
    return Position(market_index=index)


def ledger(exchange: LocalExchange, index: int) -> int:
    """PnL pool - sum(unsettled PnL + quote entry) - fee pool of market ``index`` (see the module doc)."""
    m = market(exchange, index)
    claims = 0
    for u in exchange.users:
        p = position(exchange, u, index)
        claims += p.unsettled_pnl + p.quote_entry_amount
    return m.pnl_pool - claims - m.fee_pool


def conserved(exchange: LocalExchange) -> None:
    vault, total, claims = exchange.conservation()
    assert vault == total == claims, (vault, total, claims)


def owed(base: int, delta: int) -> int:
    """Funding of a position as PnL: floor(-base * delta / 1e12)."""
    return -base * delta // FUNDING_PRECISION


def ceil_div(a: int, d: int) -> int:
    return -(-a // d)


def insurance_balance(exchange: LocalExchange) -> int:
    return exchange.svm.token_balance(exchange.insurance_vault)


def fund_insurance_vault(exchange: LocalExchange, amount: int) -> None:
    """Put tokens in the insurance vault (a plain SPL mint: the vault is an ordinary token account)."""
    exchange.svm.mint_to(exchange.mint, exchange.mint_authority, exchange.insurance_vault, amount)


def bankrupt(
    exchange: LocalExchange, crash_to: int = 89 * PRICE, collateral: int = 1_000 * QUOTE
) -> tl.Setup:
    """test_liquidation's set-up (target long 95 at 100 from maker), the mark crashes to ``crash_to`` and the
    liquidator takes over all of it: the target is flat with a realised loss above its collateral."""
    s = tl.setup(exchange, collateral=collateral)
    tl.reprice(exchange, s.index, s.feed, crash_to)
    out = tl.liquidate(exchange, s.liq, s.target, s.index, 100 * BASE)
    assert out.ok, "\n".join(out.logs)
    pos = position(exchange, s.target, s.index)
    assert (pos.base_amount, pos.open_bids, pos.open_asks, pos.open_orders) == (0, 0, 0, 0)
    assert -pos.unsettled_pnl > user(exchange, s.target).collateral
    assert user(exchange, s.target).flags == FLAG_BEING_LIQUIDATED | FLAG_BANKRUPT
    assert ledger(exchange, s.index) == 0
    return s


def resolve(exchange: LocalExchange, u: LocalUser, index: int):
    return exchange.svm.send([ix.resolve_bankruptcy(u.address, index, exchange.program_id)])


def resolve_and_check(exchange: LocalExchange, u: LocalUser, index: int) -> dict[str, int]:
    """resolve_bankruptcy, every account change and the event checked against the formulas."""
    svm = exchange.svm
    st, m0 = user(exchange, u), market(exchange, index)
    i = slot_of(exchange, u, index)
    pos = slot(exchange, u, i)
    loss = -pos.unsettled_pnl
    assert loss > 0
    from_collateral = min(loss, st.collateral)
    rest_ = min(loss - from_collateral, -(st.collateral + sum(p.unsettled_pnl for p in st.positions)))
    from_fees = min(rest_, m0.fee_pool)
    rest_ -= from_fees
    insurance_paid = min(rest_, insurance_balance(exchange))
    rest_ -= insurance_paid
    oi = m0.open_interest_long + m0.open_interest_short
    socialised = rest_ if oi else 0
    delta = ceil_div(socialised * FUNDING_PRECISION, oi) if socialised else 0
    vaults = (
        insurance_balance(exchange),
        svm.token_balance(exchange.collateral_vault),
        exchange.state().total_collateral,
    )
    ledger0 = ledger(exchange, index)
    counted = exchange.state().bankrupt_users
    others = {
        bytes(o.address): position(exchange, o, index)
        for o in exchange.users
        if o.address != u.address
    }

    out = svm.send([ix.resolve_bankruptcy(u.address, index, exchange.program_id)])
    assert out.ok, "\n".join(out.logs)

    after = user(exchange, u)
    new_pnl = -loss + from_collateral + from_fees + insurance_paid + socialised
    assert after.collateral == st.collateral - from_collateral
    assert slot(exchange, u, i) == replace(pos, unsettled_pnl=new_pnl)
    assert [slot(exchange, u, j) for j in range(len(st.positions)) if j != i] == [
        Position.from_account(p) for j, p in enumerate(st.positions) if j != i
    ]
    equity_after = after.collateral + sum(p.unsettled_pnl for p in after.positions)
    cleared = equity_after >= 0
    flags = st.flags & ~(FLAG_BANKRUPT | FLAG_BEING_LIQUIDATED) if cleared else st.flags | FLAG_BANKRUPT
    assert after.flags == flags
    assert exchange.state().bankrupt_users == counted - (cleared and st.flags & FLAG_BANKRUPT != 0) + (
        not cleared and st.flags & FLAG_BANKRUPT == 0
    )
    m = market(exchange, index)
    assert m.pnl_pool == m0.pnl_pool + from_collateral + insurance_paid
    assert m.fee_pool == m0.fee_pool - from_fees
    assert (m.cumulative_funding_long, m.cumulative_funding_short) == (
        m0.cumulative_funding_long + delta,
        m0.cumulative_funding_short - delta,
    )
    assert m.socialised_loss == m0.socialised_loss + socialised
    assert (m.open_interest_long, m.open_interest_short) == (
        m0.open_interest_long,
        m0.open_interest_short,
    )
    # tokens: insurance vault -> collateral vault, and the exchange total grows with them
    assert (
        insurance_balance(exchange),
        svm.token_balance(exchange.collateral_vault),
        exchange.state().total_collateral,
    ) == (
        vaults[0] - insurance_paid,
        vaults[1] + insurance_paid,
        vaults[2] + insurance_paid,
    )
    # other accounts are not touched: they pay later, through their funding
    for o in exchange.users:
        if o.address != u.address:
            assert position(exchange, o, index) == others[bytes(o.address)]
    ev = single_event(out, "BankruptcyResolved")
    assert (
        ev.user,
        ev.loss,
        ev.fee_pool_paid,
        ev.insurance_paid,
        ev.socialised,
        ev.funding_delta,
        ev.market_index,
    ) == (
        u.address,
        loss,
        from_fees,
        insurance_paid,
        socialised,
        delta,
        index,
    )
    assert ledger(exchange, index) == ledger0 - socialised
    conserved(exchange)
    return {
        "loss": loss,
        "from_collateral": from_collateral,
        "from_fees": from_fees,
        "insurance_paid": insurance_paid,
        "socialised": socialised,
        "delta": delta,
        "left": -new_pnl,
    }


def settle_funding_and_check(exchange: LocalExchange, u: LocalUser, index: int) -> int:
    """settle_funding for ``u`` (one position), checked; returns the funding it paid (>= 0 here)."""
    pos = position(exchange, u, index)
    m = market(exchange, index)
    cum = m.cumulative_funding_long if pos.base_amount >= 0 else m.cumulative_funding_short
    amount = owed(pos.base_amount, cum - pos.last_cumulative_funding)
    exchange.svm.send_ok(
        [ix.settle_funding(u.address, [exchange.market_address(index)], exchange.program_id)]
    )
    assert position(exchange, u, index) == replace(
        pos, unsettled_pnl=pos.unsettled_pnl + amount, last_cumulative_funding=cum
    )
    return -amount


def close_survivors(exchange: LocalExchange, s: tl.Setup, price: int = 89 * PRICE) -> None:
    """The maker (short 95) buys back the liquidator's long 95 at ``price``: open interest goes to 0."""
    assert position(exchange, s.maker, s.index).base_amount == -95 * BASE
    assert position(exchange, s.liq, s.index).base_amount == 95 * BASE
    trade(exchange, s.maker, s.liq, s.index, side.Ask(), price, 95 * BASE)
    m = market(exchange, s.index)
    assert (m.open_interest_long, m.open_interest_short) == (0, 0)


def settle_all(exchange: LocalExchange, index: int) -> None:
    """settle_pnl for every user, losers first, then winners; each checked against the bounds."""
    users = sorted(exchange.users, key=lambda u: position(exchange, u, index).unsettled_pnl)
    for u in users:
        pnl = position(exchange, u, index).unsettled_pnl
        collateral, pool = user(exchange, u).collateral, market(exchange, index).pnl_pool
        moved = -min(-pnl, collateral) if pnl < 0 else min(pnl, pool)
        out = exchange.svm.send_ok([ix.settle_pnl(u.address, index, exchange.program_id)])
        ev = single_event(out, "PnlSettled")
        assert (ev.amount, ev.unsettled_after) == (moved, pnl - moved)
        assert user(exchange, u).collateral == collateral + moved
    conserved(exchange)


# ------------------------------------------------------------------------------------------------
# when a user is bankrupt


def test_not_bankrupt_while_the_position_is_open(exchange: LocalExchange) -> None:
    s = tl.setup(exchange)
    tl.reprice(exchange, s.index, s.feed, 89 * PRICE)
    pos = position(exchange, s.target, s.index)
    assert pos.base_amount == 95 * BASE and pos.unsettled_pnl < 0  # the taker fee
    before = (user(exchange, s.target), market(exchange, s.index))
    expect_error(resolve(exchange, s.target, s.index), custom.NotBankrupt)
    assert (user(exchange, s.target), market(exchange, s.index)) == before


def test_not_bankrupt_with_a_resting_order_nor_while_collateral_covers_the_loss(
    exchange: LocalExchange,
) -> None:
    """A round trip leaves a flat user with a loss its collateral covers: with a resting order, and
    without one, it is not bankrupt (settle_pnl, not the insurance fund, takes the loss)."""
    index, _ = priced_market(exchange, 100 * PRICE)
    mm = exchange.add_user(deposit=5_000 * QUOTE)
    u = exchange.add_user(deposit=500 * QUOTE)
    trade(exchange, mm, u, index, side.Bid(), 100 * PRICE, 2 * BASE)
    trade(exchange, mm, u, index, side.Ask(), 97 * PRICE + 130_000, 2 * BASE)
    assert rest(exchange, u, index, side.Bid(), 90 * PRICE, BASE).ok
    pos = position(exchange, u, index)
    assert (
        pos.base_amount == 0
        and pos.unsettled_pnl < 0
        and (pos.open_bids, pos.open_orders) == (BASE, 1)
    )
    fund_insurance_vault(exchange, 50 * QUOTE)
    expect_error(resolve(exchange, u, index), custom.NotBankrupt)
    exchange.svm.send_ok([ix.cancel_all_orders(u.authority, u.address, index)], [u.keypair])
    loss = -position(exchange, u, index).unsettled_pnl
    expect_error(resolve(exchange, u, index), custom.NotBankrupt)
    exchange.svm.send_ok([ix.settle_pnl(u.address, index)])
    assert user(exchange, u).collateral == 500 * QUOTE - loss
    assert insurance_balance(exchange) == 50 * QUOTE


def test_not_bankrupt_without_a_loss(exchange: LocalExchange) -> None:
    index, _ = priced_market(exchange, 100 * PRICE)
    mm = exchange.add_user(deposit=5_000 * QUOTE)
    winner = exchange.add_user(deposit=500 * QUOTE)
    fresh = exchange.add_user(deposit=10 * QUOTE)
    trade(exchange, mm, winner, index, side.Bid(), 100 * PRICE, 2 * BASE)
    trade(exchange, mm, winner, index, side.Ask(), 103 * PRICE, 2 * BASE)
    pos = position(exchange, winner, index)
    assert pos.base_amount == 0 and pos.unsettled_pnl > 0
    expect_error(resolve(exchange, winner, index), custom.NotBankrupt)
    expect_error(resolve(exchange, fresh, index), custom.NotBankrupt)  # no position: PnL 0
    # settled to exactly zero: still not bankrupt
    exchange.svm.send_ok([ix.settle_pnl(mm.address, index)])
    exchange.svm.send_ok([ix.settle_pnl(winner.address, index)])
    assert position(exchange, winner, index).unsettled_pnl == 0
    expect_error(resolve(exchange, winner, index), custom.NotBankrupt)


# ------------------------------------------------------------------------------------------------
# the three sources


@pytest.mark.parametrize("insurance", ["none", "part", "all", "more"])
def test_collateral_then_insurance_then_socialised(exchange: LocalExchange, insurance: str) -> None:
    s = bankrupt(exchange)
    loss = -position(exchange, s.target, s.index).unsettled_pnl
    fees = market(exchange, s.index).fee_pool  # the trading fees not yet swept: drawn on before the fund
    rest_ = loss - user(exchange, s.target).collateral - fees
    assert rest_ > 0 and fees > 0
    amount = {"none": 0, "part": rest_ // 3 + 7, "all": rest_, "more": rest_ + 123_457}[insurance]
    if amount:
        fund_insurance_vault(exchange, amount)
    got = resolve_and_check(exchange, s.target, s.index)
    assert (got["from_collateral"], got["from_fees"]) == (1_000 * QUOTE, fees)
    assert market(exchange, s.index).fee_pool == 0
    assert got["insurance_paid"] == min(amount, rest_)
    assert got["socialised"] == rest_ - min(amount, rest_)
    assert got["left"] == 0
    assert user(exchange, s.target).collateral == 0
    assert user(exchange, s.target).flags == 0
    assert insurance_balance(exchange) == amount - min(amount, rest_)
    if got["socialised"]:
        oi = 190 * BASE
        assert got["delta"] * oi >= got["socialised"] * FUNDING_PRECISION > (got["delta"] - 1) * oi
    else:
        assert got["delta"] == 0
    # nothing left to resolve
    expect_error(resolve(exchange, s.target, s.index), custom.NotBankrupt)


def test_socialised_loss_is_paid_by_the_open_positions_through_their_funding(
    exchange: LocalExchange,
) -> None:
    s = bankrupt(exchange)
    fund_insurance_vault(exchange, 40 * QUOTE + 3)
    got = resolve_and_check(exchange, s.target, s.index)
    soc, delta = got["socialised"], got["delta"]
    assert soc > 0 and (soc * FUNDING_PRECISION) % (190 * BASE) != 0  # the delta is rounded up
    # the long (liquidator) and the short (maker) each pay floor(-base * delta / 1e12) of their side
    maker_paid = settle_funding_and_check(exchange, s.maker, s.index)
    liq_paid = settle_funding_and_check(exchange, s.liq, s.index)
    assert maker_paid == ceil_div(95 * BASE * delta, FUNDING_PRECISION)
    assert liq_paid == ceil_div(95 * BASE * delta, FUNDING_PRECISION)
    paid = maker_paid + liq_paid
    # rounding against the users: at least the socialised loss, at most a unit per position (+ delta's ceil)
    assert soc <= paid <= soc + 2 + ceil_div(190 * BASE, FUNDING_PRECISION)
    assert ledger(exchange, s.index) == paid - soc
    # settling again moves nothing
    assert settle_funding_and_check(exchange, s.maker, s.index) == 0
    # the survivors close against each other and everyone settles: every PnL is paid in full and the
    # PnL pool keeps exactly the fee pool plus the rounding the positions overpaid
    close_survivors(exchange, s)
    settle_all(exchange, s.index)
    for u in exchange.users:
        assert position(exchange, u, s.index).unsettled_pnl == 0
    m = market(exchange, s.index)
    assert m.pnl_pool == m.fee_pool + paid - soc
    assert ledger(exchange, s.index) == paid - soc
    conserved(exchange)


def test_a_position_opened_after_the_resolution_does_not_pay(exchange: LocalExchange) -> None:
    s = bankrupt(exchange)
    got = resolve_and_check(exchange, s.target, s.index)
    assert got["socialised"] > 0
    late_maker = exchange.add_user(deposit=5_000 * QUOTE)
    late = exchange.add_user(deposit=5_000 * QUOTE)
    trade(exchange, late_maker, late, s.index, side.Bid(), 89 * PRICE, 3 * BASE)
    m = market(exchange, s.index)
    assert position(exchange, late, s.index).last_cumulative_funding == m.cumulative_funding_long
    assert (
        position(exchange, late_maker, s.index).last_cumulative_funding
        == m.cumulative_funding_short
    )
    assert settle_funding_and_check(exchange, late, s.index) == 0
    assert settle_funding_and_check(exchange, late_maker, s.index) == 0


def test_collateral_already_settled_in_is_not_counted_twice(exchange: LocalExchange) -> None:
    s = bankrupt(exchange)
    loss = -position(exchange, s.target, s.index).unsettled_pnl
    exchange.svm.send_ok([ix.settle_pnl(s.target.address, s.index)])
    assert user(exchange, s.target).collateral == 0
    assert position(exchange, s.target, s.index).unsettled_pnl == -(loss - 1_000 * QUOTE)
    got = resolve_and_check(exchange, s.target, s.index)
    assert (got["from_collateral"], got["insurance_paid"], got["socialised"]) == (
        0,
        0,
        loss - 1_000 * QUOTE - got["from_fees"],
    )
    assert market(exchange, s.index).pnl_pool == 1_000 * QUOTE


def test_without_open_interest_the_rest_waits_for_the_insurance_fund(
    exchange: LocalExchange,
) -> None:
    s = bankrupt(exchange)
    close_survivors(exchange, s)
    fund_insurance_vault(exchange, 10 * QUOTE)
    got = resolve_and_check(exchange, s.target, s.index)
    rest_ = got["loss"] - 1_000 * QUOTE - got["from_fees"] - 10 * QUOTE
    assert rest_ > 0
    assert (got["insurance_paid"], got["socialised"], got["delta"], got["left"]) == (
        10 * QUOTE,
        0,
        0,
        rest_,
    )
    # still bankrupt: the flags stay and the loss stays unsettled
    assert user(exchange, s.target).flags == FLAG_BEING_LIQUIDATED | FLAG_BANKRUPT
    assert market(exchange, s.index).socialised_loss == 0
    # an empty insurance vault and no open interest: the call changes nothing but the event
    got = resolve_and_check(exchange, s.target, s.index)
    assert (got["from_collateral"], got["insurance_paid"], got["socialised"], got["left"]) == (
        0,
        0,
        0,
        rest_,
    )
    # the fund is topped up: the rest is paid and the flags clear
    fund_insurance_vault(exchange, rest_ + 5)
    got = resolve_and_check(exchange, s.target, s.index)
    assert (got["insurance_paid"], got["left"]) == (rest_, 0)
    assert user(exchange, s.target).flags == 0
    assert insurance_balance(exchange) == 5
    settle_all(exchange, s.index)
    for u in exchange.users:
        assert position(exchange, u, s.index).unsettled_pnl == 0
    m = market(exchange, s.index)
    assert m.pnl_pool == m.fee_pool and ledger(exchange, s.index) == 0


# ------------------------------------------------------------------------------------------------
# accounts


def test_vaults_must_be_the_exchanges(exchange: LocalExchange) -> None:
    s = bankrupt(exchange)
    good = ix.resolve_bankruptcy(s.target.address, s.index, exchange.program_id)
    swapped = with_account(
        with_account(good, RB_INSURANCE, exchange.collateral_vault),
        RB_VAULT,
        exchange.insurance_vault,
    )
    expect_error(exchange.svm.send([swapped]), custom.InvalidVault)
    stranger = exchange.svm.token_account(exchange.svm.funded_keypair(1).pubkey(), exchange.mint)
    exchange.svm.mint_to(exchange.mint, exchange.mint_authority, stranger, 500 * QUOTE)
    expect_error(
        exchange.svm.send([with_account(good, RB_INSURANCE, stranger)]), custom.InvalidVault
    )
    assert exchange.svm.token_balance(stranger) == 500 * QUOTE


def test_user_account_must_be_a_user(exchange: LocalExchange) -> None:
    s = bankrupt(exchange)
    good = ix.resolve_bankruptcy(s.target.address, s.index, exchange.program_id)
    expect_error(
        exchange.svm.send([with_account(good, 0, exchange.market_address(s.index))]),
        custom.InvalidDiscriminator,
    )
    assert (
        exchange.svm.decode(User, s.target.address).flags == FLAG_BEING_LIQUIDATED | FLAG_BANKRUPT
    )


# ------------------------------------------------------------------------------------------------
# solvency is the user's, not one market's


def test_profit_owed_in_another_market_is_not_covered_by_the_insurance_fund(
    exchange: LocalExchange,
) -> None:
    """A flat user with a loss in market 0 larger than its collateral, but a larger realised profit in
    market 1 that is still unsettled (market 1's PnL pool is empty until its loser settles).

    Its equity (collateral + unsettled PnL of every market) is positive: it can pay the loss. The
    insurance fund and the other traders must not pay it for the user, who then collects its profit in
    full. Expected: NotBankrupt, or at most its collateral used (nothing from insurance, nothing
    socialised)."""
    m0, _ = priced_market(exchange, 100 * PRICE)
    m1, _ = priced_market(exchange, 100 * PRICE)
    mm0, mm1 = exchange.add_user(deposit=5_000 * QUOTE), exchange.add_user(deposit=5_000 * QUOTE)
    u = exchange.add_user(deposit=100 * QUOTE)
    # market 1: u buys 9 at 100 and sells them at 130 to mm1: +270 less fees, unsettled
    trade(exchange, mm1, u, m1, side.Bid(), 100 * PRICE, 9 * BASE)
    trade(exchange, mm1, u, m1, side.Ask(), 130 * PRICE, 9 * BASE)
    # market 0: u buys 20 at 100 and sells them at 90 to mm0: -200 less fees
    trade(
        exchange,
        mm0,
        u,
        m0,
        side.Bid(),
        100 * PRICE,
        20 * BASE,
        taker_other_markets=[exchange.market_address(m1)],
    )
    trade(
        exchange,
        mm0,
        u,
        m0,
        side.Ask(),
        90 * PRICE,
        20 * BASE,
        taker_other_markets=[exchange.market_address(m1)],
    )
    p0, p1 = position(exchange, u, m0), position(exchange, u, m1)
    assert p0.base_amount == p1.base_amount == 0
    collateral = user(exchange, u).collateral
    assert -p0.unsettled_pnl > collateral
    equity = collateral + p0.unsettled_pnl + p1.unsettled_pnl
    assert equity > 50 * QUOTE
    assert market(exchange, m1).pnl_pool == 0  # the profit cannot be settled yet
    fund_insurance_vault(exchange, 1_000 * QUOTE)
    out = resolve(exchange, u, m0)
    if out.ok:
        ev = single_event(out, "BankruptcyResolved")
        # what the program did to a solvent user, and what it lets the user walk away with
        exchange.svm.send_ok([ix.settle_pnl(mm1.address, m1)])
        exchange.svm.send_ok([ix.settle_pnl(u.address, m1)])
        assert (ev.insurance_paid, ev.socialised) == (0, 0), (
            f"user with equity {equity} (collateral {collateral}, PnL {p0.unsettled_pnl} in market {m0}, "
            f"+{p1.unsettled_pnl} unsettled in market {m1}) resolved as bankrupt in market {m0}: insurance "
            f"paid {ev.insurance_paid}, socialised {ev.socialised}; after settling market {m1} its collateral "
            f"is {user(exchange, u).collateral}, more than its equity {equity}"
        )
    else:
        expect_error(out, custom.NotBankrupt)


def test_a_flagged_user_that_deposited_is_unflagged_without_paying(exchange: LocalExchange) -> None:
    """Exchange.bankruptUsers holds insurance removals back while it is not zero, so a flag must not outlive
    the deficit: a bankrupt user that deposits enough is unflagged by resolve_bankruptcy, which moves
    nothing else (no fee pool, no insurance, no socialisation)."""
    s = bankrupt(exchange)
    fund_insurance_vault(exchange, 500 * QUOTE)
    assert exchange.state().bankrupt_users == 1
    deficit = -(user(exchange, s.target).collateral + position(exchange, s.target, s.index).unsettled_pnl)
    exchange.svm.send_ok(
        [ix.deposit(s.target.authority, s.target.token_account, deficit, program_id=exchange.program_id)],
        [s.target.keypair],
    )
    m0, pos0, coll0 = market(exchange, s.index), position(exchange, s.target, s.index), user(exchange, s.target).collateral
    out = resolve(exchange, s.target, s.index)
    assert out.ok, out.logs
    assert user(exchange, s.target).flags == 0 and exchange.state().bankrupt_users == 0
    assert (market(exchange, s.index), position(exchange, s.target, s.index)) == (m0, pos0)
    assert user(exchange, s.target).collateral == coll0 and insurance_balance(exchange) == 500 * QUOTE
    expect_error(resolve(exchange, s.target, s.index), custom.NotBankrupt)
