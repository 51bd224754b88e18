/* liquidate_perp: take over part of an under-margined position.

   Size: see pk_liquidation_size: the base whose transfer at the discounted price restores equity to
   PK_LIQUIDATION_TARGET_BPS of the maintenance requirement, in lots, capped by the position and the
   liquidator's maximum.
   Prices: the user trades at mark -+ fee, the liquidator at mark -+ fee * (1 - insurance share); the
   difference goes to the fee pool, the insurance fund's revenue. */

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
   releases floor(mark * maintenance * target / 1e8) of target requirement and costs |mark - user price|
   of equity; the released amount is floored, so the estimate errs toward taking more. Rounded up to a
   lot, all of it when the rest would be below the minimum order and max_base allows, capped by max_base
   rounded down to a lot. */
static u64
pk_liquidation_size( const pk_liquidation_t *l, const pk_margin_t *mg, u64 user_price, u64 max_base, u64 *out ) {
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
  u64 released, cost = user_price > mark ? user_price - mark : mark - user_price;
  PK_TRY( pk_mul_div_floor( mark, (u64)mp->maintenance_margin_bps * PK_LIQUIDATION_TARGET_BPS,
                            PK_BPS * PK_BPS, &released ) );
  if( released <= cost || pk_mul_div_ceil( shortfall, PK_BASE_PRECISION, released - cost, &q ) ) q = held;
  if( q % mp->lot_size ) q = q > PK_U64_MAX - mp->lot_size ? held : q + mp->lot_size - q % mp->lot_size;
  if( q > held ) q = held;
  if( held - q < mp->min_order_size && max_base >= held ) q = held;
  u64 cap = max_base - max_base % mp->lot_size;
  if( q > cap ) q = cap;
  *out = q;
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
  PK_TRY( pk_compute_margin( p, l.user, m, PK_IX_LIQUIDATE_PERP_ACCOUNTS, &before ) );
  if( PK_UNLIKELY( before.mark_stale ) ) PK_FAIL( PK_ERR_MARK_STALE, MARKET );
  if( PK_UNLIKELY( before.equity >= 0 && (u64)before.equity >= before.maintenance_requirement ) )
    PK_FAIL( PK_ERR_NOT_LIQUIDATABLE, USER );
  PK_TRY( pk_position_for_market( l.user, m, &l.pos ) );
  PK_TRY( pk_position_settle_funding( l.pos, m ) );
  pk_book_cancel_user( book, p->ka[USER].key, l.pos, m->market_index );
  if( PK_UNLIKELY( l.pos->base_amount == 0 ) ) PK_FAIL( PK_ERR_NO_POSITION_TO_LIQUIDATE, USER );

  /* The user closes (sells a long, buys back a short); the liquidator takes the other side. */
  u8 user_side = l.pos->base_amount > 0 ? PK_SIDE_ASK : PK_SIDE_BID;
  u8 liq_side = user_side == PK_SIDE_ASK ? PK_SIDE_BID : PK_SIDE_ASK;
  const pk_market_params_t *mp = &m->params;
  u64 fee_to_liquidator_bps = (u64)mp->liquidation_fee_bps * ( PK_BPS - mp->insurance_share_bps ) / PK_BPS;
  u64 user_price, liq_price, user_quote, liq_quote;
  if( user_side == PK_SIDE_ASK ) {
    PK_TRY( pk_mul_div_floor( m->mark_price, PK_BPS - mp->liquidation_fee_bps, PK_BPS, &user_price ) );
    PK_TRY( pk_mul_div_floor( m->mark_price, PK_BPS - fee_to_liquidator_bps, PK_BPS, &liq_price ) );
  } else {
    PK_TRY( pk_mul_div_ceil( m->mark_price, PK_BPS + mp->liquidation_fee_bps, PK_BPS, &user_price ) );
    PK_TRY( pk_mul_div_ceil( m->mark_price, PK_BPS + fee_to_liquidator_bps, PK_BPS, &liq_price ) );
  }
  u64 base;
  PK_TRY( pk_liquidation_size( &l, &before, user_price, PK_ARGS( p, liquidate_perp )->max_base_amount, &base ) );
  if( PK_UNLIKELY( base == 0 ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  PK_TRY( pk_fill_quote( base, user_price, user_side, &user_quote ) );
  PK_TRY( pk_fill_quote( base, liq_price, liq_side, &liq_quote ) );
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
  if( after.equity < 0 ) l.user->flags |= (u8)PK_USER_FLAG_BANKRUPT;

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
