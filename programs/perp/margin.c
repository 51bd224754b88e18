/* Cross margin over every position of a User, at each market's mark price.

   equity      = collateral + sum( floor(base * mark / 1e9) + quote entry + unsettled PnL + unsettled funding )
   initial     = sum( ceil( ceil(worst * mark / 1e9) * initial bps / 1e4 ) ), worst = the larger of
                 |base + open bids| and |base - open asks| (every resting order filled on its worse side)
   maintenance = sum( ceil( ceil(|base| * mark / 1e9) * maintenance bps / 1e4 ) )
   maintenance with orders = the same at the worst side (what liquidate_perp holds resting orders to)
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

/* Adds ceil( notional * bps / 1e4 ) to *acc. */
static u64
pk_add_share( u64 notional, u16 bps, u64 *acc ) {
  u64 req;
  PK_TRY( pk_mul_div_ceil( notional, bps, PK_BPS, &req ) );
  return pk_add_u64( *acc, req, acc );
}

static u64
pk_requirement( u64 base, u64 mark, u16 bps, u64 *acc ) {
  u64 notional;
  PK_TRY( pk_mul_div_ceil( base, mark, PK_BASE_PRECISION, &notional ) );
  return pk_add_share( notional, bps, acc );
}

/* pk_compute_margin fills out with the User's equity and requirements. Markets other than `current`
   are looked up among accounts first_extra.. of the instruction; a missing one fails with
   PK_ERR_MISSING_MARKET_ACCOUNT, a market without a price (mark 0) with PK_ERR_ORACLE_UNAVAILABLE. */
