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
