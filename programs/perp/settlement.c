/* settle_pnl: realised PnL (with accrued funding) into collateral, through the market's PnL pool.

   Losses leave collateral for the pool (at most the collateral there is); profits are paid from the
   pool (at most what it holds). The collateral vault's balance never changes here, so it keeps
   equalling the sum of collateral plus every PnL pool. */

#include "pk_program.h"

u64
pk_ix_settle_pnl( SolParameters *p ) {
  enum { USER = IX_ACC( SETTLE_PNL, USER ), MARKET = IX_ACC( SETTLE_PNL, MARKET ) };
  PK_CHECK_IX( p, SETTLE_PNL );
  pk_user_t *u;
  pk_market_t *m;
  PK_TRY( pk_load_account( p, USER, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)&u ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  pk_perp_position_t *pos;
  PK_TRY( pk_position_for_market( u, m, &pos ) );
  PK_TRY( pk_position_settle_funding( pos, m ) );
  i64 pnl = pos->unsettled_pnl, moved = 0;
  if( pnl < 0 ) {
    u64 loss = (u64)0 - (u64)pnl;
    u64 amount = loss < u->collateral ? loss : u->collateral;
    u->collateral -= amount;
    PK_TRY( pk_add_u64( m->pnl_pool, amount, &m->pnl_pool ) );
    moved = -(i64)amount;
  } else if( pnl > 0 ) {
    u64 amount = (u64)pnl < m->pnl_pool ? (u64)pnl : m->pnl_pool;
    PK_TRY( pk_add_u64( u->collateral, amount, &u->collateral ) );
    m->pnl_pool -= amount;
    moved = (i64)amount;
  }
  pos->unsettled_pnl = pnl - moved;

  pk_event_pnl_settled_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_PNL_SETTLED_DISCRIMINATOR;
  ev.user = *p->ka[USER].key;
  ev.amount = moved;
  ev.collateral_after = u->collateral;
  ev.pnl_pool_after = m->pnl_pool;
  ev.unsettled_after = pos->unsettled_pnl;
  ev.market_index = m->market_index;
  pk_emit( &ev, PK_EVENT_PNL_SETTLED_LEN );
  return 0;
}

u64
pk_ix_settle_market( SolParameters *p ) {
  enum { ADMIN = IX_ACC( SETTLE_MARKET, ADMIN ), EXCHANGE = IX_ACC( SETTLE_MARKET, EXCHANGE ), MARKET = IX_ACC( SETTLE_MARKET, MARKET ) };
  PK_CHECK_IX( p, SETTLE_MARKET );
  pk_exchange_t *ex;
  pk_market_t *m;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  u64 price = PK_ARGS( p, settle_market )->settlement_price;
  if( PK_UNLIKELY( price == 0 || price > (u64)PK_I64_MAX ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( m->status == PK_MARKET_STATUS_SETTLEMENT || m->status == PK_MARKET_STATUS_DELISTED ) )
    PK_FAIL( PK_ERR_INVALID_STATUS_TRANSITION, MARKET );
  m->status = PK_MARKET_STATUS_SETTLEMENT;
  m->settlement_price = price;

  pk_event_market_settled_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_MARKET_SETTLED_DISCRIMINATOR;
  ev.market = *p->ka[MARKET].key;
  ev.settlement_price = price;
  ev.open_interest = m->open_interest_long;
  ev.slot = pk_clock_slot();
  ev.market_index = m->market_index;
  pk_emit( &ev, PK_EVENT_MARKET_SETTLED_LEN );
  return 0;
}

u64
pk_ix_settle_expired_position( SolParameters *p ) {
  enum { USER = IX_ACC( SETTLE_EXPIRED_POSITION, USER ), MARKET = IX_ACC( SETTLE_EXPIRED_POSITION, MARKET ),
         BOOK = IX_ACC( SETTLE_EXPIRED_POSITION, ORDERBOOK ) };
  PK_CHECK_IX( p, SETTLE_EXPIRED_POSITION );
  pk_user_t *u;
  pk_market_t *m;
  pk_orderbook_t *book;
  PK_TRY( pk_load_account( p, USER, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)&u ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  PK_TRY( pk_load_account( p, BOOK, PK_ORDERBOOK_DISCRIMINATOR, PK_ORDERBOOK_LEN, (void **)&book ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[BOOK].key, &m->orderbook ) ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, BOOK );
  if( PK_UNLIKELY( m->status != PK_MARKET_STATUS_SETTLEMENT ) ) PK_FAIL( PK_ERR_MARKET_NOT_IN_SETTLEMENT, MARKET );
  pk_perp_position_t *pos;
  PK_TRY( pk_position_for_market( u, m, &pos ) );
  pk_book_cancel_user( book, p->ka[USER].key, pos, m->market_index );
  i64 base = pos->base_amount;
  i64 pnl_before = pos->unsettled_pnl;
  if( base != 0 ) {
    u8 side = base > 0 ? PK_SIDE_ASK : PK_SIDE_BID;
    u64 size = base > 0 ? (u64)base : (u64)0 - (u64)base;
    u64 quote;
    pk_oi_change_t oi;
    PK_TRY( pk_fill_quote( size, m->settlement_price, side, &quote ) );
    pk_fill_t fill = { size, quote, side };
    PK_TRY( pk_position_apply_fill( pos, m, &fill, &oi ) );
    PK_TRY( pk_market_apply_oi( m, &oi ) );
  }
  pk_event_position_settled_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_POSITION_SETTLED_DISCRIMINATOR;
  ev.user = *p->ka[USER].key;
  ev.base_amount = base;
  ev.settlement_price = m->settlement_price;
  ev.realised_pnl = pos->unsettled_pnl - pnl_before;
  ev.market_index = m->market_index;
  pk_emit( &ev, PK_EVENT_POSITION_SETTLED_LEN );
  return 0;
}
