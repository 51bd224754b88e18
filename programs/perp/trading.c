/* Trading: placing orders (matching as taker, resting as maker), cancelling, and applying queued maker
   fills. Fees: the taker pays ceil(quote * taker bps / 1e4) into the fee pool at once; the maker's
   rebate, floor(quote * maker bps / 1e4), moves from the fee pool when its fill is applied, together
   with the rounding dust between the buyer's ceiling and the seller's floor. */

#include "pk_program.h"

#define PK_MAX_FILLS_PER_ORDER 16UL
#define PK_PRICE_BAND_DIVISOR 2UL                 /* orders within +-50% of the mark */

/* pk_load_user_as_trader loads the margin account and checks that account signer_idx is its authority
   or its delegate. */
u64
pk_load_user_as_trader( SolParameters *p, u64 user_idx, u64 signer_idx, pk_user_t **out ) {
  PK_TRY( pk_load_account( p, user_idx, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)out ) );
  const SolPubkey *signer = p->ka[signer_idx].key;
  int ok = pk_pubkey_eq( &(*out)->authority, signer )
        || ( !pk_pubkey_is_zero( &(*out)->delegate ) && pk_pubkey_eq( &(*out)->delegate, signer ) );
  if( PK_UNLIKELY( !ok ) ) PK_FAIL( PK_ERR_UNAUTHORIZED, signer_idx );
  return 0;
}

typedef struct {
  pk_market_t      *market;
  pk_orderbook_t   *book;
  pk_event_queue_t *queue;   /* loaded only when asked for */
} pk_market_book_t;

/* Loads the market at market_idx and its orderbook at market_idx + 1 (and its event queue at
   market_idx + 2 when with_queue), checking that they belong to the market. */
static u64
pk_load_market_book( SolParameters *p, u64 market_idx, int with_queue, pk_market_book_t *out ) {
  u64 book_idx = market_idx + 1, queue_idx = with_queue ? market_idx + 2 : PK_NO_ACCOUNT;
  pk_market_t **m = &out->market;
  pk_orderbook_t **book = &out->book;
  pk_event_queue_t **queue = &out->queue;
  PK_TRY( pk_load_market( p, market_idx, m ) );
  PK_TRY( pk_load_account( p, book_idx, PK_ORDERBOOK_DISCRIMINATOR, PK_ORDERBOOK_LEN, (void **)book ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[book_idx].key, &(*m)->orderbook ) ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, book_idx );
  if( queue_idx == PK_NO_ACCOUNT ) return 0;
  PK_TRY( pk_load_account( p, queue_idx, PK_EVENT_QUEUE_DISCRIMINATOR, PK_EVENT_QUEUE_LEN, (void **)queue ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[queue_idx].key, &(*m)->event_queue ) ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, queue_idx );
  return 0;
}

static void
pk_release_reservation( pk_perp_position_t *pos, u8 side, u64 base, int order_done ) {
  u64 *open = side == PK_SIDE_BID ? &pos->open_bids : &pos->open_asks;
  *open = *open > base ? *open - base : 0;
  if( order_done && pos->open_orders ) pos->open_orders--;
}

/* A delegate trades for the account but must not be able to move its value to another account through
   the book: its orders never rest (a resting order outlives the mark it was priced at) and are priced
   within delegate_price_band_bps of the mark, so that no fill is worse for the account than that band
   from the mark; the makers they fill earn no rebate (see pk_match). */
static u64
pk_check_delegate_order( const pk_order_args_t *o, const pk_market_params_t *mp, u64 mark ) {
  if( PK_UNLIKELY( o->order_type != PK_ORDER_TYPE_IMMEDIATE_OR_CANCEL && o->order_type != PK_ORDER_TYPE_MARKET ) )
    PK_FAIL( PK_ERR_DELEGATE_MAY_NOT_REST, PK_NO_ACCOUNT );
  u64 band;
  PK_TRY( pk_mul_div_floor( mark, mp->delegate_price_band_bps, PK_BPS, &band ) );
  if( PK_UNLIKELY( o->price > mark + band || o->price < mark - band ) ) PK_FAIL( PK_ERR_DELEGATE_PRICE_OUT_OF_BAND, PK_NO_ACCOUNT );
  return 0;
}

