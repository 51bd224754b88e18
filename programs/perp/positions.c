/* Perp positions: slot lookup, lazy funding settlement, and applying a fill with realised PnL.

   A position carries signed base (1e9) and a signed quote entry (1e6, negative when long: what was
   paid). Reducing moves the closed share of the entry into unsettled PnL together with the cash of
   the closing fill, so quote entry plus unsettled PnL changes by exactly the fill's cash: trading
   never creates or destroys quote, whatever the rounding. */

#include "pk_program.h"

static int
pk_position_in_use( const pk_perp_position_t *pos ) {
  return pos->base_amount != 0 || pos->quote_entry_amount != 0 || pos->unsettled_pnl != 0
      || pos->open_orders != 0 || pos->open_bids != 0 || pos->open_asks != 0;
}

static i64
pk_cumulative_funding( const pk_market_t *m, i64 base ) {
  return base >= 0 ? m->cumulative_funding_long : m->cumulative_funding_short;
}

/* pk_position_for_market returns the User's position in market m, taking a free slot when there is
   none (its funding snapshot starts at the market's current cumulative funding). Fails with
   PK_ERR_TOO_MANY_POSITIONS when every slot is in use by other markets. */
u64
pk_position_for_market( pk_user_t *u, const pk_market_t *m, pk_perp_position_t **out ) {
  pk_perp_position_t *free_slot = PK_NULL;
  for( u64 i = 0; i < PK_MAX_PERP_POSITIONS; i++ ) {
    pk_perp_position_t *pos = &u->positions[i];
    int used = pk_position_in_use( pos );
    if( used && pos->market_index == m->market_index ) { *out = pos; return 0; }
    if( !used && !free_slot ) free_slot = pos;
  }
  if( PK_UNLIKELY( !free_slot ) ) PK_FAIL( PK_ERR_TOO_MANY_POSITIONS, PK_NO_ACCOUNT );
  pk_memset( free_slot, 0, sizeof( *free_slot ) );
  free_slot->market_index = m->market_index;
  free_slot->last_cumulative_funding = m->cumulative_funding_long;
  *out = free_slot;
  return 0;
}

/* pk_position_settle_funding moves the funding accrued since the position's snapshot into its
   unsettled PnL: -base * (cumulative - snapshot) / 1e12, rounded against the user. */
u64
pk_position_settle_funding( pk_perp_position_t *pos, const pk_market_t *m ) {
  i64 cum = pk_cumulative_funding( m, pos->base_amount );
  if( pos->base_amount != 0 && cum != pos->last_cumulative_funding ) {
    i64 delta, owed;
    PK_TRY( pk_sub_i64( cum, pos->last_cumulative_funding, &delta ) );
    if( PK_UNLIKELY( pos->base_amount == PK_I64_MIN ) ) return PK_ERR_MATH_OVERFLOW;
    PK_TRY( pk_signed_mul_div_floor( -pos->base_amount, delta, PK_FUNDING_PRECISION, &owed ) );
    PK_TRY( pk_add_i64( pos->unsettled_pnl, owed, &pos->unsettled_pnl ) );
  }
  pos->last_cumulative_funding = cum;
  return 0;
}

/* pk_fill_quote returns the quote (1e6) of `base` at `price`, rounded against the user: a buyer
   (PK_SIDE_BID) pays the ceiling, a seller receives the floor. */
u64
pk_fill_quote( u64 base, u64 price, u8 side, u64 *quote ) {
  return side == PK_SIDE_BID ? pk_mul_div_ceil( base, price, PK_BASE_PRECISION, quote )
                             : pk_mul_div_floor( base, price, PK_BASE_PRECISION, quote );
}

static i64
pk_pos_part( i64 x ) { return x > 0 ? x : 0; }

/* pk_position_apply_fill applies fill to pos, settling funding first, and reports the open-interest
   change. Funding is settled before the size changes so that the snapshot always matches the side
   the position is on. */
u64
pk_position_apply_fill( pk_perp_position_t *pos, const pk_market_t *m, const pk_fill_t *fill, pk_oi_change_t *oi ) {
  u64 base = fill->base, quote = fill->quote;
  u8 side = fill->side;
  if( PK_UNLIKELY( base > (u64)PK_I64_MAX || quote > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  PK_TRY( pk_position_settle_funding( pos, m ) );
  i64 old_base = pos->base_amount;
  i64 delta = side == PK_SIDE_BID ? (i64)base : -(i64)base;
  i64 cash  = side == PK_SIDE_BID ? -(i64)quote : (i64)quote;
  i64 new_base;
  PK_TRY( pk_add_i64( old_base, delta, &new_base ) );

  if( old_base == 0 || ( old_base > 0 ) == ( delta > 0 ) ) {
    PK_TRY( pk_add_i64( pos->quote_entry_amount, cash, &pos->quote_entry_amount ) );
  } else {
    u64 held = old_base > 0 ? (u64)old_base : (u64)0 - (u64)old_base;
    u64 closed = base < held ? base : held;
    i64 removed, cash_close;
    PK_TRY( pk_signed_mul_div_floor( pos->quote_entry_amount, (i64)closed, held, &removed ) );
    PK_TRY( pk_signed_mul_div_floor( cash, (i64)closed, base, &cash_close ) );
    i64 realised, cash_open = cash - cash_close;
    PK_TRY( pk_add_i64( cash_close, removed, &realised ) );
    PK_TRY( pk_sub_i64( pos->quote_entry_amount, removed, &pos->quote_entry_amount ) );
    PK_TRY( pk_add_i64( pos->unsettled_pnl, realised, &pos->unsettled_pnl ) );
    PK_TRY( pk_add_i64( pos->quote_entry_amount, cash_open, &pos->quote_entry_amount ) );
  }
  pos->base_amount = new_base;
  if( ( old_base > 0 ) != ( new_base > 0 ) || old_base == 0 ) pos->last_cumulative_funding = pk_cumulative_funding( m, new_base );
  oi->long_delta  = pk_pos_part( new_base ) - pk_pos_part( old_base );
  oi->short_delta = pk_pos_part( -new_base ) - pk_pos_part( -old_base );
  return 0;
}

/* pk_market_apply_oi adds an open-interest change to the market. */
u64
pk_market_apply_oi( pk_market_t *m, const pk_oi_change_t *oi ) {
  i64 l = (i64)m->open_interest_long, s = (i64)m->open_interest_short;
  PK_TRY( pk_add_i64( l, oi->long_delta, &l ) );
  PK_TRY( pk_add_i64( s, oi->short_delta, &s ) );
  if( PK_UNLIKELY( l < 0 || s < 0 ) ) return PK_ERR_MATH_OVERFLOW;
  m->open_interest_long = (u64)l;
  m->open_interest_short = (u64)s;
  return 0;
}
