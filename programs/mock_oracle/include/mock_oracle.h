#ifndef HEADER_pk_programs_mock_oracle_include_mock_oracle_h
#define HEADER_pk_programs_mock_oracle_include_mock_oracle_h

/* Internals of the localnet mock oracle (idl/mock_oracle.json): a program that writes the real byte
   layouts of Pyth and Switchboard price accounts (pk_oracle_layouts.h) into accounts it owns, so that
   the perp program's readers run against the exact bytes they meet on mainnet. Never deployed beyond
   localnet: whoever initialises the config PDA decides every price. */

#include "pk_sol.h"
#include "mock_oracle_idl.h"
#include "pk_oracle_layouts.h"

#define PK_MO_SEED_CONFIG "config"

static const SolPubkey PK_MO_SYSTEM_PROGRAM_ID = { { 0 } };

/* PK_MO_FAIL logs the error code and the offending account index (0xff: none), then returns the code. */
#define PK_MO_NO_ACCOUNT 0xffUL
#define PK_MO_FAIL(code, acc) do { sol_log_64_( 0x6d6f657272ULL /* "moerr" */, (code), (acc), 0, 0 ); return (code); } while( 0 )
#define PK_MO_TRY(expr) do { u64 _rc = (expr); if( PK_UNLIKELY( _rc ) ) return _rc; } while( 0 )

/* PK_MO_CHECK_IX validates account count, signers, writability and data length of instruction NAME. */
#define PK_MO_CHECK_IX(p, NAME) \
  PK_MO_TRY( pk_mo_check_instruction( (p), PK_IX_##NAME##_ACCOUNTS, PK_IX_##NAME##_SIGNER_MASK, \
                                      PK_IX_##NAME##_WRITABLE_MASK, PK_IX_##NAME##_DATA_LEN ) )
#define PK_MO_ARGS(p, name) ((const pk_ix_##name##_args_t *)((p)->data + 8))

/* Accounts of every write instruction: authority (signer), config PDA, target (writable). */
#define PK_MO_ACC_AUTHORITY 0
#define PK_MO_ACC_CONFIG 1
#define PK_MO_ACC_TARGET 2

/* entrypoint.c */
u64 pk_mo_check_instruction( const SolParameters *p, u64 accounts, u64 signer_mask, u64 writable_mask, u64 data_len );
u64 pk_mo_load_target( const SolParameters *p, u64 target_len, u8 **out );

/* initialize.c */
u64 pk_mo_ix_initialize( SolParameters *p );

/* writers.c */
u64 pk_mo_ix_write_pyth_legacy( SolParameters *p );
u64 pk_mo_ix_write_price_update_v2( SolParameters *p );
u64 pk_mo_ix_write_switchboard_v2( SolParameters *p );
u64 pk_mo_ix_write_switchboard_on_demand( SolParameters *p );

#endif /* HEADER_pk_programs_mock_oracle_include_mock_oracle_h */
