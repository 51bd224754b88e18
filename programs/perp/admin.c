/* Admin instructions: the exchange and its vaults, pause flags, the admin key, markets. */

#include "pk_program.h"

/* Creates the vault token account at idx (a PDA of `seed`) owned by the exchange PDA. */
static u64
pk_create_vault( SolParameters *p, u64 idx, const SolSignerSeed *name_seed, u8 *bump, const SolPubkey *exchange_key ) {
  enum { ADMIN = IX_ACC( INITIALIZE_EXCHANGE, ADMIN ), MINT = IX_ACC( INITIALIZE_EXCHANGE, COLLATERAL_MINT ),
         TOKEN = IX_ACC( INITIALIZE_EXCHANGE, TOKEN_PROGRAM ), SYSTEM = IX_ACC( INITIALIZE_EXCHANGE, SYSTEM_PROGRAM ) };
  PK_TRY( pk_find_pda( p, idx, name_seed, 1, bump ) );
  PK_TRY( pk_check_uninitialized( p, idx ) );
  SolSignerSeed seeds[2] = { *name_seed, { bump, 1 } };
  pk_create_account_t c = { &p->ka[ADMIN], &p->ka[idx], &p->ka[SYSTEM], &PK_TOKEN_PROGRAM_ID,
                            PK_TOKEN_ACCOUNT_LEN, { seeds, 2 } };
  PK_TRY( pk_create_pda_account( &c ) );
  return pk_token_initialize_account( &p->ka[idx], &p->ka[MINT], &p->ka[TOKEN], exchange_key );
}

/* Checks that account idx is this program's ProgramData (PDA [program id] of the upgradeable loader,
   owned by it) and that its upgrade authority is account admin_idx: only the program's deployer may
   initialise the exchange, which anyone could otherwise do first and own. */
static u64
pk_check_upgrade_authority( SolParameters *p, u64 idx, u64 admin_idx ) {
  const SolAccountInfo *a = &p->ka[idx];
  SolSignerSeed seed = { p->program_id->x, 32 };
  SolPubkey expected;
  u8 bump;
  if( PK_UNLIKELY( sol_try_find_program_address( &seed, 1, &PK_BPF_LOADER_UPGRADEABLE_ID, &expected, &bump )
                || !pk_pubkey_eq( &expected, a->key ) || !pk_pubkey_eq( a->owner, &PK_BPF_LOADER_UPGRADEABLE_ID )
                || a->data_len < PK_PROGRAM_DATA_HEADER_LEN ) )
    PK_FAIL( PK_ERR_NOT_UPGRADE_AUTHORITY, idx );
  u32 variant = (u32)a->data[0] | (u32)a->data[1] << 8 | (u32)a->data[2] << 16 | (u32)a->data[3] << 24;
  if( PK_UNLIKELY( variant != PK_PROGRAM_DATA_VARIANT || a->data[PK_PROGRAM_DATA_AUTHORITY_TAG_OFFSET] != 1
                || !pk_pubkey_eq( (const SolPubkey *)( a->data + PK_PROGRAM_DATA_AUTHORITY_OFFSET ), p->ka[admin_idx].key ) ) )
    PK_FAIL( PK_ERR_NOT_UPGRADE_AUTHORITY, admin_idx );
  return 0;
}

