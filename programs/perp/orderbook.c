/* The order book and the event queue.

   Each side is an array sorted so that its best order is last: bids ascending by price, asks
   descending. Among equal prices the earliest order sits nearest the end, so matching pops from the
   end in price-time priority and a new order is inserted below every order at its price. */

#include "pk_program.h"

#define PK_BOOK_SIDE_CAPACITY 64UL
#define PK_QUEUE_CAPACITY 128UL
PK_STATIC_ASSERT( sizeof( ((pk_orderbook_t *)0)->bids ) / sizeof( pk_resting_order_t ) == PK_BOOK_SIDE_CAPACITY, "bids" );
PK_STATIC_ASSERT( sizeof( ((pk_event_queue_t *)0)->fills ) / sizeof( pk_fill_record_t ) == PK_QUEUE_CAPACITY, "queue" );

static pk_resting_order_t *
pk_side_orders( pk_orderbook_t *book, u8 side, u32 **count ) {
  *count = side == PK_SIDE_BID ? &book->bid_count : &book->ask_count;
  return side == PK_SIDE_BID ? book->bids : book->asks;
}

/* pk_emit_order_cancelled logs OrderCancelled for order o of user. */
void
pk_emit_order_cancelled( const SolPubkey *user, const pk_resting_order_t *o, u16 market_index, u8 side ) {
  pk_event_order_cancelled_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_ORDER_CANCELLED_DISCRIMINATOR;
  ev.user = *user;
  ev.order_id = o->order_id;
  ev.base_amount = o->base_amount;
  ev.market_index = market_index;
  ev.side = side;
  pk_emit( &ev, PK_EVENT_ORDER_CANCELLED_LEN );
}

/* pk_book_insert inserts order on side, keeping the order described above. On a full side a strictly
   better-priced order evicts the worst one (the latest of the worst price, at index 0), which is copied
   to *evicted and *did_evict set: the caller releases its owner's reservation. Fails with
   PK_ERR_ORDERBOOK_FULL when the side is full and the order is no better than its worst. */
u64
pk_book_insert( pk_orderbook_t *book, u8 side, const pk_resting_order_t *order, pk_resting_order_t *evicted, int *did_evict ) {
  u32 *count;
  pk_resting_order_t *orders = pk_side_orders( book, side, &count );
  *did_evict = 0;
  if( PK_UNLIKELY( *count >= PK_BOOK_SIDE_CAPACITY ) ) {
    int better = side == PK_SIDE_BID ? order->price > orders[0].price : order->price < orders[0].price;
    if( PK_UNLIKELY( !better ) ) PK_FAIL( PK_ERR_ORDERBOOK_FULL, PK_NO_ACCOUNT );
    *evicted = orders[0];
    *did_evict = 1;
    pk_book_remove( book, side, 0 );
  }
  u64 n = *count;
  /* position = number of orders strictly worse than the new one's price */
  u64 i = 0;
  if( side == PK_SIDE_BID ) while( i < n && orders[i].price < order->price ) i++;
  else                      while( i < n && orders[i].price > order->price ) i++;
  if( i < n ) sol_memmove_( &orders[i + 1], &orders[i], ( n - i ) * sizeof( pk_resting_order_t ) );
  orders[i] = *order;
  *count = (u32)( n + 1 );
  return 0;
}

/* pk_book_count_owner returns how many resting orders of owner the book holds, both sides. */
u64
pk_book_count_owner( const pk_orderbook_t *book, const SolPubkey *owner ) {
  u64 n = 0;
  for( u64 i = 0; i < book->bid_count; i++ ) n += (u64)pk_pubkey_eq( &book->bids[i].owner, owner );
  for( u64 i = 0; i < book->ask_count; i++ ) n += (u64)pk_pubkey_eq( &book->asks[i].owner, owner );
  return n;
}

/* pk_book_remove removes the order at index on side. */
void
pk_book_remove( pk_orderbook_t *book, u8 side, u64 index ) {
  u32 *count;
  pk_resting_order_t *orders = pk_side_orders( book, side, &count );
  u64 n = *count;
  if( index + 1 < n ) sol_memmove_( &orders[index], &orders[index + 1], ( n - index - 1 ) * sizeof( pk_resting_order_t ) );
  pk_memset( &orders[n - 1], 0, sizeof( pk_resting_order_t ) );
  *count = (u32)( n - 1 );
}

/* pk_book_find looks for owner's order order_id; returns 1 and its side and index when found. */
int
pk_book_find( const pk_orderbook_t *book, const SolPubkey *owner, u64 order_id, u8 *side, u64 *index ) {
  for( u64 i = 0; i < book->bid_count; i++ )
    if( book->bids[i].order_id == order_id && pk_pubkey_eq( &book->bids[i].owner, owner ) ) { *side = PK_SIDE_BID; *index = i; return 1; }
  for( u64 i = 0; i < book->ask_count; i++ )
    if( book->asks[i].order_id == order_id && pk_pubkey_eq( &book->asks[i].owner, owner ) ) { *side = PK_SIDE_ASK; *index = i; return 1; }
  return 0;
}

/* pk_queue_push appends fill and returns its sequence number. Fails with PK_ERR_EVENT_QUEUE_FULL
   rather than overwrite an event that was not applied yet. Only fills count as pending base (an out
   event adds no open interest). */
