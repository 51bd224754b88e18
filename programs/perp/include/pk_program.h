#ifndef HEADER_pk_programs_perp_include_pk_program_h
#define HEADER_pk_programs_perp_include_pk_program_h

/* Shared internals of the perp program: account validation, CPI helpers, events, checked math.
   Every function returns 0 on success or a PK_ERR_* code from the IDL. */

#include "pk_sol.h"
#include "perp_idl.h"

/* Well-known program ids (base58 in comments). */
static const SolPubkey PK_SYSTEM_PROGRAM_ID = { { 0 } };  /* 11111111111111111111111111111111 */
static const SolPubkey PK_TOKEN_PROGRAM_ID = { {         /* TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA */
  0x06, 0xdd, 0xf6, 0xe1, 0xd7, 0x65, 0xa1, 0x93, 0xd9, 0xcb, 0xe1, 0x46, 0xce, 0xeb, 0x79, 0xac,
  0x1c, 0xb4, 0x85, 0xed, 0x5f, 0x5b, 0x37, 0x91, 0x3a, 0x8c, 0xf5, 0x85, 0x7e, 0xff, 0x00, 0xa9 } };

static const SolPubkey PK_BPF_LOADER_UPGRADEABLE_ID = { {   /* BPFLoaderUpgradeab1e11111111111111111111111 */
  0x02, 0xa8, 0xf6, 0x91, 0x4e, 0x88, 0xa1, 0xb0, 0xe2, 0x10, 0x15, 0x3e, 0xf7, 0x63, 0xae, 0x2b,
  0x00, 0xc2, 0xb9, 0x3d, 0x16, 0xc1, 0x24, 0xd2, 0xc0, 0x53, 0x7a, 0x10, 0x04, 0x80, 0x00, 0x00 } };

/* The upgradeable loader's ProgramData header (bincode of UpgradeableLoaderState::ProgramData in
   solana-program's bpf_loader_upgradeable.rs): u32 variant 3, u64 slot, Option<Pubkey> authority. */
#define PK_PROGRAM_DATA_VARIANT 3U
#define PK_PROGRAM_DATA_AUTHORITY_TAG_OFFSET 12UL
#define PK_PROGRAM_DATA_AUTHORITY_OFFSET 13UL
#define PK_PROGRAM_DATA_HEADER_LEN 45UL

/* SPL Token layouts (spl-token state.rs) */
#define PK_TOKEN_ACCOUNT_LEN 165UL
#define PK_TOKEN_MINT_LEN 82UL
#define PK_TOKEN_ACCOUNT_STATE_INITIALIZED 1
typedef struct {
  SolPubkey mint;
  SolPubkey owner;
  u64       amount;
  u8        rest[PK_TOKEN_ACCOUNT_LEN - 72];
} pk_token_account_t;
PK_STATIC_ASSERT( sizeof( pk_token_account_t ) == 168, "token account view (165 bytes + tail padding)" );
#define PK_TOKEN_ACCOUNT_STATE_OFFSET 108UL

/* pk_token_amount returns the amount held by a token account this program already validated (a vault
   whose key matched the exchange's). */
static inline u64
pk_token_amount( const SolAccountInfo *a ) {
  return ( (const pk_token_account_t *)a->data )->amount;
}
#define PK_MINT_DECIMALS_OFFSET 44UL
#define PK_MINT_INITIALIZED_OFFSET 45UL

/* PDA seeds */
#define PK_SEED_EXCHANGE "exchange"
#define PK_SEED_COLLATERAL_VAULT "collateral_vault"
#define PK_SEED_INSURANCE_VAULT "insurance_vault"
#define PK_SEED_MARKET "market"
#define PK_SEED_USER "user"
#define PK_SEED_ORDERBOOK "orderbook"
#define PK_SEED_EVENT_QUEUE "event_queue"
#define PK_SEED(lit) { (const u8 *)(lit), sizeof(lit) - 1 }

/* PK_FAIL logs the error code and the index of the offending account (PK_NO_ACCOUNT when none),
   then returns the code. Logging costs ~100 CU and runs only on failure. */