u64
pk_ix_initialize_exchange( SolParameters *p ) {
  enum { ADMIN = IX_ACC( INITIALIZE_EXCHANGE, ADMIN ), EXCHANGE = IX_ACC( INITIALIZE_EXCHANGE, EXCHANGE ),
         MINT = IX_ACC( INITIALIZE_EXCHANGE, COLLATERAL_MINT ), VAULT = IX_ACC( INITIALIZE_EXCHANGE, COLLATERAL_VAULT ),
         INSURANCE = IX_ACC( INITIALIZE_EXCHANGE, INSURANCE_VAULT ), TOKEN = IX_ACC( INITIALIZE_EXCHANGE, TOKEN_PROGRAM ),
         SYSTEM = IX_ACC( INITIALIZE_EXCHANGE, SYSTEM_PROGRAM ), PROGRAM_DATA = IX_ACC( INITIALIZE_EXCHANGE, PROGRAM_DATA ) };
  PK_CHECK_IX( p, INITIALIZE_EXCHANGE );
  PK_TRY( pk_check_program( p, TOKEN, &PK_TOKEN_PROGRAM_ID ) );
  PK_TRY( pk_check_program( p, SYSTEM, &PK_SYSTEM_PROGRAM_ID ) );
  PK_TRY( pk_check_upgrade_authority( p, PROGRAM_DATA, ADMIN ) );

  const SolAccountInfo *mint = &p->ka[MINT];
  if( PK_UNLIKELY( !pk_pubkey_eq( mint->owner, &PK_TOKEN_PROGRAM_ID ) || mint->data_len != PK_TOKEN_MINT_LEN
                || mint->data[PK_MINT_INITIALIZED_OFFSET] != 1
                || mint->data[PK_MINT_DECIMALS_OFFSET] != PK_COLLATERAL_DECIMALS ) )
    PK_FAIL( PK_ERR_INVALID_MINT, MINT );

  SolSignerSeed exchange_name = PK_SEED( PK_SEED_EXCHANGE );
  u8 bump;
  PK_TRY( pk_find_pda( p, EXCHANGE, &exchange_name, 1, &bump ) );
  PK_TRY( pk_check_uninitialized( p, EXCHANGE ) );
  SolSignerSeed exchange_seeds[2] = { exchange_name, { &bump, 1 } };
  pk_create_account_t c = { &p->ka[ADMIN], &p->ka[EXCHANGE], &p->ka[SYSTEM], p->program_id,
                            PK_EXCHANGE_LEN, { exchange_seeds, 2 } };
  PK_TRY( pk_create_pda_account( &c ) );

  u8 vault_bump, insurance_bump;
  SolSignerSeed vault_name = PK_SEED( PK_SEED_COLLATERAL_VAULT );
  SolSignerSeed insurance_name = PK_SEED( PK_SEED_INSURANCE_VAULT );
  PK_TRY( pk_create_vault( p, VAULT, &vault_name, &vault_bump, p->ka[EXCHANGE].key ) );
  PK_TRY( pk_create_vault( p, INSURANCE, &insurance_name, &insurance_bump, p->ka[EXCHANGE].key ) );

  pk_exchange_t *ex = (pk_exchange_t *)p->ka[EXCHANGE].data;
  ex->discriminator = PK_EXCHANGE_DISCRIMINATOR;
  ex->admin = *p->ka[ADMIN].key;
  ex->collateral_mint = *mint->key;
  ex->collateral_vault = *p->ka[VAULT].key;
  ex->insurance_vault = *p->ka[INSURANCE].key;
  ex->bump = bump;
  ex->collateral_vault_bump = vault_bump;
  ex->insurance_vault_bump = insurance_bump;
  ex->collateral_decimals = (u8)PK_COLLATERAL_DECIMALS;
  return 0;
}

