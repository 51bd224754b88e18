/* Insurance fund shares: staking, cooldown-gated removal, and the admin's withdrawal of the
   protocol's part.

   The vault balance V is split over S shares; the protocol owns the shares neither an InsuranceStake
   nor the fund's dead shares hold. Stakes mint floor(amount * S / V) shares (1:1 into an empty fund);
   removals and the admin's withdrawal pay floor(shares * V / S). Revenue sweeps raise V without
   minting, bankruptcy cover lowers it, so both land on every share alike. Tokens that arrive while
   there are no shares are the protocol's; a vault that holds nothing, or less than one token per
   INSURANCE_WIPEOUT_SHARES_PER_UNIT shares (what a unit sent to a drained vault would otherwise keep
   alive, capping every later stake), ends the share epoch at the next stake, voiding every share of it.

   Dead shares: until S reaches INSURANCE_DEAD_SHARES in an epoch, a stake's shares beyond what the
   staker keeps are minted to nobody (InsuranceFund.deadShares) and never redeemed. Without them the
   first staker could stake one unit, send tokens straight to the vault to make that one share worth
   more than the next staker's deposit, and take part of it through rounding; now such a donation is
   shared with the dead shares, so it costs about INSURANCE_DEAD_SHARES times what it can take.

   Removal: a request becomes executable after the cooldown and stays so for
   INSURANCE_REMOVAL_WINDOW_SECS (then it must be made again: an old request is no standing option to
   leave at once), and no removal (nor admin withdrawal) runs while a bankruptcy is pending
   (Exchange.bankruptUsers, insurance.c), for at most BANKRUPTCY_REMOVAL_LOCK_SECS after the last one
   was flagged: a staker cannot leave between a bankrupting liquidation and its cover. */

#include "pk_program.h"

#define PK_SEED_INSURANCE_FUND "insurance_fund"
#define PK_SEED_INSURANCE_STAKE "insurance_stake"
#define PK_MAX_UNSTAKE_COOLDOWN_SECS ( 90LL * 24 * 3600 )

static u64
pk_check_insurance_vault( SolParameters *p, u64 idx, const pk_exchange_t *ex ) {
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[idx].key, &ex->insurance_vault ) ) ) PK_FAIL( PK_ERR_INVALID_VAULT, idx );
  return 0;
}

static u64
pk_load_fund( SolParameters *p, u64 idx, pk_insurance_fund_t **out ) {
  return pk_load_account( p, idx, PK_INSURANCE_FUND_DISCRIMINATOR, PK_INSURANCE_FUND_LEN, (void **)out );
}

static i64
pk_now( void ) {
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  return clock.unix_timestamp;
}

/* Starts a new share epoch: every share of the previous one is void (the vault is empty or its dust). */
static void
pk_fund_new_epoch( pk_insurance_fund_t *f ) {
  f->epoch++;
  f->total_shares = 0;
  f->staker_shares = 0;
  f->dead_shares = 0;
}

/* Nonzero when the fund's shares are worth nothing: an empty vault, or under one token per
   PK_INSURANCE_WIPEOUT_SHARES_PER_UNIT shares. */
static int
pk_fund_wiped_out( const pk_insurance_fund_t *f, u64 vault ) {
  if( f->total_shares == 0 ) return 0;
  u64 hi, lo;
  pk_mul_64( vault, PK_INSURANCE_WIPEOUT_SHARES_PER_UNIT, &hi, &lo );
  return hi == 0 && lo < f->total_shares;
}

/* Refuses a removal while a bankruptcy is pending (see the header). */
static u64
pk_check_no_bankruptcy_pending( const pk_exchange_t *ex ) {
  if( PK_UNLIKELY( ex->bankrupt_users != 0 && pk_now() - ex->last_bankruptcy_ts < PK_BANKRUPTCY_REMOVAL_LOCK_SECS ) )
    PK_FAIL( PK_ERR_BANKRUPTCY_PENDING, PK_NO_ACCOUNT );
  return 0;
}

/* A stake of an older epoch holds nothing: clear it before use. */
static void
pk_stake_sync_epoch( pk_insurance_stake_t *s, const pk_insurance_fund_t *f ) {
  if( s->epoch == f->epoch ) return;
  s->shares = 0;
  s->requested_shares = 0;
  s->epoch = f->epoch;
}

