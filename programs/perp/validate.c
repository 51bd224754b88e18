/* Account validation: counts, signers, writability, owners, discriminators, sizes, PDAs. */

#include "pk_program.h"

/* pk_check_instruction checks that the instruction has at least `accounts` accounts, that every
   account in signer_mask signed and every account in writable_mask is writable, and that the data is
   exactly data_len bytes (discriminator included). Returns the first failing PK_ERR_*. */
u64
pk_check_instruction( SolParameters *p,
                      u64                  accounts,
                      u64                  signer_mask,
                      u64                  writable_mask,
                      u64                  data_len ) {
  if( PK_UNLIKELY( p->ka_num < accounts ) ) PK_FAIL( PK_ERR_NOT_ENOUGH_ACCOUNTS, p->ka_num );
  if( PK_UNLIKELY( p->data_len != data_len ) ) PK_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_NO_ACCOUNT );
  for( u64 i = 0; i < accounts; i++ ) {
    if( PK_UNLIKELY( ( ( signer_mask >> i ) & 1 ) && !p->ka[i].is_signer ) ) PK_FAIL( PK_ERR_MISSING_SIGNER, i );
    if( PK_UNLIKELY( ( ( writable_mask >> i ) & 1 ) && !p->ka[i].is_writable ) ) PK_FAIL( PK_ERR_ACCOUNT_NOT_WRITABLE, i );
  }
  return 0;
}

/* pk_check_program checks that account idx is the program `expected` (System or SPL Token). */
u64
pk_check_program( SolParameters *p, u64 idx, const SolPubkey *expected ) {
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[idx].key, expected ) ) ) PK_FAIL( PK_ERR_INVALID_PROGRAM_ID, idx );
  return 0;
}

/* pk_load_account checks that account idx is owned by this program, holds exactly len bytes and
   starts with the discriminator, then points *out at its data. Accounts of this program are created
   only at their canonical PDAs (see pk_find_pda), so owner plus discriminator identify them. */
u64
pk_load_account( SolParameters *p, u64 idx, u64 discriminator, u64 len, void **out ) {
  const SolAccountInfo *a = &p->ka[idx];
  if( PK_UNLIKELY( !pk_pubkey_eq( a->owner, p->program_id ) ) ) PK_FAIL( PK_ERR_INVALID_ACCOUNT_OWNER, idx );
  if( PK_UNLIKELY( a->data_len < 8 || *(const u64 *)a->data != discriminator ) ) PK_FAIL( PK_ERR_INVALID_DISCRIMINATOR, idx );
  if( PK_UNLIKELY( a->data_len != len ) ) PK_FAIL( PK_ERR_INVALID_ACCOUNT_SIZE, idx );
  *out = a->data;
  return 0;
}

/* pk_find_pda checks that account idx is the canonical PDA of seeds under this program and returns
   its bump. Fails with PK_ERR_INVALID_PDA for any other address, including a non-canonical bump. */
u64
pk_find_pda( SolParameters *p, u64 idx, const SolSignerSeed *seeds, u64 seeds_len, u8 *bump ) {
  SolPubkey expected;
  if( PK_UNLIKELY( sol_try_find_program_address( seeds, seeds_len, p->program_id, &expected, bump ) ) )
    PK_FAIL( PK_ERR_INVALID_PDA, idx );
  if( PK_UNLIKELY( !pk_pubkey_eq( &expected, p->ka[idx].key ) ) ) PK_FAIL( PK_ERR_INVALID_PDA, idx );
  return 0;
}

/* pk_check_uninitialized checks that account idx holds no data and belongs to the System program. */
u64
pk_check_uninitialized( SolParameters *p, u64 idx ) {
  const SolAccountInfo *a = &p->ka[idx];
  if( PK_UNLIKELY( a->data_len != 0 || !pk_pubkey_eq( a->owner, &PK_SYSTEM_PROGRAM_ID ) ) )
    PK_FAIL( PK_ERR_ACCOUNT_ALREADY_INITIALIZED, idx );
  return 0;
}

