#ifndef HEADER_pk_programs_common_include_pk_oracle_layouts_h
#define HEADER_pk_programs_common_include_pk_oracle_layouts_h

/* Byte layouts of the four oracle accounts perpkeep reads: offsets into the account data (discriminator
   included where the real account has one), shared by the perp program's readers (programs/perp/oracle.c)
   and the localnet mock oracle that writes them (programs/mock_oracle/). Each block names its source.
   Several fields are unaligned (packed Rust structs, a variable-length Borsh enum), so every access goes
   through the byte-wise pk_ld_* / pk_st_* helpers below. tests/unit/localnet/test_oracle_readers.py
   checks every offset against the Borsh offsets of idl/pyth_receiver.json, idl/switchboard_v2.json and
   idl/switchboard_on_demand.json, and against pythclient's parser. */

#include "pk_sol.h"

/* Pyth legacy price account (pyth-client program/c/src/oracle/oracle.h pc_price_t, 32 components;
   pythclient 0.2.2 pythaccounts.py PythPriceAccount.update_from for version 2). All fields aligned. */
#define PK_PYTH_LEGACY_LEN               3312UL   /* 240-byte header + 32 x 96-byte components */
#define PK_PYTH_LEGACY_MAGIC             0xa1b2c3d4U
#define PK_PYTH_LEGACY_VERSION           2U
#define PK_PYTH_LEGACY_TYPE_PRICE        3U
#define PK_PYTH_LEGACY_OFF_MAGIC         0UL     /* u32 */
#define PK_PYTH_LEGACY_OFF_VERSION       4UL     /* u32 */
#define PK_PYTH_LEGACY_OFF_TYPE          8UL     /* u32 account type */
#define PK_PYTH_LEGACY_OFF_SIZE          12UL    /* u32 bytes in use: 240 + 96 * components */
#define PK_PYTH_LEGACY_OFF_PRICE_TYPE    16UL    /* u32, 1 = price */
#define PK_PYTH_LEGACY_OFF_EXPO          20UL    /* i32 */
#define PK_PYTH_LEGACY_OFF_NUM           24UL    /* u32 component count */
#define PK_PYTH_LEGACY_OFF_NUM_QT        28UL    /* u32 components in the aggregate */
#define PK_PYTH_LEGACY_OFF_LAST_SLOT     32UL    /* u64 */
#define PK_PYTH_LEGACY_OFF_VALID_SLOT    40UL    /* u64 */
#define PK_PYTH_LEGACY_OFF_EMA_PRICE     48UL    /* i64 derivations[0] */
#define PK_PYTH_LEGACY_OFF_EMA_CONF      72UL    /* i64 derivations[3] */
#define PK_PYTH_LEGACY_OFF_TIMESTAMP     96UL    /* i64 unix seconds */
#define PK_PYTH_LEGACY_OFF_MIN_PUB       104UL   /* u8 */
#define PK_PYTH_LEGACY_OFF_PREV_SLOT     176UL   /* u64, then prev price i64, prev conf u64, prev timestamp i64 */
#define PK_PYTH_LEGACY_OFF_AGG_PRICE     208UL   /* i64 */
#define PK_PYTH_LEGACY_OFF_AGG_CONF      216UL   /* u64 */
#define PK_PYTH_LEGACY_OFF_AGG_STATUS    224UL   /* u32: 0 unknown, 1 trading, 2 halted, 3 auction, 4 ignored */
#define PK_PYTH_LEGACY_OFF_AGG_PUB_SLOT  232UL   /* u64 */
#define PK_PYTH_LEGACY_HEADER_LEN        240UL   /* components start here */
#define PK_PYTH_LEGACY_COMP_LEN          96UL    /* publisher key + 2 x 32-byte price info */
#define PK_PYTH_LEGACY_STATUS_TRADING    1U
#define PK_PYTH_LEGACY_STATUS_MAX        4U

/* Pyth receiver PriceUpdateV2 (pyth-crosschain target_chains/solana/pyth_solana_receiver_sdk/src/
   price_update.rs; PriceFeedMessage in pythnet_sdk messages.rs). Borsh: the VerificationLevel enum is
   Partial { num_signatures: u8 } = 2 bytes or Full = 1 byte, so every later field shifts by one. The
   account is allocated at PriceUpdateV2::LEN = 134. Offsets below are for Full (the only level accepted);
   add PK_PULL_V2_PARTIAL_SHIFT for Partial. */
#define PK_PULL_V2_LEN                   134UL
#define PK_PULL_V2_DISCRIMINATOR         0xcdf47e9d6323f122ULL   /* sha256("account:PriceUpdateV2")[:8] LE */
#define PK_PULL_V2_OFF_WRITE_AUTHORITY   8UL     /* Pubkey */
#define PK_PULL_V2_OFF_VERIFICATION      40UL    /* u8 tag: 0 Partial, 1 Full */
#define PK_PULL_V2_OFF_NUM_SIGNATURES    41UL    /* u8, Partial only */
#define PK_PULL_V2_VERIFICATION_PARTIAL  0U
#define PK_PULL_V2_VERIFICATION_FULL     1U
#define PK_PULL_V2_PARTIAL_SHIFT         1UL
#define PK_PULL_V2_OFF_FEED_ID           41UL    /* [u8; 32] */
#define PK_PULL_V2_OFF_PRICE             73UL    /* i64 */
#define PK_PULL_V2_OFF_CONF              81UL    /* u64 */
#define PK_PULL_V2_OFF_EXPONENT          89UL    /* i32 */
#define PK_PULL_V2_OFF_PUBLISH_TIME      93UL    /* i64 unix seconds */
#define PK_PULL_V2_OFF_PREV_PUBLISH_TIME 101UL   /* i64 */
#define PK_PULL_V2_OFF_EMA_PRICE         109UL   /* i64 */
#define PK_PULL_V2_OFF_EMA_CONF          117UL   /* u64 */
#define PK_PULL_V2_OFF_POSTED_SLOT       125UL   /* u64 */

