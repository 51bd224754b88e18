/* liquidate_perp: take over part of an under-margined position.

   Size: see pk_liquidation_size: the base whose transfer at the discounted price restores equity to
   PK_LIQUIDATION_TARGET_BPS of the maintenance requirement, in lots, capped by the position and the
   liquidator's maximum.
   Prices: the user trades at mark -+ fee, the liquidator at mark -+ fee * (1 - insurance share); the
   difference goes to the fee pool, the insurance fund's revenue. Both quotes are computed from the
   mark and the fee in basis points in one product (pk_liquidation_quote), never from a price rounded
   to whole price units first: at a mark of a few price units that rounding made a 250 bps fee 1,000
   bps, or the whole position. A fee is at most its basis points plus one quote unit.
   Fee cap: the user gives up at most its equity before the liquidation (nothing when that is already
   negative), the liquidator's part first: a fee beyond equity would only be socialised, and its
   insurance part swept back to the insurance fund as revenue. */

#include "pk_program.h"

typedef struct {
  pk_user_t          *user;
  pk_user_t          *liquidator;
  pk_market_t        *market;
  pk_perp_position_t *pos;
} pk_liquidation_t;

/* PK_LIQUIDATION_ROUNDING_SLACK (IDL constant): quote units the integer rounding of one transfer can cost
   the user's margin beyond the estimate: the fill's floor, the position value's floor and the two
   ceilings of the requirement. */

/* PK_LIQUIDATION_TARGET_BPS (IDL constant): a liquidation restores equity to this share of the
   maintenance requirement (1e4 = maintenance), not to maintenance itself: a user left exactly at maintenance is liquidatable again at the next tick
   of the price, one lot and one fee at a time. Half again (between maintenance and the initial margin
   of markets whose initial margin is twice their maintenance) is what Drift's buffer and Mango's
   "liquidate to initial health" achieve. */

/* Base to take over: enough that equity meets the target afterwards. Per whole base the transfer
   releases mark * maintenance * target / 1e8 of target requirement and costs mark * fee / 1e4 of equity
   (the uncapped fee); their difference is floored, so the estimate errs toward taking more. Rounded up
   to a lot, all of it when the rest would be below the minimum order and max_base allows, capped by
   max_base rounded down to a lot. */
static u64
pk_liquidation_size( const pk_liquidation_t *l, const pk_margin_t *mg, u64 max_base, u64 *out ) {
  const pk_market_params_t *mp = &l->market->params;
  u64 mark = l->market->mark_price;
  i64 b = l->pos->base_amount;
  u64 held = b < 0 ? (u64)0 - (u64)b : (u64)b;
  u64 equity = mg->equity < 0 ? 0 : (u64)mg->equity;
  u64 target, shortfall, q;
  if( pk_mul_div_ceil( mg->maintenance_requirement, PK_LIQUIDATION_TARGET_BPS, PK_BPS, &target ) ) target = PK_U64_MAX;
  shortfall = target > equity ? target - equity : 0;
  /* A shortfall beyond u64 takes the whole position (below, as a failed division does). */
  if( mg->equity < 0 && pk_add_u64( shortfall, (u64)0 - (u64)mg->equity, &shortfall ) ) shortfall = PK_U64_MAX;
  if( pk_add_u64( shortfall, PK_LIQUIDATION_ROUNDING_SLACK, &shortfall ) ) shortfall = PK_U64_MAX;
  u64 released = (u64)mp->maintenance_margin_bps * PK_LIQUIDATION_TARGET_BPS, cost = (u64)mp->liquidation_fee_bps * PK_BPS, net = 0;
  if( released > cost ) PK_TRY( pk_mul_div_floor( mark, released - cost, PK_BPS * PK_BPS, &net ) );
  if( net == 0 || pk_mul_div_ceil( shortfall, PK_BASE_PRECISION, net, &q ) ) q = held;
  if( q % mp->lot_size ) q = q > PK_U64_MAX - mp->lot_size ? held : q + mp->lot_size - q % mp->lot_size;
  if( q > held ) q = held;
  if( held - q < mp->min_order_size && max_base >= held ) q = held;
  u64 cap = max_base - max_base % mp->lot_size;
  if( q > cap ) q = cap;
  *out = q;
  return 0;
}