static u64
pk_validate_order( const pk_order_args_t *o, const pk_market_params_t *mp ) {
  int ok = o->side <= PK_SIDE_ASK && o->order_type < PK_ORDER_TYPE_COUNT && o->reduce_only <= 1
        && o->price > 0 && o->price % mp->tick_size == 0
        && o->base_amount >= mp->min_order_size && o->base_amount % mp->lot_size == 0
        && o->base_amount <= (u64)PK_I64_MAX
        && ( o->padding[0] | o->padding[1] | o->padding[2] | o->padding[3] | o->padding[4] ) == 0;
  if( PK_UNLIKELY( !ok ) ) PK_FAIL( PK_ERR_INVALID_ORDER, PK_NO_ACCOUNT );
  return 0;
}

/* Largest base a reduce-only order on `side` may have: what it can close, net of resting orders
   that already close the same position. */
static u64
pk_reduce_only_limit( const pk_perp_position_t *pos, u8 side ) {
  i64 b = pos->base_amount;
  if( side == PK_SIDE_BID ) {
    u64 held = b < 0 ? (u64)0 - (u64)b : 0;
    return held > pos->open_bids ? held - pos->open_bids : 0;
  }
  u64 held = b > 0 ? (u64)b : 0;
  return held > pos->open_asks ? held - pos->open_asks : 0;
}

typedef struct {
  SolParameters      *p;
  const SolPubkey    *user_key;
  pk_user_t          *user;
  pk_perp_position_t *pos;
  pk_market_t        *market;
  pk_orderbook_t     *book;
  pk_event_queue_t   *queue;
  const pk_order_args_t *order;
  u64                 remaining;
  u64                 now;        /* the current slot */
  int                 delegate;   /* signed by the User's delegate: its fills pay makers no rebate */
  u64                 first_extra;   /* index of the first remaining account (the User's other markets) */
} pk_taker_t;

