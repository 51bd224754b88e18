/* User instructions: margin accounts, delegates, deposits and withdrawals. */

#include "pk_program.h"

u64
pk_ix_initialize_user( SolParameters *p ) {
  enum { AUTHORITY = IX_ACC( INITIALIZE_USER, AUTHORITY ), EXCHANGE = IX_ACC( INITIALIZE_USER, EXCHANGE ),
         USER = IX_ACC( INITIALIZE_USER, USER ), SYSTEM = IX_ACC( INITIALIZE_USER, SYSTEM_PROGRAM ) };
  PK_CHECK_IX( p, INITIALIZE_USER );
  PK_TRY( pk_check_program( p, SYSTEM, &PK_SYSTEM_PROGRAM_ID ) );
  pk_exchange_t *ex;
  PK_TRY( pk_load_exchange( p, EXCHANGE, &ex ) );
  const pk_ix_initialize_user_args_t *args = PK_ARGS( p, initialize_user );
  u16 sub_id = args->sub_id;
  u8 bump;
  SolSignerSeed seeds[4] = { PK_SEED( PK_SEED_USER ), { p->ka[AUTHORITY].key->x, 32 }, { (const u8 *)&sub_id, 2 }, { &bump, 1 } };
  PK_TRY( pk_find_pda( p, USER, seeds, 3, &bump ) );
  PK_TRY( pk_check_uninitialized( p, USER ) );
  pk_create_account_t c = { &p->ka[AUTHORITY], &p->ka[USER], &p->ka[SYSTEM], p->program_id,
                            PK_USER_LEN, { seeds, 4 } };
  PK_TRY( pk_create_pda_account( &c ) );
  pk_user_t *u = (pk_user_t *)p->ka[USER].data;
  u->discriminator = PK_USER_DISCRIMINATOR;
  u->authority = *p->ka[AUTHORITY].key;
  u->delegate = args->delegate;
  u->sub_id = sub_id;
  u->bump = bump;
  return 0;
}

u64
pk_ix_set_user_delegate( SolParameters *p ) {
  enum { AUTHORITY = IX_ACC( SET_USER_DELEGATE, AUTHORITY ), USER = IX_ACC( SET_USER_DELEGATE, USER ) };
  PK_CHECK_IX( p, SET_USER_DELEGATE );
  pk_user_t *u;
  PK_TRY( pk_load_user_as_authority( p, USER, AUTHORITY, &u ) );
  u->delegate = PK_ARGS( p, set_user_delegate )->delegate;
  return 0;
}

static void
pk_emit_collateral_event( u64 discriminator, SolParameters *p, u64 user_idx, u64 authority_idx,
                          const pk_user_t *u, u64 amount ) {
  pk_event_deposit_event_t ev;  /* WithdrawEvent has the same fields, in the same order */
  PK_STATIC_ASSERT( sizeof( pk_event_deposit_event_t ) == sizeof( pk_event_withdraw_event_t ), "same layout" );
  ev.discriminator = discriminator;
  ev.user = *p->ka[user_idx].key;
  ev.authority = *p->ka[authority_idx].key;
  ev.amount = amount;
  ev.collateral_after = u->collateral;
  ev.slot = pk_clock_slot();
  pk_emit( &ev, PK_EVENT_DEPOSIT_EVENT_LEN );
}

u64
pk_ix_deposit( SolParameters *p ) {
  enum { AUTHORITY = IX_ACC( DEPOSIT, AUTHORITY ), EXCHANGE = IX_ACC( DEPOSIT, EXCHANGE ), USER = IX_ACC( DEPOSIT, USER ),
         SOURCE = IX_ACC( DEPOSIT, USER_TOKEN_ACCOUNT ), VAULT = IX_ACC( DEPOSIT, COLLATERAL_VAULT ),
         TOKEN = IX_ACC( DEPOSIT, TOKEN_PROGRAM ) };
  PK_CHECK_IX( p, DEPOSIT );
  PK_TRY( pk_check_program( p, TOKEN, &PK_TOKEN_PROGRAM_ID ) );
  pk_exchange_t *ex;
  pk_user_t *u;
  pk_token_account_t *source;
  PK_TRY( pk_load_exchange( p, EXCHANGE, &ex ) );
  if( PK_UNLIKELY( ex->paused_operations & PK_PAUSED_DEPOSITS ) ) PK_FAIL( PK_ERR_OPERATION_PAUSED, PK_NO_ACCOUNT );
  PK_TRY( pk_load_user_as_authority( p, USER, AUTHORITY, &u ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[VAULT].key, &ex->collateral_vault ) ) ) PK_FAIL( PK_ERR_INVALID_VAULT, VAULT );
  PK_TRY( pk_check_collateral_token_account( p, SOURCE, ex, p->ka[AUTHORITY].key, &source ) );
  u64 amount = PK_ARGS( p, deposit )->amount;
  if( PK_UNLIKELY( amount == 0 ) ) PK_FAIL( PK_ERR_ZERO_AMOUNT, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( source->amount < amount ) ) PK_FAIL( PK_ERR_INSUFFICIENT_TOKEN_BALANCE, SOURCE );
  u64 collateral, total;
  PK_TRY( pk_add_u64( u->collateral, amount, &collateral ) );
  PK_TRY( pk_add_u64( ex->total_collateral, amount, &total ) );

  pk_token_transfer_t t = { &p->ka[SOURCE], &p->ka[VAULT], &p->ka[AUTHORITY], &p->ka[TOKEN], amount, PK_NULL };
  PK_TRY( pk_token_transfer( &t ) );
  u->collateral = collateral;
  ex->total_collateral = total;
  pk_emit_collateral_event( PK_EVENT_DEPOSIT_EVENT_DISCRIMINATOR, p, USER, AUTHORITY, u, amount );
  return 0;
}

