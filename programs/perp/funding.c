/* Funding: the per-period rate from the TWAPs, and lazy settlement into positions.

   rate per whole base (quote at 1e9) = clamp( mark TWAP - index TWAP, +-index TWAP * max rate bps / 1e4 ) * 1e3
   Longs pay it and shorts receive it: both cumulative sums grow by the same amount, and each position
   settles -base * (cumulative - snapshot) / 1e12 whenever it is touched. */

#include "pk_program.h"

/* price (PRICE_PRECISION) -> funding rate (CUMULATIVE_FUNDING_PRECISION); signed for the i64 math below */
#define PK_PRICE_TO_FUNDING ( (i64)( PK_CUMULATIVE_FUNDING_PRECISION / PK_PRICE_PRECISION ) )

static i64
pk_clock_unix_ts( u64 *slot ) {
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  if( slot ) *slot = clock.slot;
  return clock.unix_timestamp;
}

/* pk_funding_rate computes the clamped rate of one period from the TWAPs (see the file comment). */
u64
pk_funding_rate( const pk_market_t *m, i64 *rate ) {
  if( PK_UNLIKELY( m->mark_twap > (u64)PK_I64_MAX || m->index_twap > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  i64 premium = (i64)m->mark_twap - (i64)m->index_twap;
  u64 cap;
  PK_TRY( pk_mul_div_floor( m->index_twap, m->params.max_funding_rate_bps, PK_BPS, &cap ) );
  if( premium > (i64)cap ) premium = (i64)cap;
  if( premium < -(i64)cap ) premium = -(i64)cap;
  if( PK_UNLIKELY( premium > PK_I64_MAX / PK_PRICE_TO_FUNDING || premium < -( PK_I64_MAX / PK_PRICE_TO_FUNDING ) ) )
    return PK_ERR_MATH_OVERFLOW;
  *rate = premium * PK_PRICE_TO_FUNDING;
  return 0;
}

u64
pk_ix_update_funding( SolParameters *p ) {
  enum { MARKET = IX_ACC( UPDATE_FUNDING, MARKET ), QUEUE = IX_ACC( UPDATE_FUNDING, EVENT_QUEUE ) };
  PK_CHECK_IX( p, UPDATE_FUNDING );
  pk_market_t *m;
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  PK_TRY( pk_check_queue_drained( p, QUEUE, m ) );
  if( PK_UNLIKELY( m->status != PK_MARKET_STATUS_ACTIVE && m->status != PK_MARKET_STATUS_REDUCE_ONLY ) )
    PK_FAIL( PK_ERR_MARKET_NOT_TRADABLE, MARKET );
  u64 slot;
  i64 now = pk_clock_unix_ts( &slot );
  if( PK_UNLIKELY( now - m->last_funding_ts < (i64)m->params.funding_period_secs ) ) PK_FAIL( PK_ERR_FUNDING_TOO_EARLY, MARKET );
  if( PK_UNLIKELY( m->index_twap == 0 ) ) PK_FAIL( PK_ERR_ORACLE_UNAVAILABLE, MARKET );
  if( PK_UNLIKELY( slot - m->last_price_update_slot > m->params.oracle_max_staleness_slots ) ) PK_FAIL( PK_ERR_PRICES_STALE, MARKET );
  i64 rate;
  PK_TRY( pk_funding_rate( m, &rate ) );
  PK_TRY( pk_add_i64( m->cumulative_funding_long, rate, &m->cumulative_funding_long ) );
  PK_TRY( pk_add_i64( m->cumulative_funding_short, rate, &m->cumulative_funding_short ) );
  m->last_funding_rate = rate;
  /* Keep the period grid: a late crank does not shift later periods. */
  u64 elapsed = (u64)( now - m->last_funding_ts );
  m->last_funding_ts = now - (i64)( elapsed % m->params.funding_period_secs );

  pk_event_funding_updated_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_FUNDING_UPDATED_DISCRIMINATOR;
  ev.market = *p->ka[MARKET].key;
  ev.funding_rate = rate;
  ev.cumulative_funding_long = m->cumulative_funding_long;
  ev.cumulative_funding_short = m->cumulative_funding_short;
  ev.mark_twap = m->mark_twap;
  ev.index_twap = m->index_twap;
  ev.ts = now;
  ev.market_index = m->market_index;
  pk_emit( &ev, PK_EVENT_FUNDING_UPDATED_LEN );
  return 0;
}

u64
pk_ix_settle_funding( SolParameters *p ) {
  enum { USER = IX_ACC( SETTLE_FUNDING, USER ) };
  PK_CHECK_IX( p, SETTLE_FUNDING );
  pk_user_t *u;
  PK_TRY( pk_load_account( p, USER, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)&u ) );
  for( u64 i = 0; i < PK_MAX_PERP_POSITIONS; i++ ) {
    pk_perp_position_t *pos = &u->positions[i];
    if( pos->base_amount == 0 ) continue;
    pk_market_t *m = PK_NULL;
    for( u64 j = PK_IX_SETTLE_FUNDING_ACCOUNTS; j < p->ka_num && !m; j++ ) {
      pk_market_t *c;
      if( pk_load_market( p, j, &c ) == 0 && c->market_index == pos->market_index ) m = c;
    }
    if( PK_UNLIKELY( !m ) ) PK_FAIL( PK_ERR_MISSING_MARKET_ACCOUNT, PK_NO_ACCOUNT );
    PK_TRY( pk_position_settle_funding( pos, m ) );
  }
  return 0;
}
