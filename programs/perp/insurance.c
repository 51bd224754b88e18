/* The insurance fund's flows: bankruptcy cover and revenue sweeps.

   resolve_bankruptcy: a User with no position and no order left whose equity (collateral plus
   unsettled PnL in every market) is negative. Its loss in the market, at most that deficit, is
   covered by its collateral first (into the PnL pool), then by the market's fee pool (revenue not yet
   swept: those tokens already sit in the PnL pool), then the insurance vault pays what it holds
   into the collateral vault (and the PnL pool), and the rest R is socialised: both cumulative funding
   sums move by ceil(R * 1e12 / (OI long + OI short)) against their holders, so every open position
   pays its share of R the next time its funding settles. A flagged user whose equity is no longer
   negative (it deposited) only has its flag cleared.

   Exchange.bankruptUsers counts the users flagged bankrupt (pk_flag_bankrupt, called by liquidate_perp
   and here): insurance removals wait while it is not zero (stakes.c), so that a staker cannot leave
   between a bankrupting liquidation and its cover.
   settle_revenue_to_insurance: the fee pool, as far as the PnL pool holds its tokens, moves from the
   collateral vault to the insurance vault, once per interval, with no maker rebate pending. */

#include "pk_program.h"

/* Checks the two vault accounts against the exchange and the token program account. */
static u64
pk_check_vaults( SolParameters *p, const pk_exchange_t *ex, u64 collateral_idx, u64 insurance_idx, u64 token_idx ) {
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[collateral_idx].key, &ex->collateral_vault ) ) ) PK_FAIL( PK_ERR_INVALID_VAULT, collateral_idx );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[insurance_idx].key, &ex->insurance_vault ) ) ) PK_FAIL( PK_ERR_INVALID_VAULT, insurance_idx );
  return pk_check_program( p, token_idx, &PK_TOKEN_PROGRAM_ID );
}

static int
pk_user_is_flat( const pk_user_t *u ) {
  for( u64 i = 0; i < PK_MAX_PERP_POSITIONS; i++ ) {
    const pk_perp_position_t *pos = &u->positions[i];
    if( pos->base_amount != 0 || pos->open_orders != 0 || pos->open_bids != 0 || pos->open_asks != 0 ) return 0;
  }
  return 1;
}

/* pk_flag_bankrupt sets (bankrupt != 0) or clears the user's bankrupt flag, keeping ex->bankrupt_users
   equal to the number of flagged users; flagging a user stamps ex->last_bankruptcy_ts (only then, so
   that repeating a resolve_bankruptcy that finds nothing to pay with cannot extend the removal lock).
   */
u64
pk_flag_bankrupt( pk_exchange_t *ex, pk_user_t *u, int bankrupt ) {
  int was = ( u->flags & PK_USER_FLAG_BANKRUPT ) != 0;
  if( bankrupt ) {
    if( was ) return 0;
    if( PK_UNLIKELY( ex->bankrupt_users == 0xffffffffU ) ) return PK_ERR_MATH_OVERFLOW;
    SolClock clock;
    sol_get_clock_sysvar( &clock );
    ex->last_bankruptcy_ts = clock.unix_timestamp;
    ex->bankrupt_users++;
    u->flags |= (u8)PK_USER_FLAG_BANKRUPT;
  } else if( was ) {
    if( ex->bankrupt_users ) ex->bankrupt_users--;
    u->flags &= (u8)~PK_USER_FLAG_BANKRUPT;
  }
  return 0;
}