/* pk_liquidation_quote sets *out to base * mark * factor / (PK_BASE_PRECISION * PK_BPS), rounded up when
   `up` (nested floors or ceilings of positive integers equal the single one). factor <= 2 * PK_BPS.
   Fails with PK_ERR_MATH_OVERFLOW when the result exceeds 2^64 - 1. */
static u64
pk_liquidation_quote( u64 base, u64 mark, u64 factor, int up, u64 *out ) {
  u64 hi, lo, h2, l2;
  pk_mul_64( base, mark, &hi, &lo );
  if( PK_UNLIKELY( hi >> 47 ) ) return PK_ERR_MATH_OVERFLOW;   /* times factor (< 2^15) must fit 128 bits */
  pk_mul_64( lo, factor, &h2, &l2 );
  hi = hi * factor + h2;
  lo = l2;
  u64 r = pk_div_128_small( &hi, &lo, PK_BPS );
  if( up && r && ++lo == 0 ) hi++;
  r = pk_div_128_small( &hi, &lo, PK_BASE_PRECISION );
  if( up && r && ++lo == 0 ) hi++;
  if( PK_UNLIKELY( hi ) ) return PK_ERR_MATH_OVERFLOW;
  *out = lo;
  return 0;
}

/* The user's and the liquidator's quotes of a liquidation (see the header). */
typedef struct {
  u64 base, mark, fee_bps, liq_fee_bps;
  u64 cap;          /* the most the user gives up against its fill at mark: its equity before, at least 0 */
  u8  user_side;
  u64 user_quote, liq_quote;   /* out */
} pk_liquidation_quotes_t;

/* Full fees from the mark, then the user's fee capped by q->cap quote units below its fill at mark (above
   it when buying back), the liquidator's gain by the same cap: the liquidator is paid first and the fee
   pool gets what is left (never negative). */
static u64
pk_liquidation_quotes( pk_liquidation_quotes_t *q ) {
  u64 at_floor, at_ceil;
  PK_TRY( pk_fill_quote( q->base, q->mark, PK_SIDE_ASK, &at_floor ) );
  PK_TRY( pk_fill_quote( q->base, q->mark, PK_SIDE_BID, &at_ceil ) );
  if( q->user_side == PK_SIDE_ASK ) {
    PK_TRY( pk_liquidation_quote( q->base, q->mark, PK_BPS - q->fee_bps, 0, &q->user_quote ) );
    PK_TRY( pk_liquidation_quote( q->base, q->mark, PK_BPS - q->liq_fee_bps, 1, &q->liq_quote ) );
    u64 least_user = at_floor > q->cap ? at_floor - q->cap : 0, least_liq = at_ceil > q->cap ? at_ceil - q->cap : 0;
    if( q->user_quote < least_user ) q->user_quote = least_user;
    if( q->liq_quote < least_liq ) q->liq_quote = least_liq;
  } else {
    PK_TRY( pk_liquidation_quote( q->base, q->mark, PK_BPS + q->fee_bps, 1, &q->user_quote ) );
    PK_TRY( pk_liquidation_quote( q->base, q->mark, PK_BPS + q->liq_fee_bps, 0, &q->liq_quote ) );
    u64 most_user, most_liq;
    if( pk_add_u64( at_ceil, q->cap, &most_user ) ) most_user = PK_U64_MAX;
    if( pk_add_u64( at_floor, q->cap, &most_liq ) ) most_liq = PK_U64_MAX;
    if( q->user_quote > most_user ) q->user_quote = most_user;
    if( q->liq_quote > most_liq ) q->liq_quote = most_liq;
  }
  return 0;
}