/* Applies one fill to the taker: position, taker fee, open interest, event. */
static u64
pk_taker_fill( pk_taker_t *t, const pk_resting_order_t *maker, u64 base, u64 seq ) {
  pk_market_t *m = t->market;
  u64 quote, fee;
  pk_oi_change_t oi;
  PK_TRY( pk_fill_quote( base, maker->price, t->order->side, &quote ) );
  pk_fill_t fill = { base, quote, t->order->side };
  PK_TRY( pk_position_apply_fill( t->pos, m, &fill, &oi ) );
  PK_TRY( pk_mul_div_ceil( quote, m->params.taker_fee_bps, PK_BPS, &fee ) );
  if( PK_UNLIKELY( fee > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  PK_TRY( pk_sub_i64( t->pos->unsettled_pnl, (i64)fee, &t->pos->unsettled_pnl ) );
  PK_TRY( pk_add_u64( m->fee_pool, fee, &m->fee_pool ) );
  PK_TRY( pk_market_apply_oi( m, &oi ) );
  /* Queued maker fills (this one included) may still add to their side when applied: count them. */
  u64 long_worst, short_worst;
  PK_TRY( pk_add_u64( m->open_interest_long, t->queue->pending_bid_base, &long_worst ) );
  PK_TRY( pk_add_u64( m->open_interest_short, t->queue->pending_ask_base, &short_worst ) );
  int maker_adds_long = t->order->side == PK_SIDE_ASK, maker_adds_short = t->order->side == PK_SIDE_BID;
  if( PK_UNLIKELY( long_worst > m->params.max_open_interest && ( oi.long_delta > 0 || maker_adds_long ) ) )
    PK_FAIL( PK_ERR_OPEN_INTEREST_LIMIT, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( short_worst > m->params.max_open_interest && ( oi.short_delta > 0 || maker_adds_short ) ) )
    PK_FAIL( PK_ERR_OPEN_INTEREST_LIMIT, PK_NO_ACCOUNT );

  pk_event_fill_event_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_FILL_EVENT_DISCRIMINATOR;
  ev.taker = *t->user_key;
  ev.maker = maker->owner;
  ev.maker_order_id = maker->order_id;
  ev.price = maker->price;
  ev.base_amount = base;
  ev.taker_fee = fee;
  ev.seq_num = seq;
  ev.market_index = m->market_index;
  ev.taker_side = t->order->side;
  pk_emit( &ev, PK_EVENT_FILL_EVENT_LEN );
  return 0;
}

/* Matches the taker against the opposite side while it crosses, up to PK_MAX_FILLS_PER_ORDER makers.
   Resting orders of the taker's own User are cancelled instead of matched (self-trade prevention).
   An expired maker order it meets is removed with an out event (its owner's User is not passed:
   consume_events releases the reservation, as for an eviction) and matching goes on; removals do not
   count as fills, the side's 64 orders bound them. */
static u64
pk_match( pk_taker_t *t ) {
  u8 maker_side = t->order->side == PK_SIDE_BID ? PK_SIDE_ASK : PK_SIDE_BID;
  u32 *count = maker_side == PK_SIDE_BID ? &t->book->bid_count : &t->book->ask_count;
  pk_resting_order_t *orders = maker_side == PK_SIDE_BID ? t->book->bids : t->book->asks;
  u64 fills = 0;
  while( t->remaining > 0 && *count > 0 && fills < PK_MAX_FILLS_PER_ORDER ) {
    pk_resting_order_t *best = &orders[*count - 1];
    int crosses = t->order->side == PK_SIDE_BID ? best->price <= t->order->price : best->price >= t->order->price;
    if( !crosses ) break;
    if( pk_order_expired( best, t->now ) ) {
      PK_TRY( pk_queue_push_expired( t->queue, best, maker_side, t->market->market_index ) );
      pk_book_remove( t->book, maker_side, *count - 1 );
      continue;
    }
    if( PK_UNLIKELY( t->order->order_type == PK_ORDER_TYPE_POST_ONLY ) ) PK_FAIL( PK_ERR_POST_ONLY_WOULD_CROSS, PK_NO_ACCOUNT );
    if( pk_pubkey_eq( &best->owner, t->user_key ) ) {
      pk_release_reservation( t->pos, maker_side, best->base_amount, 1 );
      pk_emit_order_cancelled( t->user_key, best, t->market->market_index, maker_side );
      pk_book_remove( t->book, maker_side, *count - 1 );
      continue;
    }
    u64 base = t->remaining < best->base_amount ? t->remaining : best->base_amount;
    int done = base == best->base_amount;
    pk_fill_record_t rec;
    pk_memset( &rec, 0, sizeof( rec ) );
    rec.maker = best->owner;
    rec.maker_order_id = best->order_id;
    rec.price = best->price;
    rec.base_amount = base;
    rec.maker_side = maker_side;
    rec.maker_order_done = (u8)done;
    u64 floor_quote;
    PK_TRY( pk_mul_div_floor( base, best->price, PK_BASE_PRECISION, &floor_quote ) );
    if( !t->delegate ) PK_TRY( pk_mul_div_floor( floor_quote, t->market->params.maker_rebate_bps, PK_BPS, &rec.maker_rebate ) );
    u64 seq;
    PK_TRY( pk_queue_push( t->queue, &rec, &seq ) );
    PK_TRY( pk_taker_fill( t, best, base, seq ) );
    t->remaining -= base;
    fills++;
    if( done ) pk_book_remove( t->book, maker_side, *count - 1 );
    else best->base_amount -= base;
  }
  return 0;
}

/* Equity of the taker's User at the marks, less what its resting orders in this market priced through
   the mark would lose if filled (pk_orders_through_mark_loss) and what its maker fills waiting in the
   queue lose (pk_queued_fills_loss); the margin itself in *margin when asked. */
static u64
pk_adjusted_equity( const pk_taker_t *t, i64 *out, pk_margin_t *margin ) {
  pk_margin_t local;
  pk_margin_t *mg = margin ? margin : &local;
  u64 loss;
  PK_TRY( pk_compute_margin( t->p, t->user, t->market, t->first_extra, mg ) );
  PK_TRY( pk_orders_through_mark_loss( t->book, t->user_key, t->market->mark_price, &loss ) );
  PK_TRY( pk_queued_fills_loss( t->queue, t->user_key, t->market->mark_price, &loss ) );
  return pk_equity_less( mg->equity, loss, out );
}

/* A reduce-only order skips the initial-margin check so that an under-margined account can still
   close, but it must not be a way to hand value to a counterparty at the insurance fund's expense. An
   order that leaves the account below maintenance (counting its orders through the mark) may cost its
   adjusted equity at most what a liquidation of the same base at mark would:
   ceil( ceil(base * mark / 1e9) * liquidation fee bps / 1e4 ), and never more than the adjusted equity
   it had left (a liquidation's fee is paid from equity, a deficit is the insurance fund's), plus
   PK_LIQUIDATION_ROUNDING_SLACK. Fails with PK_ERR_REDUCE_ONLY_WORSE_THAN_LIQUIDATION otherwise. */
static u64
pk_check_reduce_only_loss( const pk_taker_t *t, i64 before, i64 after, u64 base ) {
  u64 notional, fee_cost;
  PK_TRY( pk_mul_div_ceil( base, t->market->mark_price, PK_BASE_PRECISION, &notional ) );
  PK_TRY( pk_mul_div_ceil( notional, t->market->params.liquidation_fee_bps, PK_BPS, &fee_cost ) );
  u64 left = before > 0 ? (u64)before : 0;
  u64 allowed = ( fee_cost < left ? fee_cost : left ) + PK_LIQUIDATION_ROUNDING_SLACK;
  i64 floor;
  PK_TRY( pk_equity_less( before, allowed, &floor ) );
  if( PK_UNLIKELY( after < floor ) ) PK_FAIL( PK_ERR_REDUCE_ONLY_WORSE_THAN_LIQUIDATION, IX_ACC( PLACE_ORDER, USER ) );
  return 0;
}

u64
pk_ix_place_order( SolParameters *p ) {
  enum { SIGNER = IX_ACC( PLACE_ORDER, SIGNER ), USER = IX_ACC( PLACE_ORDER, USER ) };
  PK_CHECK_IX( p, PLACE_ORDER );
  pk_user_t *user;
  PK_TRY( pk_load_user_as_trader( p, USER, SIGNER, &user ) );
  int delegate = !pk_pubkey_eq( &user->authority, p->ka[SIGNER].key );
  return pk_place_order( p, user, &PK_ARGS( p, place_order )->order, delegate, PK_IX_PLACE_ORDER_ACCOUNTS );
}

/* pk_place_order is place_order's path after the signer check, shared with trigger_order: the User at
   account 1 (loaded as `user`), the market, its orderbook and event queue at 2, 3 and 4 (as in
   place_order), the User's other position markets from account first_extra on. */
u64
pk_place_order( SolParameters *p, pk_user_t *user, const pk_order_args_t *order, int delegate, u64 first_extra ) {
  enum { USER = IX_ACC( PLACE_ORDER, USER ), MARKET = IX_ACC( PLACE_ORDER, MARKET ),
         BOOK = IX_ACC( PLACE_ORDER, ORDERBOOK ), QUEUE = IX_ACC( PLACE_ORDER, EVENT_QUEUE ) };
  pk_taker_t t;
  t.p = p;
  t.user_key = p->ka[USER].key;
  t.order = order;
  t.user = user;
  t.first_extra = first_extra;
  PK_STATIC_ASSERT( BOOK == MARKET + 1 && QUEUE == MARKET + 2, "placeOrder account order" );
  pk_market_book_t mb;
  PK_TRY( pk_load_market_book( p, MARKET, 1, &mb ) );
  t.market = mb.market;
  t.book = mb.book;
  t.queue = mb.queue;
  PK_TRY( pk_validate_order( t.order, &t.market->params ) );
  t.now = pk_clock_slot();
  if( PK_UNLIKELY( t.order->expiry_slot != 0 && t.order->expiry_slot <= t.now ) ) PK_FAIL( PK_ERR_EXPIRY_IN_PAST, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( t.order->min_fill_base != 0 && t.order->order_type == PK_ORDER_TYPE_POST_ONLY ) )
    PK_FAIL( PK_ERR_MIN_FILL_ON_POST_ONLY, PK_NO_ACCOUNT );
  u8 status = t.market->status;
  int reduce_only = t.order->reduce_only || status == PK_MARKET_STATUS_REDUCE_ONLY;
  if( PK_UNLIKELY( status != PK_MARKET_STATUS_ACTIVE && status != PK_MARKET_STATUS_REDUCE_ONLY ) )
    PK_FAIL( PK_ERR_MARKET_NOT_TRADABLE, MARKET );
  if( PK_UNLIKELY( t.market->mark_price == 0 ) ) PK_FAIL( PK_ERR_ORACLE_UNAVAILABLE, MARKET );
  /* A price far from the mark would be valued at the mark by the margin check but paid in full. */
  u64 mark = t.market->mark_price;
  if( PK_UNLIKELY( t.order->price > mark + mark / PK_PRICE_BAND_DIVISOR || t.order->price < mark - mark / PK_PRICE_BAND_DIVISOR ) )
    PK_FAIL( PK_ERR_ORDER_PRICE_OUT_OF_BAND, PK_NO_ACCOUNT );
  u64 notional;
  PK_TRY( pk_mul_div_ceil( t.order->base_amount, t.order->price, PK_BASE_PRECISION, &notional ) );
  if( PK_UNLIKELY( notional > PK_MAX_ORDER_NOTIONAL ) ) PK_FAIL( PK_ERR_INVALID_ORDER, PK_NO_ACCOUNT );
  u8 type = t.order->order_type;
  int rests = type == PK_ORDER_TYPE_LIMIT || type == PK_ORDER_TYPE_POST_ONLY;
  t.delegate = delegate;
  if( t.delegate ) PK_TRY( pk_check_delegate_order( t.order, &t.market->params, mark ) );
  PK_TRY( pk_position_for_market( t.user, t.market, &t.pos ) );
  PK_TRY( pk_position_settle_funding( t.pos, t.market ) );

  t.remaining = t.order->base_amount;
  i64 adjusted_before = 0;
  if( reduce_only ) {
    u64 limit = pk_reduce_only_limit( t.pos, t.order->side );
    limit -= limit % t.market->params.lot_size;
    if( PK_UNLIKELY( limit == 0 ) ) PK_FAIL( PK_ERR_REDUCE_ONLY_VIOLATED, USER );
    if( t.remaining > limit ) t.remaining = limit;
    PK_TRY( pk_adjusted_equity( &t, &adjusted_before, PK_NULL ) );
  }
  u64 accepted = t.remaining;
  /* A book side holds 64 orders: an order that may rest must be worth something (filling a side costs
     margin) and one User may hold only so many (see pk_book_insert for eviction). */
  if( rests ) {
    u64 rest_notional;
    PK_TRY( pk_mul_div_ceil( t.remaining, t.order->price, PK_BASE_PRECISION, &rest_notional ) );
    if( PK_UNLIKELY( rest_notional < t.market->params.min_order_notional ) ) PK_FAIL( PK_ERR_ORDER_BELOW_MIN_NOTIONAL, PK_NO_ACCOUNT );
  }
  PK_TRY( pk_match( &t ) );
  /* Fill-or-kill: failing reverts the whole transaction, so other orders in it fill only together. */
  if( PK_UNLIKELY( accepted - t.remaining < t.order->min_fill_base ) ) PK_FAIL( PK_ERR_MIN_FILL_NOT_MET, PK_NO_ACCOUNT );

  u64 resting = 0, order_id = 0;
  if( t.remaining > 0 && rests ) {
    /* open_orders also counts filled and evicted orders not yet consumed: the book is counted only then */
    u64 limit = t.market->params.max_orders_per_user;
    if( PK_UNLIKELY( t.pos->open_orders >= limit && pk_book_count_owner( t.book, t.user_key ) >= limit ) )
      PK_FAIL( PK_ERR_TOO_MANY_OPEN_ORDERS, USER );
    pk_resting_order_t o;
    o.owner = *t.user_key;
    o.order_id = order_id = t.market->next_order_id++;
    o.client_order_id = t.order->client_order_id;
    o.price = t.order->price;
    o.base_amount = resting = t.remaining;
    o.expiry_slot = t.order->expiry_slot;
    u32 side_count = t.order->side == PK_SIDE_BID ? t.book->bid_count : t.book->ask_count;
    if( side_count == PK_BOOK_SIDE_LEN ) {
      /* a full side first drops its expired orders: they hold places no taker can fill */
      pk_prune_t pr = { t.book, t.queue, t.now, PK_BOOK_SIDE_LEN, 0, t.market->market_index };
      PK_TRY( pk_book_prune_side( &pr, t.order->side ) );
    }
    pk_resting_order_t evicted;
    int did_evict;
    PK_TRY( pk_book_insert( t.book, t.order->side, &o, &evicted, &did_evict ) );
    /* The evicted owner's User is not passed: consume_events releases its reservation (even when it is
       this User's own order, so that every reservation is a resting order or a queued event). */
    if( did_evict ) PK_TRY( pk_queue_push_out( t.queue, &evicted, t.order->side, order_id, t.market->market_index ) );
    u64 *open = t.order->side == PK_SIDE_BID ? &t.pos->open_bids : &t.pos->open_asks;
    PK_TRY( pk_add_u64( *open, resting, open ) );
    /* The margin check adds a side's total to the i64 position: a total past i64 is refused here. */
    if( PK_UNLIKELY( *open > (u64)PK_I64_MAX ) ) PK_FAIL( PK_ERR_INVALID_ORDER, PK_NO_ACCOUNT );
    if( PK_UNLIKELY( t.pos->open_orders == 0xff ) ) PK_FAIL( PK_ERR_ORDERBOOK_FULL, USER );
    t.pos->open_orders++;
  }
  pk_margin_t margin;
  i64 adjusted;
  PK_TRY( pk_adjusted_equity( &t, &adjusted, &margin ) );
  if( !reduce_only ) {
    if( PK_UNLIKELY( margin.mark_stale ) ) PK_FAIL( PK_ERR_MARK_STALE, MARKET );
    if( PK_UNLIKELY( adjusted < 0 || (u64)adjusted < margin.initial_requirement ) )
      PK_FAIL( PK_ERR_INSUFFICIENT_MARGIN, USER );
  } else if( adjusted < 0 || (u64)adjusted < margin.maintenance_requirement ) {
    /* the base this order traded or rests: accepted - what neither filled nor rested */
    PK_TRY( pk_check_reduce_only_loss( &t, adjusted_before, adjusted, accepted - t.remaining + resting ) );
  }

  pk_event_order_placed_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_ORDER_PLACED_DISCRIMINATOR;
  ev.user = *t.user_key;
  ev.order_id = order_id;
  ev.client_order_id = t.order->client_order_id;
  ev.price = t.order->price;
  ev.base_amount = resting;
  ev.slot = t.now;
  ev.market_index = t.market->market_index;
  ev.side = t.order->side;
  ev.order_type = type;
  pk_emit( &ev, PK_EVENT_ORDER_PLACED_LEN );
  return 0;
}

typedef struct {
  pk_user_t       *user;
  const SolPubkey *user_key;
  pk_market_t     *market;
  pk_orderbook_t  *book;
} pk_cancel_ctx_t;

/* Removes the order at (side, index), releases the reservation and logs the cancellation. */
static u64
pk_cancel_at( const pk_cancel_ctx_t *c, u8 side, u64 index ) {
  pk_user_t *u = c->user;
  const SolPubkey *user_key = c->user_key;
  const pk_market_t *m = c->market;
  pk_orderbook_t *book = c->book;
  pk_resting_order_t *o = side == PK_SIDE_BID ? &book->bids[index] : &book->asks[index];
  pk_perp_position_t *pos;
  PK_TRY( pk_position_for_market( u, m, &pos ) );
  pk_release_reservation( pos, side, o->base_amount, 1 );
  pk_emit_order_cancelled( user_key, o, m->market_index, side );
  pk_book_remove( book, side, index );
  return 0;
}

u64
pk_ix_cancel_order( SolParameters *p ) {
  enum { SIGNER = IX_ACC( CANCEL_ORDER, SIGNER ), USER = IX_ACC( CANCEL_ORDER, USER ), MARKET = IX_ACC( CANCEL_ORDER, MARKET ),
         BOOK = IX_ACC( CANCEL_ORDER, ORDERBOOK ) };
  PK_CHECK_IX( p, CANCEL_ORDER );
  pk_user_t *u;
  pk_market_t *m;
  pk_orderbook_t *book;
  PK_TRY( pk_load_user_as_trader( p, USER, SIGNER, &u ) );
  PK_STATIC_ASSERT( BOOK == MARKET + 1, "cancelOrder account order" );
  pk_market_book_t mb;
  PK_TRY( pk_load_market_book( p, MARKET, 0, &mb ) );
  m = mb.market;
  book = mb.book;
  u8 side;
  u64 index;
  if( PK_UNLIKELY( !pk_book_find( book, p->ka[USER].key, PK_ARGS( p, cancel_order )->order_id, &side, &index ) ) )
    PK_FAIL( PK_ERR_ORDER_NOT_FOUND, BOOK );
  pk_cancel_ctx_t c = { u, p->ka[USER].key, m, book };
  return pk_cancel_at( &c, side, index );
}

u64
pk_ix_cancel_all_orders( SolParameters *p ) {
  enum { SIGNER = IX_ACC( CANCEL_ALL_ORDERS, SIGNER ), USER = IX_ACC( CANCEL_ALL_ORDERS, USER ),
         MARKET = IX_ACC( CANCEL_ALL_ORDERS, MARKET ), BOOK = IX_ACC( CANCEL_ALL_ORDERS, ORDERBOOK ) };
  PK_CHECK_IX( p, CANCEL_ALL_ORDERS );
  pk_user_t *u;
  pk_market_t *m;
  pk_orderbook_t *book;
  PK_TRY( pk_load_user_as_trader( p, USER, SIGNER, &u ) );
  PK_STATIC_ASSERT( BOOK == MARKET + 1, "cancelAllOrders account order" );
  pk_market_book_t mb;
  PK_TRY( pk_load_market_book( p, MARKET, 0, &mb ) );
  m = mb.market;
  book = mb.book;
  const SolPubkey *key = p->ka[USER].key;
  pk_cancel_ctx_t c = { u, key, m, book };
  for( u64 i = book->bid_count; i-- > 0; )
    if( pk_pubkey_eq( &book->bids[i].owner, key ) ) PK_TRY( pk_cancel_at( &c, PK_SIDE_BID, i ) );
  for( u64 i = book->ask_count; i-- > 0; )
    if( pk_pubkey_eq( &book->asks[i].owner, key ) ) PK_TRY( pk_cancel_at( &c, PK_SIDE_ASK, i ) );
  return 0;
}

/* Applies one queued fill to its maker. */
static u64
pk_apply_maker_fill( pk_user_t *maker, const SolPubkey *maker_key, pk_market_t *m, const pk_fill_record_t *f, u64 seq ) {
  pk_perp_position_t *pos;
  u64 quote, floor_quote, ceil_quote, rebate;
  pk_oi_change_t oi;
  PK_TRY( pk_position_for_market( maker, m, &pos ) );
  PK_TRY( pk_fill_quote( f->base_amount, f->price, f->maker_side, &quote ) );
  pk_fill_t fill = { f->base_amount, quote, f->maker_side };
  PK_TRY( pk_position_apply_fill( pos, m, &fill, &oi ) );
  PK_TRY( pk_market_apply_oi( m, &oi ) );
  pk_release_reservation( pos, f->maker_side, f->base_amount, f->maker_order_done );
  PK_TRY( pk_mul_div_floor( f->base_amount, f->price, PK_BASE_PRECISION, &floor_quote ) );
  PK_TRY( pk_mul_div_ceil( f->base_amount, f->price, PK_BASE_PRECISION, &ceil_quote ) );
  rebate = f->maker_rebate;   /* fixed at fill time, when the taker paid its fee (>= it) into the pool */
  PK_TRY( pk_add_u64( m->fee_pool, ceil_quote - floor_quote, &m->fee_pool ) );
  PK_TRY( pk_sub_u64( m->fee_pool, rebate, &m->fee_pool ) );
  PK_TRY( pk_add_i64( pos->unsettled_pnl, (i64)rebate, &pos->unsettled_pnl ) );

  pk_event_maker_fill_applied_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_MAKER_FILL_APPLIED_DISCRIMINATOR;
  ev.maker = *maker_key;
  ev.maker_order_id = f->maker_order_id;
  ev.price = f->price;
  ev.base_amount = f->base_amount;
  ev.maker_rebate = rebate;
  ev.seq_num = seq;
  ev.market_index = m->market_index;
  ev.maker_side = f->maker_side;
  pk_emit( &ev, PK_EVENT_MAKER_FILL_APPLIED_LEN );
  return 0;
}

u64
pk_ix_consume_events( SolParameters *p ) {
  enum { MARKET = IX_ACC( CONSUME_EVENTS, MARKET ), QUEUE = IX_ACC( CONSUME_EVENTS, EVENT_QUEUE ) };
  PK_CHECK_IX( p, CONSUME_EVENTS );
  pk_market_t *m;
  pk_event_queue_t *q;
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  PK_TRY( pk_load_account( p, QUEUE, PK_EVENT_QUEUE_DISCRIMINATOR, PK_EVENT_QUEUE_LEN, (void **)&q ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[QUEUE].key, &m->event_queue ) ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, QUEUE );
  u64 limit = PK_ARGS( p, consume_events )->limit;
  u64 done = 0;
  while( done < limit && q->count > 0 ) {
    const pk_fill_record_t *f = &q->fills[q->head];
    u64 idx = PK_NO_ACCOUNT;
    for( u64 i = PK_IX_CONSUME_EVENTS_ACCOUNTS; i < p->ka_num; i++ )
      if( pk_pubkey_eq( p->ka[i].key, &f->maker ) ) { idx = i; break; }
    if( idx == PK_NO_ACCOUNT ) {
      if( done == 0 ) PK_FAIL( PK_ERR_MAKER_NOT_PASSED, PK_NO_ACCOUNT );
      break;
    }
    if( PK_UNLIKELY( !p->ka[idx].is_writable ) ) PK_FAIL( PK_ERR_ACCOUNT_NOT_WRITABLE, idx );
    pk_user_t *maker;
    PK_TRY( pk_load_account( p, idx, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)&maker ) );
    if( f->kind == PK_QUEUE_EVENT_OUT ) {
      /* an evicted order: only its reservation is left to release */
      pk_perp_position_t *pos;
      PK_TRY( pk_position_for_market( maker, m, &pos ) );
      pk_release_reservation( pos, f->maker_side, f->base_amount, 1 );
    } else {
      PK_TRY( pk_apply_maker_fill( maker, p->ka[idx].key, m, f, q->seq_num - q->count ) );
      u64 *pending = f->maker_side == PK_SIDE_BID ? &q->pending_bid_base : &q->pending_ask_base;
      *pending = *pending > f->base_amount ? *pending - f->base_amount : 0;
    }
    pk_memset( &q->fills[q->head], 0, sizeof( pk_fill_record_t ) );
    q->head = (u32)( ( q->head + 1 ) % ( sizeof( q->fills ) / sizeof( q->fills[0] ) ) );
    q->count--;
    done++;
  }
  return 0;
}

u64
pk_ix_prune_expired_orders( SolParameters *p ) {
  enum { MARKET = IX_ACC( PRUNE_EXPIRED_ORDERS, MARKET ), BOOK = IX_ACC( PRUNE_EXPIRED_ORDERS, ORDERBOOK ),
         QUEUE = IX_ACC( PRUNE_EXPIRED_ORDERS, EVENT_QUEUE ) };
  PK_CHECK_IX( p, PRUNE_EXPIRED_ORDERS );
  PK_STATIC_ASSERT( BOOK == MARKET + 1 && QUEUE == MARKET + 2, "pruneExpiredOrders account order" );
  pk_market_book_t mb;
  PK_TRY( pk_load_market_book( p, MARKET, 1, &mb ) );
  u64 limit = PK_ARGS( p, prune_expired_orders )->limit;
  pk_prune_t pr = { mb.book, mb.queue, pk_clock_slot(), limit, 0, mb.market->market_index };
  PK_TRY( pk_book_prune_side( &pr, PK_SIDE_BID ) );
  PK_TRY( pk_book_prune_side( &pr, PK_SIDE_ASK ) );
  if( PK_UNLIKELY( pr.budget == limit ) ) {
    /* nothing removed: a keeper should not pay for a no-op */
    if( pr.no_room ) PK_FAIL( PK_ERR_EVENT_QUEUE_FULL, QUEUE );
    PK_FAIL( PK_ERR_NOTHING_TO_PRUNE, BOOK );
  }
  return 0;
}