u64
pk_queue_push( pk_event_queue_t *queue, const pk_fill_record_t *fill, u64 *seq ) {
  if( PK_UNLIKELY( queue->count >= PK_QUEUE_CAPACITY ) ) PK_FAIL( PK_ERR_EVENT_QUEUE_FULL, PK_NO_ACCOUNT );
  u64 slot = ( (u64)queue->head + queue->count ) % PK_QUEUE_CAPACITY;
  queue->fills[slot] = *fill;
  if( fill->kind == PK_QUEUE_EVENT_FILL ) {
    u64 *pending = fill->maker_side == PK_SIDE_BID ? &queue->pending_bid_base : &queue->pending_ask_base;
    PK_TRY( pk_add_u64( *pending, fill->base_amount, pending ) );
  }
  queue->count++;
  *seq = queue->seq_num++;
  return 0;
}

/* Queues the out event of order o, which left side without its owner's account, for consume_events
   to release its owner's reservation; its sequence number in *seq. */
static u64
pk_queue_push_out_record( pk_event_queue_t *queue, const pk_resting_order_t *o, u8 side, u64 *seq ) {
  pk_fill_record_t rec;
  pk_memset( &rec, 0, sizeof( rec ) );
  rec.maker = o->owner;
  rec.maker_order_id = o->order_id;
  rec.price = o->price;
  rec.base_amount = o->base_amount;
  rec.maker_side = side;
  rec.maker_order_done = 1;
  rec.kind = PK_QUEUE_EVENT_OUT;
  return pk_queue_push( queue, &rec, seq );
}

/* pk_queue_push_out queues the out event of order o, evicted from side by order evicted_by, for
   consume_events to release its owner's reservation, and logs OrderEvicted. */
u64
pk_queue_push_out( pk_event_queue_t *queue, const pk_resting_order_t *o, u8 side, u64 evicted_by, u16 market_index ) {
  u64 seq;
  PK_TRY( pk_queue_push_out_record( queue, o, side, &seq ) );
  pk_event_order_evicted_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_ORDER_EVICTED_DISCRIMINATOR;
  ev.user = o->owner;
  ev.order_id = o->order_id;
  ev.price = o->price;
  ev.base_amount = o->base_amount;
  ev.seq_num = seq;
  ev.evicted_by = evicted_by;
  ev.market_index = market_index;
  ev.side = side;
  pk_emit( &ev, PK_EVENT_ORDER_EVICTED_LEN );
  return 0;
}

/* pk_queue_push_expired queues the out event of expired order o of side, as pk_queue_push_out does for
   an eviction, and logs OrderExpired. */
u64
pk_queue_push_expired( pk_event_queue_t *queue, const pk_resting_order_t *o, u8 side, u16 market_index ) {
  u64 seq;
  PK_TRY( pk_queue_push_out_record( queue, o, side, &seq ) );
  pk_event_order_expired_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_ORDER_EXPIRED_DISCRIMINATOR;
  ev.user = o->owner;
  ev.order_id = o->order_id;
  ev.price = o->price;
  ev.base_amount = o->base_amount;
  ev.seq_num = seq;
  ev.expiry_slot = o->expiry_slot;
  ev.market_index = market_index;
  ev.side = side;
  pk_emit( &ev, PK_EVENT_ORDER_EXPIRED_LEN );
  return 0;
}

/* pk_book_prune_side removes up to pr->budget expired orders of side (pk_order_expired at pr->now), in
   one pass that keeps the others in place, each with an out event (pk_queue_push_expired). Keeps them,
   without error, once the queue is full (counted in pr->no_room); pr->budget is decreased by the orders
   removed. */
u64
pk_book_prune_side( pk_prune_t *pr, u8 side ) {
  u32 *count;
  pk_resting_order_t *orders = pk_side_orders( pr->book, side, &count );
  u64 n = *count, kept = 0;
  for( u64 i = 0; i < n; i++ ) {
    int drop = pr->budget > 0 && pk_order_expired( &orders[i], pr->now );
    if( drop && pr->queue->count >= PK_QUEUE_CAPACITY ) {
      pr->no_room++;
      drop = 0;
    }
    if( drop ) {
      PK_TRY( pk_queue_push_expired( pr->queue, &orders[i], side, pr->market_index ) );
      pr->budget--;
      continue;
    }
    if( kept != i ) orders[kept] = orders[i];
    kept++;
  }
  if( kept < n ) pk_memset( &orders[kept], 0, ( n - kept ) * sizeof( pk_resting_order_t ) );
  *count = (u32)kept;
  return 0;
}

/* pk_book_cancel_user removes every resting order of user_key from the book, releases each order's
   reservation in pos and logs OrderCancelled. Used where the User does not sign (liquidation,
   settlement). Fills of these orders already in the event queue keep their reservations until applied. */
void
pk_book_cancel_user( pk_orderbook_t *book, const SolPubkey *user_key, pk_perp_position_t *pos, u16 market_index ) {
  for( u8 side = PK_SIDE_BID; side <= PK_SIDE_ASK; side++ ) {
    u32 *count;
    pk_resting_order_t *orders = pk_side_orders( book, side, &count );
    u64 *open = side == PK_SIDE_BID ? &pos->open_bids : &pos->open_asks;
    for( u64 i = *count; i-- > 0; ) {
      if( !pk_pubkey_eq( &orders[i].owner, user_key ) ) continue;
      *open = *open > orders[i].base_amount ? *open - orders[i].base_amount : 0;
      if( pos->open_orders ) pos->open_orders--;
      pk_emit_order_cancelled( user_key, &orders[i], market_index, side );
      pk_book_remove( book, side, i );
    }
  }
}
