/* Trigger orders: stop and take-profit orders stored per User in a TriggerOrders PDA ["triggers", user]
   with PK_TRIGGER_ORDER_SLOTS fixed slots, fired permissionlessly by trigger_order when their condition
   holds at the market's mark or oracle price of this slot. A fired order goes through place_order's path
   (pk_place_order) with its margin checks at that time. When that path refuses the order for the User's
   state, the trigger order is removed with a TriggerOrderCancelled event instead of failing every later
   attempt: the order is first run with events muted on the real accounts, which are then restored from
   a heap snapshot, and only an order that passes is run again for real. */

#include "pk_program.h"

#define PK_SEED_TRIGGERS "triggers"

/* Heap layout of trigger_order's dry run: the mute word, then snapshots of the accounts place_order writes. */
#define PK_SNAP_USER   ( PK_HEAP_START + 8UL )
#define PK_SNAP_MARKET ( PK_SNAP_USER + PK_USER_LEN )
#define PK_SNAP_BOOK   ( PK_SNAP_MARKET + PK_MARKET_LEN )
#define PK_SNAP_QUEUE  ( PK_SNAP_BOOK + PK_ORDERBOOK_LEN )
PK_STATIC_ASSERT( PK_SNAP_QUEUE + PK_EVENT_QUEUE_LEN <= PK_HEAP_START + PK_HEAP_LEN, "trigger snapshots fit the heap" );

/* Loads the TriggerOrders account at idx and checks that it belongs to the User at user_idx (it exists
   only at the PDA of its user, so this is the PDA check). */
static u64
pk_load_trigger_orders( SolParameters *p, u64 idx, u64 user_idx, pk_trigger_orders_t **out ) {
  PK_TRY( pk_load_account( p, idx, PK_TRIGGER_ORDERS_DISCRIMINATOR, PK_TRIGGER_ORDERS_LEN, (void **)out ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( &(*out)->user, p->ka[user_idx].key ) ) ) PK_FAIL( PK_ERR_INVALID_PDA, idx );
  return 0;
}

static u64
pk_find_trigger( pk_trigger_orders_t *tr, u64 trigger_id, pk_trigger_order_t **out ) {
  for( u64 i = 0; i < PK_TRIGGER_ORDER_SLOTS; i++ ) {
    if( trigger_id != 0 && tr->orders[i].trigger_id == trigger_id ) { *out = &tr->orders[i]; return 0; }
  }
  PK_FAIL( PK_ERR_TRIGGER_NOT_FOUND, PK_NO_ACCOUNT );
}

static int
pk_trigger_is_limit( u8 kind ) {
  return kind == PK_TRIGGER_KIND_STOP_LIMIT || kind == PK_TRIGGER_KIND_TAKE_PROFIT_LIMIT;
}

static void
pk_emit_trigger_cancelled( const SolPubkey *user, const pk_trigger_order_t *o, u64 error_code ) {
  pk_event_trigger_order_cancelled_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_TRIGGER_ORDER_CANCELLED_DISCRIMINATOR;
  ev.user = *user;
  ev.trigger_id = o->trigger_id;
  ev.error_code = (u32)error_code;
  ev.market_index = o->market_index;
  pk_emit( &ev, PK_EVENT_TRIGGER_ORDER_CANCELLED_LEN );
}

static void
pk_remove_trigger( pk_trigger_orders_t *tr, pk_trigger_order_t *o ) {
  pk_memset( o, 0, sizeof( *o ) );
  if( tr->count ) tr->count--;
}