u64
pk_ix_liquidate_perp( SolParameters *p ) {
  enum { LIQUIDATOR = IX_ACC( LIQUIDATE_PERP, LIQUIDATOR ), LIQ_USER = IX_ACC( LIQUIDATE_PERP, LIQUIDATOR_USER ),
         USER = IX_ACC( LIQUIDATE_PERP, USER ), MARKET = IX_ACC( LIQUIDATE_PERP, MARKET ),
         BOOK = IX_ACC( LIQUIDATE_PERP, ORDERBOOK ) };
  PK_CHECK_IX( p, LIQUIDATE_PERP );
  pk_liquidation_t l;
  pk_orderbook_t *book;
  PK_TRY( pk_load_user_as_trader( p, LIQ_USER, LIQUIDATOR, &l.liquidator ) );
  PK_TRY( pk_load_account( p, USER, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)&l.user ) );
  if( PK_UNLIKELY( pk_pubkey_eq( p->ka[USER].key, p->ka[LIQ_USER].key ) ) ) PK_FAIL( PK_ERR_CANNOT_LIQUIDATE_SELF, USER );
  PK_TRY( pk_load_market( p, MARKET, &l.market ) );
  PK_TRY( pk_load_account( p, BOOK, PK_ORDERBOOK_DISCRIMINATOR, PK_ORDERBOOK_LEN, (void **)&book ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[BOOK].key, &l.market->orderbook ) ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, BOOK );
  pk_market_t *m = l.market;
  if( PK_UNLIKELY( m->status != PK_MARKET_STATUS_ACTIVE && m->status != PK_MARKET_STATUS_REDUCE_ONLY ) )
    PK_FAIL( PK_ERR_MARKET_NOT_TRADABLE, MARKET );
  if( PK_UNLIKELY( m->mark_price == 0 ) ) PK_FAIL( PK_ERR_ORACLE_UNAVAILABLE, MARKET );

  pk_margin_t before;
  u64 order_loss;
  i64 adjusted;
  PK_TRY( pk_compute_margin( p, l.user, m, PK_IX_LIQUIDATE_PERP_ACCOUNTS, &before ) );
  if( PK_UNLIKELY( before.mark_stale ) ) PK_FAIL( PK_ERR_MARK_STALE, MARKET );
  PK_TRY( pk_orders_through_mark_loss( book, p->ka[USER].key, m->mark_price, &order_loss ) );
  PK_TRY( pk_equity_less( before.equity, order_loss, &adjusted ) );
  /* Resting orders count as filled at their worst side and at their prices: an account whose orders
     could take it below maintenance has them cancelled, as its positions would be liquidated. */
  int positions_short = before.equity < 0 || (u64)before.equity < before.maintenance_requirement;
  int orders_short = adjusted < 0 || (u64)adjusted < before.maintenance_with_orders;
  if( PK_UNLIKELY( !orders_short ) ) PK_FAIL( PK_ERR_NOT_LIQUIDATABLE, USER );
  PK_TRY( pk_position_for_market( l.user, m, &l.pos ) );
  PK_TRY( pk_position_settle_funding( l.pos, m ) );
  u64 resting = (u64)book->bid_count + book->ask_count;
  pk_book_cancel_user( book, p->ka[USER].key, l.pos, m->market_index );
  int cancelled = resting != (u64)book->bid_count + book->ask_count;
  /* Cancelling alone: orders short but positions not, no base here, or a liquidator asking for no base. */
  if( !positions_short || l.pos->base_amount == 0 || ( cancelled && PK_ARGS( p, liquidate_perp )->max_base_amount == 0 ) ) {
    if( PK_UNLIKELY( !cancelled ) )
      PK_FAIL( positions_short ? PK_ERR_NO_POSITION_TO_LIQUIDATE : PK_ERR_NOT_LIQUIDATABLE, USER );
    return 0;
  }

  /* The user closes (sells a long, buys back a short); the liquidator takes the other side. */
  u8 user_side = l.pos->base_amount > 0 ? PK_SIDE_ASK : PK_SIDE_BID;
  u8 liq_side = user_side == PK_SIDE_ASK ? PK_SIDE_BID : PK_SIDE_ASK;
  const pk_market_params_t *mp = &m->params;
  u64 fee_to_liquidator_bps = (u64)mp->liquidation_fee_bps * ( PK_BPS - mp->insurance_share_bps ) / PK_BPS;
  u64 user_price, liq_price, user_quote, liq_quote;
  u64 base;
  PK_TRY( pk_liquidation_size( &l, &before, PK_ARGS( p, liquidate_perp )->max_base_amount, &base ) );
  if( PK_UNLIKELY( base == 0 ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  pk_liquidation_quotes_t lq = { base, m->mark_price, mp->liquidation_fee_bps, fee_to_liquidator_bps,
                                  before.equity > 0 ? (u64)before.equity : 0, user_side, 0, 0 };
  PK_TRY( pk_liquidation_quotes( &lq ) );
  user_quote = lq.user_quote;
  liq_quote = lq.liq_quote;
  /* The event's nominal prices: mark -+ the full fee, rounded to whole price units against each side. */
  if( user_side == PK_SIDE_ASK ) {
    PK_TRY( pk_mul_div_floor( m->mark_price, PK_BPS - mp->liquidation_fee_bps, PK_BPS, &user_price ) );
    PK_TRY( pk_mul_div_floor( m->mark_price, PK_BPS - fee_to_liquidator_bps, PK_BPS, &liq_price ) );
  } else {
    PK_TRY( pk_mul_div_ceil( m->mark_price, PK_BPS + mp->liquidation_fee_bps, PK_BPS, &user_price ) );
    PK_TRY( pk_mul_div_ceil( m->mark_price, PK_BPS + fee_to_liquidator_bps, PK_BPS, &liq_price ) );
  }
  pk_oi_change_t oi_user, oi_liq;
  pk_fill_t user_fill = { base, user_quote, user_side };
  PK_TRY( pk_position_apply_fill( l.pos, m, &user_fill, &oi_user ) );
  pk_perp_position_t *liq_pos;
  PK_TRY( pk_position_for_market( l.liquidator, m, &liq_pos ) );
  pk_fill_t liq_fill = { base, liq_quote, liq_side };
  PK_TRY( pk_position_apply_fill( liq_pos, m, &liq_fill, &oi_liq ) );
  PK_TRY( pk_market_apply_oi( m, &oi_user ) );
  PK_TRY( pk_market_apply_oi( m, &oi_liq ) );
  /* What the user gives up beyond what the liquidator gains: the insurance share plus rounding. */
  u64 insurance_fee = user_side == PK_SIDE_ASK ? liq_quote - user_quote : user_quote - liq_quote;
  PK_TRY( pk_add_u64( m->fee_pool, insurance_fee, &m->fee_pool ) );

  pk_margin_t after, liq_margin;
  PK_TRY( pk_compute_margin( p, l.liquidator, m, PK_IX_LIQUIDATE_PERP_ACCOUNTS, &liq_margin ) );
  if( PK_UNLIKELY( liq_margin.equity < 0 || (u64)liq_margin.equity < liq_margin.initial_requirement ) )
    PK_FAIL( PK_ERR_INSUFFICIENT_MARGIN, LIQ_USER );
  PK_TRY( pk_compute_margin( p, l.user, m, PK_IX_LIQUIDATE_PERP_ACCOUNTS, &after ) );
  int still_short = after.equity < 0 || (u64)after.equity < after.maintenance_requirement;
  l.user->flags = (u8)( still_short ? ( l.user->flags | PK_USER_FLAG_BEING_LIQUIDATED )
                                    : ( l.user->flags & ~PK_USER_FLAG_BEING_LIQUIDATED ) );
  pk_exchange_t *ex;
  PK_TRY( pk_load_exchange( p, IX_ACC( LIQUIDATE_PERP, EXCHANGE ), &ex ) );
  PK_TRY( pk_flag_bankrupt( ex, l.user, after.equity < 0 ) );

  pk_event_liquidation_event_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_LIQUIDATION_EVENT_DISCRIMINATOR;
  ev.user = *p->ka[USER].key;
  ev.liquidator = *p->ka[LIQ_USER].key;
  ev.base_amount = base;
  ev.mark_price = m->mark_price;
  ev.user_price = user_price;
  ev.liquidator_price = liq_price;
  ev.insurance_fee = insurance_fee;
  ev.equity_before = before.equity;
  ev.maintenance_before = before.maintenance_requirement;
  ev.equity_after = after.equity;
  ev.maintenance_after = after.maintenance_requirement;
  ev.slot = pk_clock_slot();
  ev.market_index = m->market_index;
  ev.user_side = user_side;
  pk_emit( &ev, PK_EVENT_LIQUIDATION_EVENT_LEN );
  return 0;
}
