/* update_prices: the mark-price crank.

   index = the oracle price chosen by the validity ladder (pk_oracle_select)
   premium sample = book mid - index, clamped to +-10% of index (0 without a two-sided book), the mid of
     the best bid and ask among resting orders only: orders with an id below premiumOrderIdLimit, which
     the first update of each slot sets to nextOrderId, and not expired (RestingOrder.expirySlot). An order placed, cranked on and cancelled in one
     transaction (or one slot) never counts; one that does count was already resting at the previous
     update, so it rested through all the time the weight below gives it, where anyone could trade
     against it.
   EMA, mark TWAP, index TWAP advance by weight w / W, w = seconds since the last update capped at
   W = the funding period: x += floor((sample - x) * w / W); for the premium EMA w is 0 within the slot
   of the last update: repeated cranks of one slot do not move the premium.
   mark = index + premium EMA, at least one tick */

#include "pk_program.h"
#include "pk_oracle.h"

static u64
pk_ema_step( i64 current, i64 sample, i64 w, u64 window, i64 *out ) {
  i64 diff, step;
  PK_TRY( pk_sub_i64( sample, current, &diff ) );
  PK_TRY( pk_signed_mul_div_floor( diff, w, window, &step ) );
  return pk_add_i64( current, step, out );
}

/* The best price among a side's orders (best last) with an id below limit and not expired at slot now
   (no taker can fill an expired order); 0 when there is none. */
static u64
pk_resting_best( const pk_resting_order_t *orders, u64 count, u64 limit, u64 now ) {
  for( u64 i = count; i-- > 0; )
    if( orders[i].order_id < limit && !pk_order_expired( &orders[i], now ) ) return orders[i].price;
  return 0;
}

static i64
pk_book_premium( const pk_orderbook_t *book, u64 index, u64 limit, u64 now ) {
  u64 bid = pk_resting_best( book->bids, book->bid_count, limit, now );
  u64 ask = pk_resting_best( book->asks, book->ask_count, limit, now );
  if( bid == 0 || ask == 0 ) return 0;
  u64 mid = bid / 2 + ask / 2 + ( bid & ask & 1 );
  i64 cap = (i64)( index / PK_PREMIUM_CLAMP_DIVISOR );
  i64 premium = (i64)mid - (i64)index;
  return premium > cap ? cap : premium < -cap ? -cap : premium;
}

u64
pk_ix_update_prices( SolParameters *p ) {
  enum { MARKET = IX_ACC( UPDATE_PRICES, MARKET ), BOOK = IX_ACC( UPDATE_PRICES, ORDERBOOK ),
         PRIMARY = IX_ACC( UPDATE_PRICES, ORACLE_PRIMARY ), FALLBACK = IX_ACC( UPDATE_PRICES, ORACLE_FALLBACK ) };
  PK_CHECK_IX( p, UPDATE_PRICES );
  pk_market_t *m;
  pk_orderbook_t *book;
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  PK_TRY( pk_load_account( p, BOOK, PK_ORDERBOOK_DISCRIMINATOR, PK_ORDERBOOK_LEN, (void **)&book ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[BOOK].key, &m->orderbook ) ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, BOOK );
  if( PK_UNLIKELY( m->status == PK_MARKET_STATUS_SETTLEMENT || m->status == PK_MARKET_STATUS_DELISTED ) )
    PK_FAIL( PK_ERR_MARKET_NOT_TRADABLE, MARKET );
  SolClock clock;
  sol_get_clock_sysvar( &clock );

  pk_oracle_select_args_t args = {
    &m->oracle, &m->params, clock.slot, &p->ka[PRIMARY],
    m->oracle.fallback_kind == PK_ORACLE_KIND_NONE ? PK_NULL : &p->ka[FALLBACK], clock.unix_timestamp,
  };
  pk_oracle_selection_t sel;
  u64 rc = pk_oracle_select( &args, &sel );
  if( PK_UNLIKELY( rc ) ) {
    int blame_fallback = rc == PK_ERR_ORACLE_WRONG_ACCOUNT ? pk_pubkey_eq( p->ka[PRIMARY].key, &m->oracle.primary )
                                                           : rc != sel.primary_err;
    PK_FAIL( rc, blame_fallback ? FALLBACK : PRIMARY );
  }
  u64 index = sel.price.price;
  if( PK_UNLIKELY( index > (u64)PK_I64_MAX / 2 ) ) PK_FAIL( PK_ERR_ORACLE_INVALID_DATA, PRIMARY );

  i64 sample = pk_book_premium( book, index, m->premium_order_id_limit, clock.slot );
  i64 ema = 0, mark_twap = (i64)index, index_twap = (i64)index, mark;
  int new_slot = clock.slot != m->last_price_update_slot;
  if( m->index_price != 0 ) {   /* not the first update */
    i64 dt = clock.unix_timestamp - m->twap_updated_ts;
    i64 window = (i64)m->params.funding_period_secs;
    i64 w = dt < 0 ? 0 : dt > window ? window : dt;
    PK_TRY( pk_ema_step( m->premium_ema, sample, new_slot ? w : 0, (u64)window, &ema ) );
    mark = (i64)index + ema;
    if( mark < (i64)m->params.tick_size ) mark = (i64)m->params.tick_size;
    PK_TRY( pk_ema_step( (i64)m->mark_twap, mark, w, (u64)window, &mark_twap ) );
    PK_TRY( pk_ema_step( (i64)m->index_twap, (i64)index, w, (u64)window, &index_twap ) );
  } else {
    mark = (i64)index;
  }
  m->index_price = index;
  m->index_price_slot = sel.price.publish_slot;
  m->index_confidence = sel.price.conf;
  m->premium_ema = ema;
  m->mark_price = (u64)mark;
  m->mark_twap = (u64)mark_twap;
  m->index_twap = (u64)index_twap;
  m->twap_updated_ts = clock.unix_timestamp;
  m->last_price_update_slot = clock.slot;
  /* Orders placed so far have rested across a slot boundary by the next slot's first update. */
  if( new_slot ) m->premium_order_id_limit = m->next_order_id;
  m->oracle_source = (u8)( sel.source == PK_ORACLE_SOURCE_FALLBACK ? 2 : 1 );

  pk_event_prices_updated_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_PRICES_UPDATED_DISCRIMINATOR;
  ev.market = *p->ka[MARKET].key;
  ev.index_price = index;
  ev.index_confidence = sel.price.conf;
  ev.mark_price = m->mark_price;
  ev.premium_ema = ema;
  ev.mark_twap = m->mark_twap;
  ev.index_twap = m->index_twap;
  ev.oracle_slot = sel.price.publish_slot;
  ev.slot = clock.slot;
  ev.market_index = m->market_index;
  ev.oracle_source = m->oracle_source;
  pk_emit( &ev, PK_EVENT_PRICES_UPDATED_LEN );
  return 0;
}