u64
pk_ix_init_trigger_orders( SolParameters *p ) {
  enum { PAYER = IX_ACC( INIT_TRIGGER_ORDERS, PAYER ), USER = IX_ACC( INIT_TRIGGER_ORDERS, USER ),
         TRIGGERS = IX_ACC( INIT_TRIGGER_ORDERS, TRIGGER_ORDERS ), SYSTEM = IX_ACC( INIT_TRIGGER_ORDERS, SYSTEM_PROGRAM ) };
  PK_CHECK_IX( p, INIT_TRIGGER_ORDERS );
  PK_TRY( pk_check_program( p, SYSTEM, &PK_SYSTEM_PROGRAM_ID ) );
  pk_user_t *u;
  PK_TRY( pk_load_user_as_trader( p, USER, PAYER, &u ) );
  u8 bump;
  SolSignerSeed seeds[3] = { PK_SEED( PK_SEED_TRIGGERS ), { p->ka[USER].key->x, 32 }, { &bump, 1 } };
  PK_TRY( pk_find_pda( p, TRIGGERS, seeds, 2, &bump ) );
  PK_TRY( pk_check_uninitialized( p, TRIGGERS ) );
  pk_create_account_t c = { &p->ka[PAYER], &p->ka[TRIGGERS], &p->ka[SYSTEM], p->program_id, PK_TRIGGER_ORDERS_LEN, { seeds, 3 } };
  PK_TRY( pk_create_pda_account( &c ) );
  pk_trigger_orders_t *tr = (pk_trigger_orders_t *)p->ka[TRIGGERS].data;
  tr->discriminator = PK_TRIGGER_ORDERS_DISCRIMINATOR;
  tr->user = *p->ka[USER].key;
  tr->next_trigger_id = 1;
  tr->bump = bump;
  return 0;
}

static u64
pk_validate_trigger_args( const pk_trigger_order_args_t *a, const pk_market_params_t *mp ) {
  int limit = pk_trigger_is_limit( a->kind );
  int ok = a->side <= PK_SIDE_ASK && a->kind < PK_TRIGGER_KIND_COUNT && a->condition < PK_TRIGGER_CONDITION_COUNT
        && a->price_source < PK_TRIGGER_PRICE_SOURCE_COUNT && a->reduce_only <= 1
        && a->trigger_price > 0 && a->trigger_price % mp->tick_size == 0
        && ( limit ? ( a->limit_price > 0 && a->limit_price % mp->tick_size == 0 ) : a->limit_price == 0 )
        && a->base_amount >= mp->min_order_size && a->base_amount % mp->lot_size == 0
        && a->base_amount <= (u64)PK_I64_MAX
        && ( a->padding[0] | a->padding[1] | a->padding[2] ) == 0;
  if( PK_UNLIKELY( !ok ) ) PK_FAIL( PK_ERR_INVALID_TRIGGER_PARAMS, PK_NO_ACCOUNT );
  return 0;
}