u64
pk_compute_margin( SolParameters *p, const pk_user_t *u, const pk_market_t *current, u64 first_extra,
                   pk_margin_t *out ) {
  if( PK_UNLIKELY( u->collateral > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  i64 equity = (i64)u->collateral;
  u64 initial = 0, maintenance = 0, maintenance_orders = 0, slot = 0;
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
    u64 worst_notional;
    PK_TRY( pk_mul_div_ceil( worst, mark, PK_BASE_PRECISION, &worst_notional ) );
    PK_TRY( pk_add_share( worst_notional, m->params.initial_margin_bps, &initial ) );
    PK_TRY( pk_add_share( worst_notional, m->params.maintenance_margin_bps, &maintenance_orders ) );
    PK_TRY( pk_requirement( pk_abs_u64( pos->base_amount ), mark, m->params.maintenance_margin_bps, &maintenance ) );
  }
  out->equity = equity;
  out->initial_requirement = initial;
  out->maintenance_requirement = maintenance;
  out->maintenance_with_orders = maintenance_orders;
  return 0;
}

/* pk_orders_through_mark_loss sets *loss to what user_key's resting orders in book priced through the
   mark would lose against it if they all filled: sum( ceil( base * |price - mark| / 1e9 ) ) over its bids
   above the mark and its asks below it. Margin values a resting order at the mark, but a maker fill is
   paid at the order's price: this is the part of that price the check must hold equity for. Only the
   best end of a side can be through the mark (bids ascend, asks descend), and only one side at a time
   (the book does not cross), so the scan stops at the first order that is not. */
/* Adds to *sum what buying (PK_SIDE_BID) or selling base at price loses against mark, rounded up; 0 when
   the price is not through the mark. */
static u64
pk_add_through_mark( u64 base, u64 price, u64 mark, u8 side, u64 *sum ) {
  u64 gap = side == PK_SIDE_BID ? ( price > mark ? price - mark : 0 ) : ( price < mark ? mark - price : 0 );
  if( !gap ) return 0;
  u64 part;
  PK_TRY( pk_mul_div_ceil( base, gap, PK_BASE_PRECISION, &part ) );
  return pk_add_u64( *sum, part, sum );
}

u64
pk_orders_through_mark_loss( const pk_orderbook_t *book, const SolPubkey *user_key, u64 mark, u64 *loss ) {
  u64 sum = 0;
  for( u64 i = book->bid_count; i-- > 0 && book->bids[i].price > mark; )
    if( pk_pubkey_eq( &book->bids[i].owner, user_key ) )
      PK_TRY( pk_add_through_mark( book->bids[i].base_amount, book->bids[i].price, mark, PK_SIDE_BID, &sum ) );
  for( u64 i = book->ask_count; i-- > 0 && book->asks[i].price < mark; )
    if( pk_pubkey_eq( &book->asks[i].owner, user_key ) )
      PK_TRY( pk_add_through_mark( book->asks[i].base_amount, book->asks[i].price, mark, PK_SIDE_ASK, &sum ) );
  *loss = sum;
  return 0;
}

/* pk_queued_fills_loss adds to *loss what user_key's maker fills waiting in queue lose against mark (their
   gains are not counted): traded already, they show in its position only once consume_events applies them. */
u64
pk_queued_fills_loss( const pk_event_queue_t *queue, const SolPubkey *user_key, u64 mark, u64 *loss ) {
  u64 capacity = sizeof( queue->fills ) / sizeof( queue->fills[0] );
  for( u64 i = 0; i < queue->count; i++ ) {
    const pk_fill_record_t *f = &queue->fills[( queue->head + i ) % capacity];
    /* an out event is an evicted order, not a fill: it releases a reservation and trades nothing */
    if( f->kind == PK_QUEUE_EVENT_FILL && pk_pubkey_eq( &f->maker, user_key ) ) PK_TRY( pk_add_through_mark( f->base_amount, f->price, mark, f->maker_side, loss ) );
  }
  return 0;
}

/* pk_user_orders_loss sets *loss to what the User's resting orders through the mark would lose in every
   market where it holds open orders (pk_orders_through_mark_loss); each market and its order book must be
   among accounts [first_extra, n) (PK_ERR_MISSING_MARKET_ACCOUNT). Fails with PK_ERR_MAKER_FILLS_PENDING
   when its reservations exceed its resting orders: a maker fill of it waits in the event queue, its loss
   not yet in the position. */
u64
pk_user_orders_loss( SolParameters *p, const pk_user_t *u, const SolPubkey *user_key, u64 first_extra, u64 *loss ) {
  u64 sum = 0;
  for( u64 i = 0; i < PK_MAX_PERP_POSITIONS; i++ ) {
    const pk_perp_position_t *pos = &u->positions[i];
    if( !pos->open_bids && !pos->open_asks ) continue;
    const pk_market_t *m;
    PK_TRY( pk_position_market( p, PK_NULL, first_extra, pos->market_index, &m ) );
    pk_orderbook_t *book = PK_NULL;
    for( u64 j = first_extra; j < p->ka_num && !book; j++ )
      if( pk_pubkey_eq( p->ka[j].key, &m->orderbook ) )
        PK_TRY( pk_load_account( p, j, PK_ORDERBOOK_DISCRIMINATOR, PK_ORDERBOOK_LEN, (void **)&book ) );
    if( PK_UNLIKELY( !book ) ) PK_FAIL( PK_ERR_MISSING_MARKET_ACCOUNT, PK_NO_ACCOUNT );
    u64 bids = 0, asks = 0;
    for( u64 j = 0; j < book->bid_count; j++ )
      if( pk_pubkey_eq( &book->bids[j].owner, user_key ) ) PK_TRY( pk_add_u64( bids, book->bids[j].base_amount, &bids ) );
    for( u64 j = 0; j < book->ask_count; j++ )
      if( pk_pubkey_eq( &book->asks[j].owner, user_key ) ) PK_TRY( pk_add_u64( asks, book->asks[j].base_amount, &asks ) );
    if( PK_UNLIKELY( bids != pos->open_bids || asks != pos->open_asks ) ) PK_FAIL( PK_ERR_MAKER_FILLS_PENDING, PK_NO_ACCOUNT );
    u64 part;
    PK_TRY( pk_orders_through_mark_loss( book, user_key, m->mark_price, &part ) );
    PK_TRY( pk_add_u64( sum, part, &sum ) );
  }
  *loss = sum;
  return 0;
}

/* pk_equity_less sets *out to equity - loss, failing with PK_ERR_MATH_OVERFLOW past i64. */
u64
pk_equity_less( i64 equity, u64 loss, i64 *out ) {
  if( PK_UNLIKELY( loss > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  return pk_sub_i64( equity, (i64)loss, out );
}