u64
pk_ix_set_paused_operations( SolParameters *p ) {
  enum { ADMIN = IX_ACC( SET_PAUSED_OPERATIONS, ADMIN ), EXCHANGE = IX_ACC( SET_PAUSED_OPERATIONS, EXCHANGE ) };
  PK_CHECK_IX( p, SET_PAUSED_OPERATIONS );
  pk_exchange_t *ex;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  u16 flags = PK_ARGS( p, set_paused_operations )->paused_operations;
  if( PK_UNLIKELY( flags & ~(u16)PK_PAUSED_ALL_KNOWN ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  ex->paused_operations = flags;
  return 0;
}

u64
pk_ix_transfer_admin( SolParameters *p ) {
  enum { ADMIN = IX_ACC( TRANSFER_ADMIN, ADMIN ), EXCHANGE = IX_ACC( TRANSFER_ADMIN, EXCHANGE ) };
  PK_CHECK_IX( p, TRANSFER_ADMIN );
  pk_exchange_t *ex;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  const SolPubkey *new_admin = &PK_ARGS( p, transfer_admin )->new_admin;
  if( PK_UNLIKELY( pk_pubkey_is_zero( new_admin ) ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  pk_event_admin_transferred_t ev = { PK_EVENT_ADMIN_TRANSFERRED_DISCRIMINATOR, ex->admin, *new_admin };
  ex->admin = *new_admin;
  pk_emit( &ev, PK_EVENT_ADMIN_TRANSFERRED_LEN );
  return 0;
}

/* Creates the market's orderbook or event queue: the PDA [seed, market index], owned by this program,
   paid by the admin. */
static u64
pk_create_market_child( SolParameters *p, u64 idx, const char *seed, u16 index, u64 space ) {
  enum { ADMIN = IX_ACC( INITIALIZE_MARKET, ADMIN ), SYSTEM = IX_ACC( INITIALIZE_MARKET, SYSTEM_PROGRAM ) };
  u64 seed_len = 0;
  while( seed[seed_len] ) seed_len++;
  u8 bump;
  SolSignerSeed seeds[3] = { { (const u8 *)seed, seed_len }, { (const u8 *)&index, 2 }, { &bump, 1 } };
  PK_TRY( pk_find_pda( p, idx, seeds, 2, &bump ) );
  PK_TRY( pk_check_uninitialized( p, idx ) );
  pk_create_account_t c = { &p->ka[ADMIN], &p->ka[idx], &p->ka[SYSTEM], p->program_id, space, { seeds, 3 } };
  return pk_create_pda_account( &c );
}

static void
pk_emit_params_updated( const SolPubkey *market_key, const pk_market_t *m ) {
  pk_event_market_params_updated_t ev;
  ev.discriminator = PK_EVENT_MARKET_PARAMS_UPDATED_DISCRIMINATOR;
  ev.market = *market_key;
  ev.params = m->params;
  ev.market_index = m->market_index;
  pk_emit( &ev, PK_EVENT_MARKET_PARAMS_UPDATED_LEN );
}

u64
pk_ix_initialize_market( SolParameters *p ) {
  enum { ADMIN = IX_ACC( INITIALIZE_MARKET, ADMIN ), EXCHANGE = IX_ACC( INITIALIZE_MARKET, EXCHANGE ),
         MARKET = IX_ACC( INITIALIZE_MARKET, MARKET ), BOOK = IX_ACC( INITIALIZE_MARKET, ORDERBOOK ),
         QUEUE = IX_ACC( INITIALIZE_MARKET, EVENT_QUEUE ), SYSTEM = IX_ACC( INITIALIZE_MARKET, SYSTEM_PROGRAM ) };
  PK_CHECK_IX( p, INITIALIZE_MARKET );
  PK_TRY( pk_check_program( p, SYSTEM, &PK_SYSTEM_PROGRAM_ID ) );
  pk_exchange_t *ex;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  const pk_ix_initialize_market_args_t *args = PK_ARGS( p, initialize_market );
  if( PK_UNLIKELY( args->market_index != ex->market_count ) ) PK_FAIL( PK_ERR_INVALID_MARKET_INDEX, MARKET );
  PK_TRY( pk_validate_market_name( args->name ) );
  PK_TRY( pk_validate_oracle_config( &args->oracle ) );
  PK_TRY( pk_validate_market_params( &args->params ) );

  u16 index = args->market_index;
  u8 bump;
  SolSignerSeed seeds[3] = { PK_SEED( PK_SEED_MARKET ), { (const u8 *)&index, 2 }, { &bump, 1 } };
  PK_TRY( pk_find_pda( p, MARKET, seeds, 2, &bump ) );
  PK_TRY( pk_check_uninitialized( p, MARKET ) );
  pk_create_account_t c = { &p->ka[ADMIN], &p->ka[MARKET], &p->ka[SYSTEM], p->program_id,
                            PK_MARKET_LEN, { seeds, 3 } };
  PK_TRY( pk_create_pda_account( &c ) );
  PK_TRY( pk_create_market_child( p, BOOK, PK_SEED_ORDERBOOK, index, PK_ORDERBOOK_LEN ) );
  PK_TRY( pk_create_market_child( p, QUEUE, PK_SEED_EVENT_QUEUE, index, PK_EVENT_QUEUE_LEN ) );

  pk_orderbook_t *book = (pk_orderbook_t *)p->ka[BOOK].data;
  book->discriminator = PK_ORDERBOOK_DISCRIMINATOR;
  book->market = *p->ka[MARKET].key;
  pk_event_queue_t *queue = (pk_event_queue_t *)p->ka[QUEUE].data;
  queue->discriminator = PK_EVENT_QUEUE_DISCRIMINATOR;
  queue->market = *p->ka[MARKET].key;

  pk_market_t *m = (pk_market_t *)p->ka[MARKET].data;
  m->orderbook = *p->ka[BOOK].key;
  m->event_queue = *p->ka[QUEUE].key;
  m->next_order_id = 1;
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  m->last_funding_ts = clock.unix_timestamp;   /* the first funding period starts with the market */
  m->discriminator = PK_MARKET_DISCRIMINATOR;
  m->oracle = args->oracle;
  m->params = args->params;
  pk_memcpy( m->name, args->name, sizeof( m->name ) );
  m->market_index = index;
  m->status = PK_MARKET_STATUS_ACTIVE;
  m->bump = bump;
  ex->market_count = (u16)( ex->market_count + 1 );
  pk_emit_params_updated( p->ka[MARKET].key, m );
  return 0;
}

u64
pk_ix_update_market_params( SolParameters *p ) {
  enum { ADMIN = IX_ACC( UPDATE_MARKET_PARAMS, ADMIN ), EXCHANGE = IX_ACC( UPDATE_MARKET_PARAMS, EXCHANGE ),
         MARKET = IX_ACC( UPDATE_MARKET_PARAMS, MARKET ) };
  PK_CHECK_IX( p, UPDATE_MARKET_PARAMS );
  pk_exchange_t *ex;
  pk_market_t *m;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  const pk_market_params_t *params = &PK_ARGS( p, update_market_params )->params;
  PK_TRY( pk_validate_market_params( params ) );
  m->params = *params;
  pk_emit_params_updated( p->ka[MARKET].key, m );
  return 0;
}

u64
pk_ix_update_market_oracle( SolParameters *p ) {
  enum { ADMIN = IX_ACC( UPDATE_MARKET_ORACLE, ADMIN ), EXCHANGE = IX_ACC( UPDATE_MARKET_ORACLE, EXCHANGE ),
         MARKET = IX_ACC( UPDATE_MARKET_ORACLE, MARKET ) };
  PK_CHECK_IX( p, UPDATE_MARKET_ORACLE );
  pk_exchange_t *ex;
  pk_market_t *m;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  const pk_oracle_config_t *oracle = &PK_ARGS( p, update_market_oracle )->oracle;
  PK_TRY( pk_validate_oracle_config( oracle ) );
  m->oracle = *oracle;
  return 0;
}

static int
pk_status_admin_settable( u8 status ) {
  return status == PK_MARKET_STATUS_ACTIVE || status == PK_MARKET_STATUS_REDUCE_ONLY || status == PK_MARKET_STATUS_PAUSED;
}

/* Moves a market between Active, ReduceOnly and Paused. Settlement and Delisted are entered only
   through settlement, and a market in them never returns. */
u64
pk_ix_set_market_status( SolParameters *p ) {
  enum { ADMIN = IX_ACC( SET_MARKET_STATUS, ADMIN ), EXCHANGE = IX_ACC( SET_MARKET_STATUS, EXCHANGE ),
         MARKET = IX_ACC( SET_MARKET_STATUS, MARKET ) };
  PK_CHECK_IX( p, SET_MARKET_STATUS );
  pk_exchange_t *ex;
  pk_market_t *m;
  PK_TRY( pk_load_exchange_as_admin( p, EXCHANGE, ADMIN, &ex ) );
  PK_TRY( pk_load_market( p, MARKET, &m ) );
  u8 status = PK_ARGS( p, set_market_status )->status;
  if( PK_UNLIKELY( status >= PK_MARKET_STATUS_COUNT ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( !pk_status_admin_settable( status ) || !pk_status_admin_settable( m->status ) ) )
    PK_FAIL( PK_ERR_INVALID_STATUS_TRANSITION, MARKET );
  pk_event_market_status_changed_t ev;
  pk_memset( &ev, 0, sizeof( ev ) );
  ev.discriminator = PK_EVENT_MARKET_STATUS_CHANGED_DISCRIMINATOR;
  ev.market = *p->ka[MARKET].key;
  ev.slot = pk_clock_slot();
  ev.market_index = m->market_index;
  ev.old_status = m->status;
  ev.new_status = status;
  m->status = status;
  pk_emit( &ev, PK_EVENT_MARKET_STATUS_CHANGED_LEN );
  return 0;
}