u64
pk_ix_place_trigger_order( SolParameters *p ) {
  enum { SIGNER = IX_ACC( PLACE_TRIGGER_ORDER, SIGNER ), USER = IX_ACC( PLACE_TRIGGER_ORDER, USER ),
         TRIGGERS = IX_ACC( PLACE_TRIGGER_ORDER, TRIGGER_ORDERS ), MARKET = IX_ACC( PLACE_TRIGGER_ORDER, MARKET ) };
  PK_CHECK_IX( p, PLACE_TRIGGER_ORDER );
  pk_user_t *u;
  pk_trigger_orders_t *tr;
  pk_market_t *m;
  PK_TRY( pk_load_user_as_trader( p, USER, SIGNER, &u ) );
  PK_TRY( pk_load_trigger_orders( p, TRIGGERS, USER, &tr ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  if( PK_UNLIKELY( m->status != PK_MARKET_STATUS_ACTIVE && m->status != PK_MARKET_STATUS_REDUCE_ONLY ) )
    PK_FAIL( PK_ERR_MARKET_NOT_TRADABLE, MARKET );
  const pk_trigger_order_args_t *a = &PK_ARGS( p, place_trigger_order )->order;
  PK_TRY( pk_validate_trigger_args( a, &m->params ) );
  int delegate = !pk_pubkey_eq( &u->authority, p->ka[SIGNER].key );
  /* a delegate's order may not rest (see pk_check_delegate_order): its limit kinds never could */
  if( PK_UNLIKELY( delegate && pk_trigger_is_limit( a->kind ) ) ) PK_FAIL( PK_ERR_DELEGATE_MAY_NOT_REST, PK_NO_ACCOUNT );
  pk_trigger_order_t *o = PK_NULL;
  for( u64 i = 0; i < PK_TRIGGER_ORDER_SLOTS && !o; i++ )
    if( tr->orders[i].trigger_id == 0 ) o = &tr->orders[i];
  if( PK_UNLIKELY( !o ) ) PK_FAIL( PK_ERR_TRIGGER_SLOTS_FULL, TRIGGERS );
  o->trigger_id = tr->next_trigger_id++;
  o->trigger_price = a->trigger_price;
  o->limit_price = a->limit_price;
  o->base_amount = a->base_amount;
  o->market_index = m->market_index;
  o->side = a->side;
  o->kind = a->kind;
  o->condition = a->condition;
  o->price_source = a->price_source;
  o->reduce_only = a->reduce_only;
  o->placed_by_delegate = (u8)delegate;
  tr->count++;

  pk_event_trigger_order_placed_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_TRIGGER_ORDER_PLACED_DISCRIMINATOR;
  ev.user = *p->ka[USER].key;
  ev.trigger_id = o->trigger_id;
  ev.trigger_price = o->trigger_price;
  ev.limit_price = o->limit_price;
  ev.base_amount = o->base_amount;
  ev.slot = pk_clock_slot();
  ev.market_index = o->market_index;
  ev.side = o->side;
  ev.kind = o->kind;
  ev.condition = o->condition;
  ev.price_source = o->price_source;
  ev.reduce_only = o->reduce_only;
  pk_emit( &ev, PK_EVENT_TRIGGER_ORDER_PLACED_LEN );
  return 0;
}

u64
pk_ix_cancel_trigger_order( SolParameters *p ) {
  enum { SIGNER = IX_ACC( CANCEL_TRIGGER_ORDER, SIGNER ), USER = IX_ACC( CANCEL_TRIGGER_ORDER, USER ),
         TRIGGERS = IX_ACC( CANCEL_TRIGGER_ORDER, TRIGGER_ORDERS ) };
  PK_CHECK_IX( p, CANCEL_TRIGGER_ORDER );
  pk_user_t *u;
  pk_trigger_orders_t *tr;
  pk_trigger_order_t *o;
  PK_TRY( pk_load_user_as_trader( p, USER, SIGNER, &u ) );
  PK_TRY( pk_load_trigger_orders( p, TRIGGERS, USER, &tr ) );
  PK_TRY( pk_find_trigger( tr, PK_ARGS( p, cancel_trigger_order )->trigger_id, &o ) );
  pk_emit_trigger_cancelled( p->ka[USER].key, o, 0 );
  pk_remove_trigger( tr, o );
  return 0;
}

/* Errors of place_order's path that refuse the order for the User's state or the book at this price:
   the trigger order is removed rather than retried. Anything else (stale marks, a market not tradable,
   a full event queue, missing accounts) is the keeper's or the moment's, and fails the instruction. */
static int
pk_trigger_refusal( u64 rc ) {
  switch( rc ) {
    case PK_ERR_INSUFFICIENT_MARGIN:
    case PK_ERR_REDUCE_ONLY_VIOLATED:
    case PK_ERR_REDUCE_ONLY_WORSE_THAN_LIQUIDATION:
    case PK_ERR_INVALID_ORDER:
    case PK_ERR_ORDER_PRICE_OUT_OF_BAND:
    case PK_ERR_ORDER_BELOW_MIN_NOTIONAL:
    case PK_ERR_TOO_MANY_OPEN_ORDERS:
    case PK_ERR_OPEN_INTEREST_LIMIT:
    case PK_ERR_ORDERBOOK_FULL:
    case PK_ERR_TOO_MANY_POSITIONS:
    case PK_ERR_DELEGATE_PRICE_OUT_OF_BAND:
    case PK_ERR_DELEGATE_MAY_NOT_REST:
      return 1;
    default:
      return 0;
  }
}

/* Price of the market order a *Market kind places: the edge of the band the order is checked against
   (+-50% of the mark, the delegate band for a delegate's trigger), rounded to a tick towards the mark. */
static u64
pk_trigger_market_price( const pk_market_t *m, u8 side, int delegate, u64 *out ) {
  u64 mark = m->mark_price, tick = m->params.tick_size, band;
  if( delegate ) PK_TRY( pk_mul_div_floor( mark, m->params.delegate_price_band_bps, PK_BPS, &band ) );
  else band = mark / 2UL;
  if( side == PK_SIDE_BID ) {
    *out = ( mark + band ) / tick * tick;
  } else {
    u64 lo = mark - band;
    *out = ( lo + tick - 1 ) / tick * tick;
  }
  if( *out == 0 ) *out = tick;
  return 0;
}

typedef struct {
  SolParameters         *p;
  pk_user_t             *user;
  const pk_order_args_t *order;
  int                    delegate;
  u64                    fee;
} pk_fire_t;

/* Charges the fee and places the order through place_order's path. */
static u64
pk_fire( const pk_fire_t *f ) {
  f->user->collateral -= f->fee;
  return pk_place_order( f->p, f->user, f->order, f->delegate, PK_IX_TRIGGER_ORDER_ACCOUNTS );
}

/* Copies the User, market, orderbook and event queue (accounts 1 to 4) to their heap snapshots, or back
   when restore. The orderbook and queue are validated only by place_order's path, after the copy: at most
   their expected lengths are copied (a wrong one then fails that path). */
static void
pk_snapshot( SolParameters *p, int restore ) {
  PK_STATIC_ASSERT( IX_ACC( TRIGGER_ORDER, USER ) == 1 && IX_ACC( TRIGGER_ORDER, MARKET ) == 2
                    && IX_ACC( TRIGGER_ORDER, ORDERBOOK ) == 3 && IX_ACC( TRIGGER_ORDER, EVENT_QUEUE ) == 4, "snapshot accounts 1..4" );
  const u64 lens[5] = { 0, PK_USER_LEN, PK_MARKET_LEN, PK_ORDERBOOK_LEN, PK_EVENT_QUEUE_LEN };
  u64 at = PK_SNAP_USER;
  for( u64 i = 1; i <= 4; i++ ) {
    SolAccountInfo *a = &p->ka[i];
    u64 n = a->data_len < lens[i] ? a->data_len : lens[i];
    if( restore ) pk_memcpy( a->data, (const void *)at, n );
    else pk_memcpy( (void *)at, a->data, n );
    at += lens[i];
  }
}

u64
pk_ix_trigger_order( SolParameters *p ) {
  enum { KEEPER = IX_ACC( TRIGGER_ORDER, KEEPER ), USER = IX_ACC( TRIGGER_ORDER, USER ), MARKET = IX_ACC( TRIGGER_ORDER, MARKET ),
         BOOK = IX_ACC( TRIGGER_ORDER, ORDERBOOK ), QUEUE = IX_ACC( TRIGGER_ORDER, EVENT_QUEUE ),
         TRIGGERS = IX_ACC( TRIGGER_ORDER, TRIGGER_ORDERS ), KEEPER_USER = IX_ACC( TRIGGER_ORDER, KEEPER_USER ) };
  PK_STATIC_ASSERT( USER == IX_ACC( PLACE_ORDER, USER ) && MARKET == IX_ACC( PLACE_ORDER, MARKET )
                    && BOOK == IX_ACC( PLACE_ORDER, ORDERBOOK ) && QUEUE == IX_ACC( PLACE_ORDER, EVENT_QUEUE ),
                    "pk_place_order reads the accounts at place_order's indices" );
  PK_CHECK_IX( p, TRIGGER_ORDER );
  pk_user_t *u, *keeper_user;
  pk_trigger_orders_t *tr;
  pk_trigger_order_t *o;
  pk_market_t *m;
  PK_TRY( pk_load_account( p, USER, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)&u ) );
  PK_TRY( pk_load_user_as_authority( p, KEEPER_USER, KEEPER, &keeper_user ) );
  PK_TRY( pk_load_trigger_orders( p, TRIGGERS, USER, &tr ) );
  PK_TRY( pk_find_trigger( tr, PK_ARGS( p, trigger_order )->trigger_id, &o ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  if( PK_UNLIKELY( m->market_index != o->market_index ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, MARKET );
  u64 slot = pk_clock_slot();
  if( PK_UNLIKELY( m->last_price_update_slot != slot ) ) PK_FAIL( PK_ERR_TRIGGER_PRICE_NOT_FRESH, MARKET );
  u64 price = o->price_source == PK_TRIGGER_PRICE_SOURCE_ORACLE ? m->index_price : m->mark_price;
  if( PK_UNLIKELY( price == 0 || m->mark_price == 0 ) ) PK_FAIL( PK_ERR_ORACLE_UNAVAILABLE, MARKET );
  int holds = o->condition == PK_TRIGGER_CONDITION_ABOVE ? price >= o->trigger_price : price <= o->trigger_price;
  if( PK_UNLIKELY( !holds ) ) PK_FAIL( PK_ERR_TRIGGER_CONDITION_NOT_MET, TRIGGERS );

  pk_order_args_t order;
  pk_memset( &order, 0, sizeof( order ) );   /* fields place_order gains later stay 0 */
  order.base_amount = o->base_amount;
  order.client_order_id = o->trigger_id;
  order.side = o->side;
  order.reduce_only = o->reduce_only;
  if( pk_trigger_is_limit( o->kind ) ) {
    order.order_type = PK_ORDER_TYPE_LIMIT;
    order.price = o->limit_price;
  } else {
    order.order_type = PK_ORDER_TYPE_MARKET;
    PK_TRY( pk_trigger_market_price( m, o->side, o->placed_by_delegate, &order.price ) );
  }
  u64 fee = m->params.trigger_fee_quote < u->collateral ? m->params.trigger_fee_quote : u->collateral;
  pk_fire_t f = { p, u, &order, o->placed_by_delegate, fee };

  /* Dry run with events muted, then put the accounts back: a refused order cancels the trigger. */
  pk_snapshot( p, 0 );
  *PK_HEAP_EMIT_MUTED = 1;
  u64 rc = pk_fire( &f );
  *PK_HEAP_EMIT_MUTED = 0;
  pk_snapshot( p, 1 );
  if( rc ) {
    if( !pk_trigger_refusal( rc ) ) return rc;
    pk_emit_trigger_cancelled( p->ka[USER].key, o, rc );
    pk_remove_trigger( tr, o );
    return 0;
  }
  PK_TRY( pk_fire( &f ) );
  PK_TRY( pk_add_u64( keeper_user->collateral, fee, &keeper_user->collateral ) );

  pk_event_trigger_order_triggered_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_TRIGGER_ORDER_TRIGGERED_DISCRIMINATOR;
  ev.user = *p->ka[USER].key;
  ev.keeper = *p->ka[KEEPER_USER].key;
  ev.trigger_id = o->trigger_id;
  ev.trigger_price = o->trigger_price;
  ev.price = price;
  ev.order_price = order.price;
  ev.base_amount = o->base_amount;
  ev.keeper_fee = fee;
  ev.slot = slot;
  ev.market_index = o->market_index;
  ev.side = o->side;
  ev.kind = o->kind;
  pk_emit( &ev, PK_EVENT_TRIGGER_ORDER_TRIGGERED_LEN );
  pk_remove_trigger( tr, o );
  return 0;
}