u64
pk_load_exchange( SolParameters *p, u64 idx, pk_exchange_t **out ) {
  return pk_load_account( p, idx, PK_EXCHANGE_DISCRIMINATOR, PK_EXCHANGE_LEN, (void **)out );
}

/* pk_load_exchange_as_admin loads the exchange and checks that account admin_idx is its admin (the
   caller has already checked that it signed). */
u64
pk_load_exchange_as_admin( SolParameters *p, u64 exchange_idx, u64 admin_idx, pk_exchange_t **out ) {
  PK_TRY( pk_load_exchange( p, exchange_idx, out ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( &(*out)->admin, p->ka[admin_idx].key ) ) ) PK_FAIL( PK_ERR_UNAUTHORIZED, admin_idx );
  return 0;
}

u64
pk_load_market( SolParameters *p, u64 idx, pk_market_t **out ) {
  return pk_load_account( p, idx, PK_MARKET_DISCRIMINATOR, PK_MARKET_LEN, (void **)out );
}

/* pk_load_user_as_authority loads the margin account and checks that account authority_idx is its
   authority (not its delegate). */
u64
pk_load_user_as_authority( SolParameters *p, u64 user_idx, u64 authority_idx, pk_user_t **out ) {
  PK_TRY( pk_load_account( p, user_idx, PK_USER_DISCRIMINATOR, PK_USER_LEN, (void **)out ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( &(*out)->authority, p->ka[authority_idx].key ) ) ) PK_FAIL( PK_ERR_UNAUTHORIZED, authority_idx );
  return 0;
}

/* pk_check_collateral_token_account checks that account idx is an initialized SPL Token account of the
   exchange's collateral mint whose token owner is `owner`. */
u64
pk_check_collateral_token_account( SolParameters         *p,
                                   u64                    idx,
                                   const pk_exchange_t   *ex,
                                   const SolPubkey       *owner,
                                   pk_token_account_t   **out ) {
  const SolAccountInfo *a = &p->ka[idx];
  if( PK_UNLIKELY( !pk_pubkey_eq( a->owner, &PK_TOKEN_PROGRAM_ID ) || a->data_len != PK_TOKEN_ACCOUNT_LEN ) )
    PK_FAIL( PK_ERR_INVALID_TOKEN_ACCOUNT, idx );
  pk_token_account_t *t = (pk_token_account_t *)a->data;
  if( PK_UNLIKELY( a->data[PK_TOKEN_ACCOUNT_STATE_OFFSET] != PK_TOKEN_ACCOUNT_STATE_INITIALIZED ) )
    PK_FAIL( PK_ERR_INVALID_TOKEN_ACCOUNT, idx );
  if( PK_UNLIKELY( !pk_pubkey_eq( &t->mint, &ex->collateral_mint ) ) ) PK_FAIL( PK_ERR_INVALID_MINT, idx );
  if( PK_UNLIKELY( !pk_pubkey_eq( &t->owner, owner ) ) ) PK_FAIL( PK_ERR_TOKEN_ACCOUNT_OWNER_MISMATCH, idx );
  *out = t;
  return 0;
}

/* pk_check_queue_drained checks that account idx is market m's event queue and that it holds no
   fill: instructions that move cumulative funding or read open interest need every maker fill applied. */
u64
pk_check_queue_drained( SolParameters *p, u64 idx, const pk_market_t *m ) {
  pk_event_queue_t *q;
  PK_TRY( pk_load_account( p, idx, PK_EVENT_QUEUE_DISCRIMINATOR, PK_EVENT_QUEUE_LEN, (void **)&q ) );
  if( PK_UNLIKELY( !pk_pubkey_eq( p->ka[idx].key, &m->event_queue ) ) ) PK_FAIL( PK_ERR_MARKET_ACCOUNT_MISMATCH, idx );
  if( PK_UNLIKELY( q->count != 0 ) ) PK_FAIL( PK_ERR_EVENT_QUEUE_NOT_EMPTY, idx );
  return 0;
}