#define PK_NO_ACCOUNT 0xffUL
#define PK_FAIL(code, acc) do { sol_log_64_( 0x706b657272ULL /* "pkerr" */, (code), (acc), 0, 0 ); return (code); } while( 0 )
#define PK_TRY(expr) do { u64 _pk_rc = (expr); if( PK_UNLIKELY( _pk_rc ) ) return _pk_rc; } while( 0 )

/* PK_CHECK_IX validates the account count, signer and writable flags and the data length of
   instruction NAME against the generated IDL constants. */
#define PK_CHECK_IX(p, NAME) \
  PK_TRY( pk_check_instruction( (p), PK_IX_##NAME##_ACCOUNTS, PK_IX_##NAME##_SIGNER_MASK, \
                                PK_IX_##NAME##_WRITABLE_MASK, PK_IX_##NAME##_DATA_LEN ) )
#define IX_ACC(NAME, ACC) PK_IX_##NAME##_ACC_##ACC
#define PK_ARGS(p, name) ((const pk_ix_##name##_args_t *)((p)->data + 8))

/* validate.c */
u64 pk_check_instruction( SolParameters *p, u64 accounts, u64 signer_mask, u64 writable_mask, u64 data_len );
u64 pk_check_program( SolParameters *p, u64 idx, const SolPubkey *expected );
u64 pk_load_account( SolParameters *p, u64 idx, u64 discriminator, u64 len, void **out );
u64 pk_find_pda( SolParameters *p, u64 idx, const SolSignerSeed *seeds, u64 seeds_len, u8 *bump );
u64 pk_check_uninitialized( SolParameters *p, u64 idx );
u64 pk_load_exchange( SolParameters *p, u64 idx, pk_exchange_t **out );
u64 pk_load_exchange_as_admin( SolParameters *p, u64 exchange_idx, u64 admin_idx, pk_exchange_t **out );
u64 pk_load_market( SolParameters *p, u64 idx, pk_market_t **out );
u64 pk_check_queue_drained( SolParameters *p, u64 idx, const pk_market_t *m );
u64 pk_load_user_as_authority( SolParameters *p, u64 user_idx, u64 authority_idx, pk_user_t **out );
u64 pk_check_collateral_token_account( SolParameters *p, u64 idx, const pk_exchange_t *ex,
                                       const SolPubkey *owner, pk_token_account_t **out );

/* cpi.c */
typedef struct {
  const SolAccountInfo *payer;
  SolAccountInfo       *target;          /* its data_len is updated to `space` on success */
  const SolAccountInfo *system_program;
  const SolPubkey      *owner;
  u64                   space;
  SolSignerSeeds        target_seeds;
} pk_create_account_t;
u64 pk_create_pda_account( const pk_create_account_t *c );
u64 pk_token_initialize_account( const SolAccountInfo *account, const SolAccountInfo *mint,
                                 const SolAccountInfo *token_program, const SolPubkey *owner );
typedef struct {
  const SolAccountInfo *source;
  const SolAccountInfo *destination;
  const SolAccountInfo *authority;
  const SolAccountInfo *token_program;
  u64                   amount;
  const SolSignerSeeds *signer;   /* PK_NULL when the authority signs the transaction itself */
} pk_token_transfer_t;
u64 pk_token_transfer( const pk_token_transfer_t *t );

/* Signer seeds of the exchange PDA, the authority of both vaults. */
#define PK_EXCHANGE_SIGNER(name, ex)                                                       \
  SolSignerSeed name##_seed[2] = { PK_SEED( PK_SEED_EXCHANGE ), { &(ex)->bump, 1 } };      \
  SolSignerSeeds name = { name##_seed, 2 }

/* events.c */
void pk_emit( const void *event, u64 len );
u64  pk_clock_slot( void );

/* market_params.c */
u64 pk_validate_market_params( const pk_market_params_t *m );
u64 pk_validate_oracle_config( const pk_oracle_config_t *o );
u64 pk_validate_market_name( const u8 name[16] );

/* Checked math: overflow is an error, never a wrap. */
static inline u64
pk_add_u64( u64 a, u64 b, u64 *out ) {
  return __builtin_add_overflow( a, b, out ) ? PK_ERR_MATH_OVERFLOW : 0;
}

static inline u64
pk_sub_u64( u64 a, u64 b, u64 *out ) {
  return __builtin_sub_overflow( a, b, out ) ? PK_ERR_MATH_OVERFLOW : 0;
}

/* Instruction handlers (admin.c, user.c) */
u64 pk_ix_initialize_exchange( SolParameters *p );
u64 pk_ix_set_paused_operations( SolParameters *p );
u64 pk_ix_transfer_admin( SolParameters *p );
u64 pk_ix_initialize_market( SolParameters *p );
u64 pk_ix_update_market_params( SolParameters *p );
u64 pk_ix_update_market_oracle( SolParameters *p );
u64 pk_ix_set_market_status( SolParameters *p );
u64 pk_ix_initialize_user( SolParameters *p );
u64 pk_ix_set_user_delegate( SolParameters *p );
u64 pk_ix_deposit( SolParameters *p );
u64 pk_ix_withdraw( SolParameters *p );

/* math.c */
void pk_mul_64( u64 a, u64 b, u64 *hi, u64 *lo );
u64 pk_div_128_small( u64 *hi, u64 *lo, u64 d );
u64 pk_mul_div_floor( u64 a, u64 b, u64 d, u64 *out );
u64 pk_mul_div_ceil( u64 a, u64 b, u64 d, u64 *out );
u64 pk_signed_mul_div_floor( i64 a, i64 b, u64 d, i64 *out );
u64 pk_add_i64( i64 a, i64 b, i64 *out );
u64 pk_sub_i64( i64 a, i64 b, i64 *out );

/* Units (PK_BASE_PRECISION, PK_FUNDING_PRECISION, PK_BPS...) are the IDL constants in perp_idl.h. */

/* positions.c */
typedef struct {
  i64 long_delta;    /* change of the market's long open interest */
  i64 short_delta;   /* change of the market's short open interest */
} pk_oi_change_t;
u64 pk_position_for_market( pk_user_t *u, const pk_market_t *m, pk_perp_position_t **out );
u64 pk_position_settle_funding( pk_perp_position_t *pos, const pk_market_t *m );
typedef struct {
  u64 base;    /* base filled (1e9) */
  u64 quote;   /* its cash (1e6), already rounded for this side: pk_fill_quote */
  u8  side;    /* PK_SIDE_BID when this position bought */
} pk_fill_t;
u64 pk_position_apply_fill( pk_perp_position_t *pos, const pk_market_t *m, const pk_fill_t *fill, pk_oi_change_t *oi );
u64 pk_market_apply_oi( pk_market_t *m, const pk_oi_change_t *oi );
u64 pk_fill_quote( u64 base, u64 price, u8 side, u64 *quote );

/* margin.c */
typedef struct {
  i64 equity;                  /* collateral + unrealised + unsettled PnL + unsettled funding (1e6) */
  u64 initial_requirement;     /* with open-order reservations at their worst side */
  u64 maintenance_requirement; /* positions only */
  u64 maintenance_with_orders; /* with open-order reservations at their worst side */
  u64 mark_stale;              /* 1 when a market valued here was last priced more than oracle_max_staleness_slots ago */
} pk_margin_t;
u64 pk_compute_margin( SolParameters *p, const pk_user_t *u, const pk_market_t *current, u64 first_extra,
                       pk_margin_t *out );
u64 pk_orders_through_mark_loss( const pk_orderbook_t *book, const SolPubkey *user_key, u64 mark, u64 *loss );
u64 pk_queued_fills_loss( const pk_event_queue_t *queue, const SolPubkey *user_key, u64 mark, u64 *loss );
u64 pk_user_orders_loss( SolParameters *p, const pk_user_t *u, const SolPubkey *user_key, u64 first_extra, u64 *loss );
u64 pk_equity_less( i64 equity, u64 loss, i64 *out );

/* orderbook.c */
#define PK_MAX_ORDER_NOTIONAL ( 1ULL << 52 )      /* quote 1e6: ~4.5e9; sums of fills stay far from i64 */
#define PK_BOOK_SIDE_LEN ( sizeof( ((pk_orderbook_t *)0)->bids ) / sizeof( pk_resting_order_t ) )
u64  pk_book_insert( pk_orderbook_t *book, u8 side, const pk_resting_order_t *order, pk_resting_order_t *evicted, int *did_evict );
void pk_book_remove( pk_orderbook_t *book, u8 side, u64 index );
u64  pk_book_count_owner( const pk_orderbook_t *book, const SolPubkey *owner );
int  pk_book_find( const pk_orderbook_t *book, const SolPubkey *owner, u64 order_id, u8 *side, u64 *index );
void pk_book_cancel_user( pk_orderbook_t *book, const SolPubkey *user_key, pk_perp_position_t *pos, u16 market_index );
void pk_emit_order_cancelled( const SolPubkey *user, const pk_resting_order_t *o, u16 market_index, u8 side );
u64  pk_queue_push( pk_event_queue_t *queue, const pk_fill_record_t *fill, u64 *seq );
u64  pk_queue_push_out( pk_event_queue_t *queue, const pk_resting_order_t *o, u8 side, u64 evicted_by, u16 market_index );
u64  pk_queue_push_expired( pk_event_queue_t *queue, const pk_resting_order_t *o, u8 side, u16 market_index );
typedef struct {
  pk_orderbook_t   *book;
  pk_event_queue_t *queue;
  u64               now;           /* the current slot */
  u64               budget;        /* orders it may still remove */
  u64               no_room;       /* expired orders left because the queue was full */
  u16               market_index;
} pk_prune_t;
u64  pk_book_prune_side( pk_prune_t *pr, u8 side );

/* pk_order_expired: o carries an expiry slot (0: good-til-cancelled) and slot now is past it. The expiry
   slot itself is still live: an order placed with expirySlot = S can be filled in slot S, not in S + 1. */
static inline int
pk_order_expired( const pk_resting_order_t *o, u64 now ) {
  return o->expiry_slot != 0 && now > o->expiry_slot;
}

/* funding.c, prices.c */
u64 pk_funding_rate( const pk_market_t *m, i64 *rate );
u64 pk_ix_update_prices( SolParameters *p );
u64 pk_ix_update_funding( SolParameters *p );
u64 pk_ix_settle_funding( SolParameters *p );

/* settlement.c, liquidation.c */
u64 pk_ix_settle_pnl( SolParameters *p );
u64 pk_ix_liquidate_perp( SolParameters *p );
u64 pk_ix_settle_market( SolParameters *p );
u64 pk_ix_settle_expired_position( SolParameters *p );

/* insurance.c */
u64 pk_flag_bankrupt( pk_exchange_t *ex, pk_user_t *u, int bankrupt );
u64 pk_ix_resolve_bankruptcy( SolParameters *p );
u64 pk_ix_settle_revenue_to_insurance( SolParameters *p );

/* stakes.c */
u64 pk_ix_initialize_insurance_fund( SolParameters *p );
u64 pk_ix_add_insurance_stake( SolParameters *p );
u64 pk_ix_request_remove_insurance_stake( SolParameters *p );
u64 pk_ix_remove_insurance_stake( SolParameters *p );
u64 pk_ix_admin_withdraw_insurance( SolParameters *p );

/* The 32 KiB heap has no allocator: trigger_order lays out fixed regions there (see triggers.c). While the
   word at PK_HEAP_EMIT_MUTED is nonzero, pk_emit logs nothing (a dry run of an order). */
#define PK_HEAP_START 0x300000000ULL
#define PK_HEAP_LEN ( 32UL * 1024UL )
#define PK_HEAP_EMIT_MUTED ( (volatile u64 *)PK_HEAP_START )

/* triggers.c */
u64 pk_ix_init_trigger_orders( SolParameters *p );
u64 pk_ix_place_trigger_order( SolParameters *p );
u64 pk_ix_cancel_trigger_order( SolParameters *p );
u64 pk_ix_trigger_order( SolParameters *p );

/* trading.c */
u64 pk_load_user_as_trader( SolParameters *p, u64 user_idx, u64 signer_idx, pk_user_t **out );
u64 pk_ix_place_order( SolParameters *p );
u64 pk_place_order( SolParameters *p, pk_user_t *user, const pk_order_args_t *order, int delegate, u64 first_extra );
u64 pk_ix_cancel_order( SolParameters *p );
u64 pk_ix_cancel_all_orders( SolParameters *p );
u64 pk_ix_consume_events( SolParameters *p );
u64 pk_ix_prune_expired_orders( SolParameters *p );

#endif /* HEADER_pk_programs_perp_include_pk_program_h */
