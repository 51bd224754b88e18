/* Cross-program invocations: account creation through the System program, SPL Token account
   initialisation and transfers. Instruction layouts: agave system_instruction.rs (u32 LE tags) and
   spl-token instruction.rs (u8 tags). */

#include "pk_program.h"

#define PK_SYSTEM_IX_CREATE_ACCOUNT 0
#define PK_SYSTEM_IX_ASSIGN 1
#define PK_SYSTEM_IX_TRANSFER 2
#define PK_SYSTEM_IX_ALLOCATE 8
#define PK_TOKEN_IX_TRANSFER 3
#define PK_TOKEN_IX_INITIALIZE_ACCOUNT3 18

static u64
pk_rent_exempt_minimum( u64 space, u64 *out ) {
  SolRent rent;
  sol_get_rent_sysvar( &rent );
  if( PK_UNLIKELY( rent.exemption_threshold_bits != PK_RENT_THRESHOLD_2_0_BITS ) ) PK_FAIL( PK_ERR_INVALID_RENT, PK_NO_ACCOUNT );
  u64 bytes = PK_ACCOUNT_STORAGE_OVERHEAD + space;
  u64 rate  = rent.lamports_per_byte_year;
  if( PK_UNLIKELY( rate && bytes > PK_U64_MAX / 2 / rate ) ) PK_FAIL( PK_ERR_MATH_OVERFLOW, PK_NO_ACCOUNT );
  *out = bytes * rate * 2;
  return 0;
}

static u64
pk_system_invoke( const pk_create_account_t *c, u8 *data, u64 data_len, int with_payer ) {
  SolAccountMeta metas[2] = {
    { c->payer->key, 1, 1 },
    { c->target->key, 1, 1 },
  };
  SolInstruction ix = {
    (SolPubkey *)&PK_SYSTEM_PROGRAM_ID,
    with_payer ? metas : metas + 1,
    with_payer ? 2 : 1,
    data,
    data_len,
  };
  SolAccountInfo infos[3] = { *c->payer, *c->target, *c->system_program };
  if( PK_UNLIKELY( sol_invoke_signed_c( &ix, infos, 3, &c->target_seeds, 1 ) ) ) PK_FAIL( PK_ERR_INVALID_PROGRAM_ID, PK_NO_ACCOUNT );
  /* The runtime wrote the new length into the infos passed to this CPI only. A later CPI that passes
     the account must present its current length, or the runtime sees this program resize an account
     it does not own (AccountDataSizeChanged). */
  c->target->data_len = infos[1].data_len;
  return 0;
}

/* pk_create_pda_account creates c->target with c->space bytes owned by c->owner, rent-exempt, paid by
   c->payer and signed for with c->target_seeds. An address that already holds lamports (anyone can
   send lamports to a PDA to block CreateAccount) is topped up, allocated and assigned instead. */
u64
pk_create_pda_account( const pk_create_account_t *c ) {
  u64 required;
  PK_TRY( pk_rent_exempt_minimum( c->space, &required ) );
  u64 have = *c->target->lamports;
  if( PK_LIKELY( have == 0 ) ) {
    u8 data[52];
    *(u32 *)data = PK_SYSTEM_IX_CREATE_ACCOUNT;
    pk_memcpy( data + 4, &required, 8 );
    pk_memcpy( data + 12, &c->space, 8 );
    pk_memcpy( data + 20, c->owner, 32 );
    return pk_system_invoke( c, data, sizeof( data ), 1 );
  }
  if( have < required ) {
    u8 data[12];
    u64 shortfall = required - have;
    *(u32 *)data = PK_SYSTEM_IX_TRANSFER;
    pk_memcpy( data + 4, &shortfall, 8 );
    PK_TRY( pk_system_invoke( c, data, sizeof( data ), 1 ) );
  }
  u8 alloc[12];
  *(u32 *)alloc = PK_SYSTEM_IX_ALLOCATE;
  pk_memcpy( alloc + 4, &c->space, 8 );
  PK_TRY( pk_system_invoke( c, alloc, sizeof( alloc ), 0 ) );
  u8 assign[36];
  *(u32 *)assign = PK_SYSTEM_IX_ASSIGN;
  pk_memcpy( assign + 4, c->owner, 32 );
  return pk_system_invoke( c, assign, sizeof( assign ), 0 );
}

/* pk_token_initialize_account runs SPL Token InitializeAccount3 on `account` for `mint` with token
   owner `owner`. */
u64
pk_token_initialize_account( const SolAccountInfo *account,
                             const SolAccountInfo *mint,
                             const SolAccountInfo *token_program,
                             const SolPubkey      *owner ) {
  u8 data[33];
  data[0] = PK_TOKEN_IX_INITIALIZE_ACCOUNT3;
  pk_memcpy( data + 1, owner, 32 );
  SolAccountMeta metas[2] = { { account->key, 1, 0 }, { mint->key, 0, 0 } };
  SolInstruction ix = { (SolPubkey *)&PK_TOKEN_PROGRAM_ID, metas, 2, data, sizeof( data ) };
  SolAccountInfo infos[3] = { *account, *mint, *token_program };
  if( PK_UNLIKELY( sol_invoke_signed_c( &ix, infos, 3, PK_NULL, 0 ) ) ) PK_FAIL( PK_ERR_INVALID_TOKEN_ACCOUNT, PK_NO_ACCOUNT );
  return 0;
}

/* pk_token_transfer runs SPL Token Transfer of t->amount from t->source to t->destination, signed by
   t->authority directly or, when t->signer is set, by the PDA those seeds derive. */
u64
pk_token_transfer( const pk_token_transfer_t *t ) {
  u8 data[9];
  data[0] = PK_TOKEN_IX_TRANSFER;
  pk_memcpy( data + 1, &t->amount, 8 );
  SolAccountMeta metas[3] = {
    { t->source->key, 1, 0 },
    { t->destination->key, 1, 0 },
    { t->authority->key, 0, 1 },
  };
  SolInstruction ix = { (SolPubkey *)&PK_TOKEN_PROGRAM_ID, metas, 3, data, sizeof( data ) };
  SolAccountInfo infos[4] = { *t->source, *t->destination, *t->authority, *t->token_program };
  if( PK_UNLIKELY( sol_invoke_signed_c( &ix, infos, 4, t->signer, t->signer ? 1 : 0 ) ) )
    PK_FAIL( PK_ERR_TOKEN_TRANSFER_FAILED, PK_NO_ACCOUNT );
  return 0;
}
