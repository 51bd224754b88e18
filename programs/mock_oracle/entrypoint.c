/* Mock oracle entry point: parse, dispatch on the Anchor discriminator, and the checks every write shares. */

#include "mock_oracle.h"

/* pk_mo_check_instruction checks that the instruction has at least `accounts` accounts with the
   signer and writable flags of the masks and exactly data_len bytes of data. Returns the first failing
   PK_ERR_* of the mock IDL. */
u64
pk_mo_check_instruction( const SolParameters *p,
                         u64                  accounts,
                         u64                  signer_mask,
                         u64                  writable_mask,
                         u64                  data_len ) {
  if( PK_UNLIKELY( p->ka_num < accounts ) ) PK_MO_FAIL( PK_ERR_NOT_ENOUGH_ACCOUNTS, p->ka_num );
  if( PK_UNLIKELY( p->data_len != data_len ) ) PK_MO_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_MO_NO_ACCOUNT );
  for( u64 i = 0; i < accounts; i++ ) {
    if( PK_UNLIKELY( ( ( signer_mask >> i ) & 1 ) && !p->ka[i].is_signer ) ) PK_MO_FAIL( PK_ERR_MISSING_SIGNER, i );
    if( PK_UNLIKELY( ( ( writable_mask >> i ) & 1 ) && !p->ka[i].is_writable ) ) PK_MO_FAIL( PK_ERR_ACCOUNT_NOT_WRITABLE, i );
  }
  return 0;
}

/* pk_mo_load_target checks the accounts of a write instruction: the config is this program's config
   account (owner, size, discriminator; it is only ever created at its PDA), the signer is its authority,
   and the target is owned by this program with exactly target_len bytes. Points *out at the target's
   data. Fails with InvalidConfig, Unauthorized, WrongOwner or WrongSize. */
u64
pk_mo_load_target( const SolParameters *p,
                   u64                  target_len,
                   u8                 **out ) {
  const SolAccountInfo *config = &p->ka[PK_MO_ACC_CONFIG];
  const SolAccountInfo *target = &p->ka[PK_MO_ACC_TARGET];
  if( PK_UNLIKELY( !pk_pubkey_eq( config->owner, p->program_id ) || config->data_len != PK_MOCK_ORACLE_CONFIG_LEN
                || *(const u64 *)config->data != PK_MOCK_ORACLE_CONFIG_DISCRIMINATOR ) )
    PK_MO_FAIL( PK_ERR_INVALID_CONFIG, PK_MO_ACC_CONFIG );
  const pk_mock_oracle_config_t *c = (const pk_mock_oracle_config_t *)config->data;
  if( PK_UNLIKELY( !pk_pubkey_eq( &c->authority, p->ka[PK_MO_ACC_AUTHORITY].key ) ) )
    PK_MO_FAIL( PK_ERR_UNAUTHORIZED, PK_MO_ACC_AUTHORITY );
  if( PK_UNLIKELY( !pk_pubkey_eq( target->owner, p->program_id ) ) ) PK_MO_FAIL( PK_ERR_WRONG_OWNER, PK_MO_ACC_TARGET );
  if( PK_UNLIKELY( target->data_len != target_len ) ) PK_MO_FAIL( PK_ERR_WRONG_SIZE, PK_MO_ACC_TARGET );
  *out = target->data;
  return 0;
}

u64
entrypoint( const u8 *input ) {
  SolParameters p;
  /* more accounts than PK_MAX_ACCOUNTS: no instruction of this program takes that many */
  if( PK_UNLIKELY( pk_deserialize( input, &p ) ) ) PK_MO_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_MO_NO_ACCOUNT );
  if( PK_UNLIKELY( p.data_len < 8 ) ) PK_MO_FAIL( PK_ERR_UNKNOWN_INSTRUCTION, PK_MO_NO_ACCOUNT );
  switch( *(const u64 *)p.data ) {
    case PK_IX_INITIALIZE_DISCRIMINATOR:                  return pk_mo_ix_initialize( &p );
    case PK_IX_WRITE_PYTH_LEGACY_DISCRIMINATOR:           return pk_mo_ix_write_pyth_legacy( &p );
    case PK_IX_WRITE_PRICE_UPDATE_V2_DISCRIMINATOR:       return pk_mo_ix_write_price_update_v2( &p );
    case PK_IX_WRITE_SWITCHBOARD_V2_DISCRIMINATOR:        return pk_mo_ix_write_switchboard_v2( &p );
    case PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_DISCRIMINATOR: return pk_mo_ix_write_switchboard_on_demand( &p );
    default: PK_MO_FAIL( PK_ERR_UNKNOWN_INSTRUCTION, PK_MO_NO_ACCOUNT );
  }
}
