/* Cross margin over every position of a User, at each market's mark price.

   equity      = collateral + sum( floor(base * mark / 1e9) + quote entry + unsettled PnL + unsettled funding )
   initial     = sum( ceil( ceil(worst * mark / 1e9) * initial bps / 1e4 ) ), worst = the larger of
                 |base + open bids| and |base - open asks| (every resting order filled on its worse side)
   maintenance = sum( ceil( ceil(|base| * mark / 1e9) * maintenance bps / 1e4 ) )
   All rounding is against the user.
   mark_stale flags a mark older than its market's oracle_max_staleness_slots (as update_funding counts
   it): the callers that let risk grow (withdraw, place_order, liquidate_perp) refuse such a margin. */

#include "pk_program.h"

static u64
pk_abs_u64( i64 x ) { return x < 0 ? (u64)0 - (u64)x : (u64)x; }

/* Finds the market of a position: the current market, or a market among accounts [first_extra, n). */
static u64
pk_position_market( SolParameters *p, const pk_market_t *current, u64 first_extra, u16 index,
                    const pk_market_t **out ) {
  if( current && current->market_index == index ) { *out = current; return 0; }
  for( u64 i = first_extra; i < p->ka_num; i++ ) {
    pk_market_t *m;
    if( pk_load_market( p, i, &m ) == 0 && m->market_index == index ) { *out = m; return 0; }
  }
  PK_FAIL( PK_ERR_MISSING_MARKET_ACCOUNT, PK_NO_ACCOUNT );
}

static u64
pk_requirement( u64 base, u64 mark, u16 bps, u64 *acc ) {
  u64 notional, req;
  PK_TRY( pk_mul_div_ceil( base, mark, PK_BASE_PRECISION, &notional ) );
  PK_TRY( pk_mul_div_ceil( notional, bps, PK_BPS, &req ) );
  return pk_add_u64( *acc, req, acc );
}

/* pk_compute_margin fills out with the User's equity and requirements. Markets other than `current`
   are looked up among accounts first_extra.. of the instruction; a missing one fails with
   PK_ERR_MISSING_MARKET_ACCOUNT, a market without a price (mark 0) with PK_ERR_ORACLE_UNAVAILABLE. */
u64
pk_compute_margin( SolParameters *p, const pk_user_t *u, const pk_market_t *current, u64 first_extra,
                   pk_margin_t *out ) {
  if( PK_UNLIKELY( u->collateral > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  i64 equity = (i64)u->collateral;
  u64 initial = 0, maintenance = 0, slot = 0;
  out->mark_stale = 0;
  for( u64 i = 0; i < PK_MAX_PERP_POSITIONS; i++ ) {
    const pk_perp_position_t *pos = &u->positions[i];
    int exposed = pos->base_amount != 0 || pos->open_bids != 0 || pos->open_asks != 0;
    if( !exposed && pos->quote_entry_amount == 0 && pos->unsettled_pnl == 0 ) continue;
    PK_TRY( pk_add_i64( equity, pos->quote_entry_amount, &equity ) );
    PK_TRY( pk_add_i64( equity, pos->unsettled_pnl, &equity ) );
    if( !exposed ) continue;
    const pk_market_t *m;
    PK_TRY( pk_position_market( p, current, first_extra, pos->market_index, &m ) );
    u64 mark = m->mark_price;
    if( PK_UNLIKELY( mark == 0 ) ) PK_FAIL( PK_ERR_ORACLE_UNAVAILABLE, PK_NO_ACCOUNT );
    if( !slot ) slot = pk_clock_slot();
    if( slot > m->last_price_update_slot && slot - m->last_price_update_slot > m->params.oracle_max_staleness_slots )
      out->mark_stale = 1;
    i64 value, funding = 0;
    PK_TRY( pk_signed_mul_div_floor( pos->base_amount, (i64)mark, PK_BASE_PRECISION, &value ) );
    PK_TRY( pk_add_i64( equity, value, &equity ) );
    i64 cum = pos->base_amount >= 0 ? m->cumulative_funding_long : m->cumulative_funding_short;
    if( pos->base_amount != 0 && cum != pos->last_cumulative_funding ) {
      i64 delta;
      PK_TRY( pk_sub_i64( cum, pos->last_cumulative_funding, &delta ) );
      PK_TRY( pk_signed_mul_div_floor( -pos->base_amount, delta, PK_FUNDING_PRECISION, &funding ) );
      PK_TRY( pk_add_i64( equity, funding, &equity ) );
    }
    if( PK_UNLIKELY( pos->open_bids > (u64)PK_I64_MAX || pos->open_asks > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
    i64 with_bids, with_asks;
    PK_TRY( pk_add_i64( pos->base_amount, (i64)pos->open_bids, &with_bids ) );
    PK_TRY( pk_sub_i64( pos->base_amount, (i64)pos->open_asks, &with_asks ) );
    u64 worst = pk_abs_u64( with_bids ) > pk_abs_u64( with_asks ) ? pk_abs_u64( with_bids ) : pk_abs_u64( with_asks );
    PK_TRY( pk_requirement( worst, mark, m->params.initial_margin_bps, &initial ) );
    PK_TRY( pk_requirement( pk_abs_u64( pos->base_amount ), mark, m->params.maintenance_margin_bps, &maintenance ) );
  }
  out->equity = equity;
  out->initial_requirement = initial;
  out->maintenance_requirement = maintenance;
  return 0;
}