u64
pk_ix_resolve_bankruptcy( SolParameters *p ) {
  enum { USER = IX_ACC( RESOLVE_BANKRUPTCY, USER ), EXCHANGE = IX_ACC( RESOLVE_BANKRUPTCY, EXCHANGE ),
         MARKET = IX_ACC( RESOLVE_BANKRUPTCY, MARKET ), QUEUE = IX_ACC( RESOLVE_BANKRUPTCY, EVENT_QUEUE ),
         INSURANCE = IX_ACC( RESOLVE_BANKRUPTCY, INSURANCE_VAULT ),
         VAULT = IX_ACC( RESOLVE_BANKRUPTCY, COLLATERAL_VAULT ), TOKEN = IX_ACC( RESOLVE_BANKRUPTCY, TOKEN_PROGRAM ) };
  PK_CHECK_IX( p, RESOLVE_BANKRUPTCY );
  pk_user_t *u;
  pk_exchange_t *ex;
  pk_market_t *m;
  PK_TRY( pk_load_account( p, USER, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)&u ) );
  PK_TRY( pk_load_exchange( p, EXCHANGE, &ex ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  PK_TRY( pk_check_queue_drained( p, QUEUE, m ) );
  PK_TRY( pk_check_vaults( p, ex, VAULT, INSURANCE, TOKEN ) );
  if( PK_UNLIKELY( !pk_user_is_flat( u ) ) ) PK_FAIL( PK_ERR_NOT_BANKRUPT, USER );
  /* Flat, so equity is collateral plus unsettled PnL everywhere: profit owed in another market counts. */
  if( PK_UNLIKELY( u->collateral > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
  i64 equity = (i64)u->collateral;
  for( u64 i = 0; i < PK_MAX_PERP_POSITIONS; i++ ) PK_TRY( pk_add_i64( equity, u->positions[i].unsettled_pnl, &equity ) );
  if( equity >= 0 && ( u->flags & PK_USER_FLAG_BANKRUPT ) ) {
    u->flags &= (u8)~PK_USER_FLAG_BEING_LIQUIDATED;
    return pk_flag_bankrupt( ex, u, 0 );
  }
  pk_perp_position_t *pos;
  PK_TRY( pk_position_for_market( u, m, &pos ) );
  if( PK_UNLIKELY( equity >= 0 || pos->unsettled_pnl >= 0 ) ) PK_FAIL( PK_ERR_NOT_BANKRUPT, USER );
  u64 loss = (u64)0 - (u64)pos->unsettled_pnl;
  u64 deficit = (u64)0 - (u64)equity;

  u64 from_collateral = loss < u->collateral ? loss : u->collateral;
  u->collateral -= from_collateral;
  PK_TRY( pk_add_u64( m->pnl_pool, from_collateral, &m->pnl_pool ) );
  u64 rest = loss - from_collateral;
  if( rest > deficit ) rest = deficit;   /* the remainder is backed by the user's profit elsewhere */

  u64 from_fees = rest < m->fee_pool ? rest : m->fee_pool;
  m->fee_pool -= from_fees;
  rest -= from_fees;

  u64 available = pk_token_amount( &p->ka[INSURANCE] );
  u64 insurance_paid = rest < available ? rest : available;
  if( insurance_paid ) {
    PK_EXCHANGE_SIGNER( signer, ex );
    pk_token_transfer_t t = { &p->ka[INSURANCE], &p->ka[VAULT], &p->ka[EXCHANGE], &p->ka[TOKEN], insurance_paid, &signer };
    PK_TRY( pk_token_transfer( &t ) );
    PK_TRY( pk_add_u64( m->pnl_pool, insurance_paid, &m->pnl_pool ) );
    PK_TRY( pk_add_u64( ex->total_collateral, insurance_paid, &ex->total_collateral ) );
  }
  rest -= insurance_paid;

  u64 open_interest;
  i64 delta = 0;
  PK_TRY( pk_add_u64( m->open_interest_long, m->open_interest_short, &open_interest ) );
  u64 socialised = open_interest ? rest : 0;   /* with no open interest nobody can absorb it yet */
  if( socialised ) {
    u64 d;
    PK_TRY( pk_mul_div_ceil( socialised, PK_FUNDING_PRECISION, open_interest, &d ) );
    if( PK_UNLIKELY( d > (u64)PK_I64_MAX ) ) return PK_ERR_MATH_OVERFLOW;
    delta = (i64)d;
    PK_TRY( pk_add_i64( m->cumulative_funding_long, delta, &m->cumulative_funding_long ) );
    PK_TRY( pk_sub_i64( m->cumulative_funding_short, delta, &m->cumulative_funding_short ) );
    PK_TRY( pk_add_u64( m->socialised_loss, socialised, &m->socialised_loss ) );
  }
  u64 covered = from_collateral + from_fees + insurance_paid + socialised;   /* at most loss */
  PK_TRY( pk_add_i64( pos->unsettled_pnl, (i64)covered, &pos->unsettled_pnl ) );
  /* Collateral moved inside the user's equity; the rest raised it. */
  int still_bankrupt = equity + (i64)( covered - from_collateral ) < 0;
  if( !still_bankrupt ) u->flags &= (u8)~PK_USER_FLAG_BEING_LIQUIDATED;
  PK_TRY( pk_flag_bankrupt( ex, u, still_bankrupt ) );

  pk_event_bankruptcy_resolved_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_BANKRUPTCY_RESOLVED_DISCRIMINATOR;
  ev.user = *p->ka[USER].key;
  ev.loss = loss;
  ev.fee_pool_paid = from_fees;
  ev.insurance_paid = insurance_paid;
  ev.socialised = socialised;
  ev.funding_delta = delta;
  ev.market_index = m->market_index;
  pk_emit( &ev, PK_EVENT_BANKRUPTCY_RESOLVED_LEN );
  return 0;
}

u64
pk_ix_settle_revenue_to_insurance( SolParameters *p ) {
  enum { EXCHANGE = IX_ACC( SETTLE_REVENUE_TO_INSURANCE, EXCHANGE ), MARKET = IX_ACC( SETTLE_REVENUE_TO_INSURANCE, MARKET ),
         QUEUE = IX_ACC( SETTLE_REVENUE_TO_INSURANCE, EVENT_QUEUE ), VAULT = IX_ACC( SETTLE_REVENUE_TO_INSURANCE, COLLATERAL_VAULT ),
         INSURANCE = IX_ACC( SETTLE_REVENUE_TO_INSURANCE, INSURANCE_VAULT ), TOKEN = IX_ACC( SETTLE_REVENUE_TO_INSURANCE, TOKEN_PROGRAM ) };
  PK_CHECK_IX( p, SETTLE_REVENUE_TO_INSURANCE );
  pk_exchange_t *ex;
  pk_market_t *m;
  PK_TRY( pk_load_exchange( p, EXCHANGE, &ex ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  PK_TRY( pk_check_queue_drained( p, QUEUE, m ) );
  PK_TRY( pk_check_vaults( p, ex, VAULT, INSURANCE, TOKEN ) );
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  if( PK_UNLIKELY( clock.unix_timestamp - m->last_revenue_settle_ts < (i64)PK_REVENUE_SETTLE_INTERVAL_SECS ) )
    PK_FAIL( PK_ERR_REVENUE_SETTLE_TOO_EARLY, MARKET );
  u64 amount = m->fee_pool < m->pnl_pool ? m->fee_pool : m->pnl_pool;
  if( amount ) {
    PK_EXCHANGE_SIGNER( signer, ex );
    pk_token_transfer_t t = { &p->ka[VAULT], &p->ka[INSURANCE], &p->ka[EXCHANGE], &p->ka[TOKEN], amount, &signer };
    PK_TRY( pk_token_transfer( &t ) );
    m->fee_pool -= amount;
    m->pnl_pool -= amount;
    PK_TRY( pk_sub_u64( ex->total_collateral, amount, &ex->total_collateral ) );
  }
  m->last_revenue_settle_ts = clock.unix_timestamp;

  pk_event_revenue_settled_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_REVENUE_SETTLED_DISCRIMINATOR;
  ev.market = *p->ka[MARKET].key;
  ev.amount = amount;
  ev.fee_pool_after = m->fee_pool;
  ev.ts = clock.unix_timestamp;
  ev.market_index = m->market_index;
  pk_emit( &ev, PK_EVENT_REVENUE_SETTLED_LEN );
  return 0;
}