/* Withdrawals need the authority itself (a delegate cannot withdraw), pay only into a token account
   the authority owns, and must leave the User meeting initial margin over all its positions (their
   markets are passed as remaining accounts). */
u64
pk_ix_withdraw( SolParameters *p ) {
  enum { AUTHORITY = IX_ACC( WITHDRAW, AUTHORITY ), EXCHANGE = IX_ACC( WITHDRAW, EXCHANGE ), USER = IX_ACC( WITHDRAW, USER ),
         VAULT = IX_ACC( WITHDRAW, COLLATERAL_VAULT ), DEST = IX_ACC( WITHDRAW, USER_TOKEN_ACCOUNT ),
         TOKEN = IX_ACC( WITHDRAW, TOKEN_PROGRAM ) };
  PK_CHECK_IX( p, WITHDRAW );
  PK_TRY( pk_check_program( p, TOKEN, &PK_TOKEN_PROGRAM_ID ) );
  pk_exchange_t *ex;
  pk_user_t *u;
  pk_token_account_t *dest;
  PK_TRY( pk_load_exchange( p, EXCHANGE, &ex ) );
  if( PK_UNLIKELY( ex->paused_operations & PK_PAUSED_WITHDRAWALS ) ) PK_FAIL( PK_ERR_OPERATION_PAUSED, PK_NO_ACCOUNT );
  PK_TRY( pk_load_user_as_authority( p, USER, AUTHORITY, &u ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[VAULT].key, &ex->collateral_vault ) ) ) PK_FAIL( PK_ERR_INVALID_VAULT, VAULT );
  PK_TRY( pk_check_collateral_token_account( p, DEST, ex, p->ka[AUTHORITY].key, &dest ) );
  u64 amount = PK_ARGS( p, withdraw )->amount;
  if( PK_UNLIKELY( amount == 0 ) ) PK_FAIL( PK_ERR_ZERO_AMOUNT, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( u->collateral < amount ) ) PK_FAIL( PK_ERR_INSUFFICIENT_COLLATERAL, USER );
  u64 collateral, total;
  PK_TRY( pk_sub_u64( u->collateral, amount, &collateral ) );
  PK_TRY( pk_sub_u64( ex->total_collateral, amount, &total ) );

  /* Margin after the withdrawal: the markets of the User's positions come as remaining accounts. */
  u64 previous = u->collateral;
  u->collateral = collateral;
  pk_margin_t margin;
  PK_TRY( pk_compute_margin( p, u, PK_NULL, PK_IX_WITHDRAW_ACCOUNTS, &margin ) );
  u->collateral = previous;
  if( PK_UNLIKELY( margin.mark_stale ) ) PK_FAIL( PK_ERR_MARK_STALE, PK_NO_ACCOUNT );
  /* Collateral that backs the price of orders through the mark stays (their order books come as well). */
  u64 order_loss;
  i64 adjusted;
  PK_TRY( pk_user_orders_loss( p, u, p->ka[USER].key, PK_IX_WITHDRAW_ACCOUNTS, &order_loss ) );
  PK_TRY( pk_equity_less( margin.equity, order_loss, &adjusted ) );
  if( PK_UNLIKELY( adjusted < 0 || (u64)adjusted < margin.initial_requirement ) )
    PK_FAIL( PK_ERR_INSUFFICIENT_MARGIN, USER );

  PK_EXCHANGE_SIGNER( signer, ex );
  pk_token_transfer_t t = { &p->ka[VAULT], &p->ka[DEST], &p->ka[EXCHANGE], &p->ka[TOKEN], amount, &signer };
  PK_TRY( pk_token_transfer( &t ) );
  u->collateral = collateral;
  ex->total_collateral = total;
  pk_emit_collateral_event( PK_EVENT_WITHDRAW_EVENT_DISCRIMINATOR, p, USER, AUTHORITY, u, amount );
  return 0;
}