static void
pk_emit_stake_changed( const SolPubkey *authority, i64 amount, i64 shares, const pk_insurance_fund_t *f, u64 vault ) {
  pk_event_insurance_stake_changed_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_INSURANCE_STAKE_CHANGED_DISCRIMINATOR;
  ev.authority = *authority;
  ev.amount = amount;
  ev.shares = shares;
  ev.total_shares = f->total_shares;
  ev.vault_balance = vault;
  ev.ts = pk_now();
  pk_emit( &ev, PK_EVENT_INSURANCE_STAKE_CHANGED_LEN );
}

u64
pk_ix_initialize_insurance_fund( SolParameters *p ) {
  enum { ADMIN = IX_ACC( INITIALIZE_INSURANCE_FUND, ADMIN ), EXCHANGE = IX_ACC( INITIALIZE_INSURANCE_FUND, EXCHANGE ),
         FUND = IX_ACC( INITIALIZE_INSURANCE_FUND, INSURANCE_FUND ), VAULT = IX_ACC( INITIALIZE_INSURANCE_FUND, INSURANCE_VAULT ),
         SYSTEM = IX_ACC( INITIALIZE_INSURANCE_FUND, SYSTEM_PROGRAM ) };
  PK_CHECK_IX( p, INITIALIZE_INSURANCE_FUND );
  PK_TRY( pk_check_program( p, SYSTEM, &PK_SYSTEM_PROGRAM_ID ) );
  pk_exchange_t *ex;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  PK_TRY( pk_check_insurance_vault( p, VAULT, ex ) );
  i64 cooldown = PK_ARGS( p, initialize_insurance_fund )->unstake_cooldown_secs;
  if( PK_UNLIKELY( cooldown < 0 || cooldown > PK_MAX_UNSTAKE_COOLDOWN_SECS ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  u8 bump;
  SolSignerSeed seeds[2] = { PK_SEED( PK_SEED_INSURANCE_FUND ), { &bump, 1 } };
  PK_TRY( pk_find_pda( p, FUND, seeds, 1, &bump ) );
  PK_TRY( pk_check_uninitialized( p, FUND ) );
  pk_create_account_t c = { &p->ka[ADMIN], &p->ka[FUND], &p->ka[SYSTEM], p->program_id, PK_INSURANCE_FUND_LEN, { seeds, 2 } };
  PK_TRY( pk_create_pda_account( &c ) );
  pk_insurance_fund_t *f = (pk_insurance_fund_t *)p->ka[FUND].data;
  f->discriminator = PK_INSURANCE_FUND_DISCRIMINATOR;
  f->total_shares = pk_token_amount( &p->ka[VAULT] );   /* what the vault already holds is the protocol's */
  f->unstake_cooldown_secs = cooldown;
  f->bump = bump;
  return 0;
}

u64
pk_ix_add_insurance_stake( SolParameters *p ) {
  enum { AUTHORITY = IX_ACC( ADD_INSURANCE_STAKE, AUTHORITY ), EXCHANGE = IX_ACC( ADD_INSURANCE_STAKE, EXCHANGE ),
         FUND = IX_ACC( ADD_INSURANCE_STAKE, INSURANCE_FUND ), STAKE = IX_ACC( ADD_INSURANCE_STAKE, INSURANCE_STAKE ),
         SOURCE = IX_ACC( ADD_INSURANCE_STAKE, USER_TOKEN_ACCOUNT ), VAULT = IX_ACC( ADD_INSURANCE_STAKE, INSURANCE_VAULT ),
         TOKEN = IX_ACC( ADD_INSURANCE_STAKE, TOKEN_PROGRAM ), SYSTEM = IX_ACC( ADD_INSURANCE_STAKE, SYSTEM_PROGRAM ) };
  PK_CHECK_IX( p, ADD_INSURANCE_STAKE );
  PK_TRY( pk_check_program( p, TOKEN, &PK_TOKEN_PROGRAM_ID ) );
  PK_TRY( pk_check_program( p, SYSTEM, &PK_SYSTEM_PROGRAM_ID ) );
  pk_exchange_t *ex;
  pk_insurance_fund_t *f;
  pk_token_account_t *source;
  PK_TRY( pk_load_exchange( p, EXCHANGE, &ex ) );
  PK_TRY( pk_load_fund( p, FUND, &f ) );
  PK_TRY( pk_check_insurance_vault( p, VAULT, ex ) );
  PK_TRY( pk_check_collateral_token_account( p, SOURCE, ex, p->ka[AUTHORITY].key, &source ) );
  u64 amount = PK_ARGS( p, add_insurance_stake )->amount;
  if( PK_UNLIKELY( amount == 0 ) ) PK_FAIL( PK_ERR_ZERO_AMOUNT, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( source->amount < amount ) ) PK_FAIL( PK_ERR_INSUFFICIENT_TOKEN_BALANCE, SOURCE );

  pk_insurance_stake_t *s;
  if( p->ka[STAKE].data_len == 0 ) {
    u8 bump;
    SolSignerSeed seeds[3] = { PK_SEED( PK_SEED_INSURANCE_STAKE ), { p->ka[AUTHORITY].key->x, 32 }, { &bump, 1 } };
    PK_TRY( pk_find_pda( p, STAKE, seeds, 2, &bump ) );
    PK_TRY( pk_check_uninitialized( p, STAKE ) );
    pk_create_account_t c = { &p->ka[AUTHORITY], &p->ka[STAKE], &p->ka[SYSTEM], p->program_id, PK_INSURANCE_STAKE_LEN, { seeds, 3 } };
    PK_TRY( pk_create_pda_account( &c ) );
    s = (pk_insurance_stake_t *)p->ka[STAKE].data;
    s->discriminator = PK_INSURANCE_STAKE_DISCRIMINATOR;
    s->authority = *p->ka[AUTHORITY].key;
    s->epoch = f->epoch;
    s->bump = bump;
  } else {
    PK_TRY( pk_load_account( p, STAKE, PK_INSURANCE_STAKE_DISCRIMINATOR, PK_INSURANCE_STAKE_LEN, (void **)&s ) );
    if( PK_UNLIKELY( !pk_pubkey_eq( &s->authority, p->ka[AUTHORITY].key ) ) ) PK_FAIL( PK_ERR_UNAUTHORIZED, AUTHORITY );
  }
  u64 vault = pk_token_amount( &p->ka[VAULT] ), shares, dead = 0;
  if( pk_fund_wiped_out( f, vault ) ) pk_fund_new_epoch( f );   /* the old shares are worth nothing */
  pk_stake_sync_epoch( s, f );
  /* Tokens in a fund without shares (revenue before any stake) are the protocol's: mint them first. */
  if( f->total_shares == 0 ) f->total_shares = vault;
  if( vault == 0 ) shares = amount;
  else PK_TRY( pk_mul_div_floor( amount, f->total_shares, vault, &shares ) );
  if( PK_UNLIKELY( shares == 0 || shares > (u64)PK_I64_MAX ) ) PK_FAIL( PK_ERR_ZERO_AMOUNT, PK_NO_ACCOUNT );
  if( f->total_shares < PK_INSURANCE_DEAD_SHARES ) {
    dead = PK_INSURANCE_DEAD_SHARES - f->total_shares;
    if( PK_UNLIKELY( shares <= dead ) ) PK_FAIL( PK_ERR_INSURANCE_STAKE_TOO_SMALL, PK_NO_ACCOUNT );
  }
  pk_token_transfer_t t = { &p->ka[SOURCE], &p->ka[VAULT], &p->ka[AUTHORITY], &p->ka[TOKEN], amount, PK_NULL };
  PK_TRY( pk_token_transfer( &t ) );
  PK_TRY( pk_add_u64( f->total_shares, shares, &f->total_shares ) );
  shares -= dead;
  f->dead_shares += dead;
  PK_TRY( pk_add_u64( s->shares, shares, &s->shares ) );
  PK_TRY( pk_add_u64( f->staker_shares, shares, &f->staker_shares ) );
  pk_emit_stake_changed( p->ka[AUTHORITY].key, (i64)amount, (i64)shares, f, vault + amount );
  return 0;
}

static u64
pk_load_own_stake( SolParameters *p, u64 stake_idx, u64 authority_idx, pk_insurance_stake_t **out ) {
  PK_TRY( pk_load_account( p, stake_idx, PK_INSURANCE_STAKE_DISCRIMINATOR, PK_INSURANCE_STAKE_LEN, (void **)out ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( &(*out)->authority, p->ka[authority_idx].key ) ) ) PK_FAIL( PK_ERR_UNAUTHORIZED, authority_idx );
  return 0;
}

u64
pk_ix_request_remove_insurance_stake( SolParameters *p ) {
  enum { AUTHORITY = IX_ACC( REQUEST_REMOVE_INSURANCE_STAKE, AUTHORITY ), FUND = IX_ACC( REQUEST_REMOVE_INSURANCE_STAKE, INSURANCE_FUND ),
         STAKE = IX_ACC( REQUEST_REMOVE_INSURANCE_STAKE, INSURANCE_STAKE ) };
  PK_CHECK_IX( p, REQUEST_REMOVE_INSURANCE_STAKE );
  pk_insurance_fund_t *f;
  pk_insurance_stake_t *s;
  PK_TRY( pk_load_fund( p, FUND, &f ) );
  PK_TRY( pk_load_own_stake( p, STAKE, AUTHORITY, &s ) );
  pk_stake_sync_epoch( s, f );
  u64 shares = PK_ARGS( p, request_remove_insurance_stake )->shares;
  if( PK_UNLIKELY( shares == 0 || shares > s->shares ) ) PK_FAIL( PK_ERR_INSUFFICIENT_SHARES, STAKE );
  s->requested_shares = shares;
  s->request_ts = pk_now();
  return 0;
}

u64
pk_ix_remove_insurance_stake( SolParameters *p ) {
  enum { AUTHORITY = IX_ACC( REMOVE_INSURANCE_STAKE, AUTHORITY ), EXCHANGE = IX_ACC( REMOVE_INSURANCE_STAKE, EXCHANGE ),
         FUND = IX_ACC( REMOVE_INSURANCE_STAKE, INSURANCE_FUND ), STAKE = IX_ACC( REMOVE_INSURANCE_STAKE, INSURANCE_STAKE ),
         VAULT = IX_ACC( REMOVE_INSURANCE_STAKE, INSURANCE_VAULT ), DEST = IX_ACC( REMOVE_INSURANCE_STAKE, USER_TOKEN_ACCOUNT ),
         TOKEN = IX_ACC( REMOVE_INSURANCE_STAKE, TOKEN_PROGRAM ) };
  PK_CHECK_IX( p, REMOVE_INSURANCE_STAKE );
  PK_TRY( pk_check_program( p, TOKEN, &PK_TOKEN_PROGRAM_ID ) );
  pk_exchange_t *ex;
  pk_insurance_fund_t *f;
  pk_insurance_stake_t *s;
  pk_token_account_t *dest;
  PK_TRY( pk_load_exchange( p, EXCHANGE, &ex ) );
  PK_TRY( pk_load_fund( p, FUND, &f ) );
  PK_TRY( pk_load_own_stake( p, STAKE, AUTHORITY, &s ) );
  PK_TRY( pk_check_insurance_vault( p, VAULT, ex ) );
  PK_TRY( pk_check_collateral_token_account( p, DEST, ex, p->ka[AUTHORITY].key, &dest ) );
  pk_stake_sync_epoch( s, f );
  u64 shares = s->requested_shares;
  if( PK_UNLIKELY( shares == 0 || shares > s->shares ) ) PK_FAIL( PK_ERR_INSUFFICIENT_SHARES, STAKE );
  i64 waited = pk_now() - s->request_ts;
  if( PK_UNLIKELY( waited < f->unstake_cooldown_secs ) ) PK_FAIL( PK_ERR_COOLDOWN_NOT_ELAPSED, STAKE );
  if( PK_UNLIKELY( waited - f->unstake_cooldown_secs > PK_INSURANCE_REMOVAL_WINDOW_SECS ) ) PK_FAIL( PK_ERR_REMOVAL_REQUEST_EXPIRED, STAKE );
  PK_TRY( pk_check_no_bankruptcy_pending( ex ) );
  u64 vault = pk_token_amount( &p->ka[VAULT] ), amount;
  PK_TRY( pk_mul_div_floor( shares, vault, f->total_shares, &amount ) );
  if( amount ) {
    PK_EXCHANGE_SIGNER( signer, ex );
    pk_token_transfer_t t = { &p->ka[VAULT], &p->ka[DEST], &p->ka[EXCHANGE], &p->ka[TOKEN], amount, &signer };
    PK_TRY( pk_token_transfer( &t ) );
  }
  s->shares -= shares;
  s->requested_shares = 0;
  f->total_shares -= shares;
  f->staker_shares -= shares;
  pk_emit_stake_changed( p->ka[AUTHORITY].key, -(i64)amount, -(i64)shares, f, vault - amount );
  return 0;
}

u64
pk_ix_admin_withdraw_insurance( SolParameters *p ) {
  enum { ADMIN = IX_ACC( ADMIN_WITHDRAW_INSURANCE, ADMIN ), EXCHANGE = IX_ACC( ADMIN_WITHDRAW_INSURANCE, EXCHANGE ),
         FUND = IX_ACC( ADMIN_WITHDRAW_INSURANCE, INSURANCE_FUND ), VAULT = IX_ACC( ADMIN_WITHDRAW_INSURANCE, INSURANCE_VAULT ),
         DEST = IX_ACC( ADMIN_WITHDRAW_INSURANCE, DESTINATION ), TOKEN = IX_ACC( ADMIN_WITHDRAW_INSURANCE, TOKEN_PROGRAM ) };
  PK_CHECK_IX( p, ADMIN_WITHDRAW_INSURANCE );
  PK_TRY( pk_check_program( p, TOKEN, &PK_TOKEN_PROGRAM_ID ) );
  pk_exchange_t *ex;
  pk_insurance_fund_t *f;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  PK_TRY( pk_load_fund( p, FUND, &f ) );
  PK_TRY( pk_check_insurance_vault( p, VAULT, ex ) );
  const SolAccountInfo *d = &p->ka[DEST];
  if( PK_UNLIKELY( !pk_pubkey_eq( d->owner, &PK_TOKEN_PROGRAM_ID ) || d->data_len != PK_TOKEN_ACCOUNT_LEN
                || !pk_pubkey_eq( &( (const pk_token_account_t *)d->data )->mint, &ex->collateral_mint ) ) )
    PK_FAIL( PK_ERR_INVALID_TOKEN_ACCOUNT, DEST );
  u64 amount = PK_ARGS( p, admin_withdraw_insurance )->amount;
  if( PK_UNLIKELY( amount == 0 ) ) PK_FAIL( PK_ERR_ZERO_AMOUNT, PK_NO_ACCOUNT );
  u64 vault = pk_token_amount( &p->ka[VAULT] ), protocol_value = 0, burn;
  PK_TRY( pk_check_no_bankruptcy_pending( ex ) );
  if( f->total_shares == 0 ) f->total_shares = vault;   /* tokens without shares are the protocol's */
  u64 protocol_shares = f->total_shares - f->staker_shares - f->dead_shares;
  if( f->total_shares ) PK_TRY( pk_mul_div_floor( protocol_shares, vault, f->total_shares, &protocol_value ) );
  if( PK_UNLIKELY( amount > protocol_value ) ) PK_FAIL( PK_ERR_INSURANCE_LIMIT, PK_NO_ACCOUNT );
  PK_TRY( pk_mul_div_ceil( amount, f->total_shares, vault, &burn ) );
  if( burn > protocol_shares ) burn = protocol_shares;
  PK_EXCHANGE_SIGNER( signer, ex );
  pk_token_transfer_t t = { &p->ka[VAULT], &p->ka[DEST], &p->ka[EXCHANGE], &p->ka[TOKEN], amount, &signer };
  PK_TRY( pk_token_transfer( &t ) );
  f->total_shares -= burn;
  pk_emit_stake_changed( p->ka[ADMIN].key, -(i64)amount, -(i64)burn, f, vault - amount );
  return 0;
}