/* Switchboard V2 AggregatorAccountData (switchboard-xyz/solana-sdk rust/switchboard-solana/src/
   oracle_program/accounts/aggregator.rs): #[repr(packed)] zero-copy, 8 + 3843 bytes. SwitchboardDecimal
   is { mantissa: i128, scale: u32 } (20 bytes), value = mantissa / 10^scale. The latest confirmed
   round (AggregatorRound) starts at 8 + 333 = 341. */
#define PK_SB_V2_LEN                     3851UL
#define PK_SB_V2_DISCRIMINATOR           0x7d1ba2c96541e6d9ULL   /* sha256("account:AggregatorAccountData")[:8] LE */
#define PK_SB_V2_OFF_BATCH_SIZE          232UL   /* u32 oracle_request_batch_size */
#define PK_SB_V2_OFF_MIN_ORACLE_RESULTS  236UL   /* u32 */
#define PK_SB_V2_OFF_LATEST_ROUND        341UL
#define PK_SB_V2_OFF_NUM_SUCCESS         341UL   /* u32 */
#define PK_SB_V2_OFF_NUM_ERROR           345UL   /* u32 */
#define PK_SB_V2_OFF_IS_CLOSED           349UL   /* bool */
#define PK_SB_V2_OFF_ROUND_OPEN_SLOT     350UL   /* u64 */
#define PK_SB_V2_OFF_ROUND_OPEN_TS       358UL   /* i64 */
#define PK_SB_V2_OFF_RESULT_MANTISSA     366UL   /* i128 */
#define PK_SB_V2_OFF_RESULT_SCALE        382UL   /* u32 */
#define PK_SB_V2_OFF_STD_DEV_MANTISSA    386UL   /* i128 */
#define PK_SB_V2_OFF_STD_DEV_SCALE       402UL   /* u32 */
#define PK_SB_V2_OFF_MIN_RESPONSE        406UL   /* SwitchboardDecimal */
#define PK_SB_V2_OFF_MAX_RESPONSE        426UL   /* SwitchboardDecimal */

/* Switchboard On-Demand PullFeedAccountData (switchboard-on-demand crate on_demand/accounts/
   pull_feed.rs): #[repr(C)] zero-copy, 8 + 3200 bytes, all fields aligned. CurrentResult starts at
   8 + 2256; values are i128 fixed point with 18 decimals (PRECISION), slot 0 = no result yet. */
#define PK_SB_OD_LEN                     3208UL
#define PK_SB_OD_DISCRIMINATOR           0x28dbd70ac46c1bc4ULL   /* sha256("account:PullFeedAccountData")[:8] LE */
#define PK_SB_OD_DECIMALS                18U
#define PK_SB_OD_OFF_LAST_UPDATE_TS      2216UL  /* i64 */
#define PK_SB_OD_OFF_RESULT              2264UL
#define PK_SB_OD_OFF_VALUE               2264UL  /* i128 */
#define PK_SB_OD_OFF_STD_DEV             2280UL  /* i128 */
#define PK_SB_OD_OFF_MEAN                2296UL  /* i128 */
#define PK_SB_OD_OFF_RANGE               2312UL  /* i128 */
#define PK_SB_OD_OFF_MIN_VALUE           2328UL  /* i128 */
#define PK_SB_OD_OFF_MAX_VALUE           2344UL  /* i128 */
#define PK_SB_OD_OFF_NUM_SAMPLES         2360UL  /* u8 */
#define PK_SB_OD_OFF_SLOT                2368UL  /* u64 */
#define PK_SB_OD_OFF_MIN_SLOT            2376UL  /* u64 */
#define PK_SB_OD_OFF_MAX_SLOT            2384UL  /* u64 */

/* Little-endian loads and stores at any alignment: the BPF backend turns an unaligned u64 access into
   byte loads anyway, and a cast through u64* at an odd offset is undefined behaviour. */
static inline u64
pk_ld_u64( const u8 *p ) {
  return (u64)p[0] | ( (u64)p[1] << 8 ) | ( (u64)p[2] << 16 ) | ( (u64)p[3] << 24 )
       | ( (u64)p[4] << 32 ) | ( (u64)p[5] << 40 ) | ( (u64)p[6] << 48 ) | ( (u64)p[7] << 56 );
}

static inline u32
pk_ld_u32( const u8 *p ) {
  return (u32)p[0] | ( (u32)p[1] << 8 ) | ( (u32)p[2] << 16 ) | ( (u32)p[3] << 24 );
}

static inline void
pk_st_u64( u8 *p, u64 v ) {
  for( u64 i = 0; i < 8; i++ ) p[i] = (u8)( v >> ( 8 * i ) );
}

static inline void
pk_st_u32( u8 *p, u32 v ) {
  for( u64 i = 0; i < 4; i++ ) p[i] = (u8)( v >> ( 8 * i ) );
}

#endif /* HEADER_pk_programs_common_include_pk_oracle_layouts_h */
