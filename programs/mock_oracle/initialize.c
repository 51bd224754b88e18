/* initialize: create the config PDA ['config'] holding the authority. */

#include "mock_oracle.h"

#define PK_MO_SYSTEM_IX_CREATE_ACCOUNT 0

/* Creates the config PDA (rent-exempt, owned by this program) with System CreateAccount, signed
   with the PDA's seeds. An address already holding lamports makes CreateAccount, and so this, fail. */
static u64
pk_mo_create_config( SolParameters *p, u8 bump ) {
  SolRent rent;
  sol_get_rent_sysvar( &rent );
  u64 lamports = ( PK_ACCOUNT_STORAGE_OVERHEAD + PK_MOCK_ORACLE_CONFIG_LEN ) * rent.lamports_per_byte_year * 2;
  u64 space = PK_MOCK_ORACLE_CONFIG_LEN;
  u8 data[52];
  *(u32 *)data = PK_MO_SYSTEM_IX_CREATE_ACCOUNT;
  pk_memcpy( data + 4, &lamports, 8 );
  pk_memcpy( data + 12, &space, 8 );
  pk_memcpy( data + 20, p->program_id, 32 );
  SolAccountMeta metas[2] = {
    { p->ka[PK_IX_INITIALIZE_ACC_AUTHORITY].key, 1, 1 },
    { p->ka[PK_IX_INITIALIZE_ACC_CONFIG].key, 1, 1 },
  };
  SolInstruction ix = { (SolPubkey *)&PK_MO_SYSTEM_PROGRAM_ID, metas, 2, data, sizeof( data ) };
  SolSignerSeed seeds[2] = { { (const u8 *)PK_MO_SEED_CONFIG, sizeof( PK_MO_SEED_CONFIG ) - 1 }, { &bump, 1 } };
  SolSignerSeeds signer = { seeds, 2 };
  if( PK_UNLIKELY( sol_invoke_signed_c( &ix, p->ka, p->ka_num, &signer, 1 ) ) )
    PK_MO_FAIL( PK_ERR_CREATE_ACCOUNT_FAILED, PK_IX_INITIALIZE_ACC_CONFIG );
  return 0;
}

u64
pk_mo_ix_initialize( SolParameters *p ) {
  enum { AUTHORITY = PK_IX_INITIALIZE_ACC_AUTHORITY, CONFIG = PK_IX_INITIALIZE_ACC_CONFIG,
         SYSTEM = PK_IX_INITIALIZE_ACC_SYSTEM_PROGRAM };
  PK_MO_CHECK_IX( p, INITIALIZE );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[SYSTEM].key, &PK_MO_SYSTEM_PROGRAM_ID ) ) ) PK_MO_FAIL( PK_ERR_INVALID_PROGRAM_ID, SYSTEM );
  SolSignerSeed seed = { (const u8 *)PK_MO_SEED_CONFIG, sizeof( PK_MO_SEED_CONFIG ) - 1 };
  SolPubkey expected;
  u8 bump;
  if( PK_UNLIKELY( sol_try_find_program_address( &seed, 1, p->program_id, &expected, &bump )
                || !pk_pubkey_eq( &expected, p->ka[CONFIG].key ) ) )
    PK_MO_FAIL( PK_ERR_INVALID_CONFIG, CONFIG );
  if( PK_UNLIKELY( p->ka[CONFIG].data_len != 0 || !pk_pubkey_eq( p->ka[CONFIG].owner, &PK_MO_SYSTEM_PROGRAM_ID ) ) )
    PK_MO_FAIL( PK_ERR_ALREADY_INITIALIZED, CONFIG );
  PK_MO_TRY( pk_mo_create_config( p, bump ) );
  pk_mock_oracle_config_t *c = (pk_mock_oracle_config_t *)p->ka[CONFIG].data;
  c->discriminator = PK_MOCK_ORACLE_CONFIG_DISCRIMINATOR;
  c->authority = *p->ka[AUTHORITY].key;
  c->bump = bump;
  return 0;
}
