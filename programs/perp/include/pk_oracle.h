#ifndef HEADER_pk_programs_perp_include_pk_oracle_h
#define HEADER_pk_programs_perp_include_pk_oracle_h

/* Oracle readers (oracle.c): decode the four price layouts a market can name (Pyth legacy price
   account, Pyth receiver PriceUpdateV2, Switchboard V2 aggregator, Switchboard On-Demand pull feed),
   normalise them to PK price units, and pick a market's index price with the validity ladder.

   Units: price and confidence in quote per base at 1e6 (PK price units), converted from the source's
   power-of-ten exponent or decimal scale with integer math, rounding down; a result above 2^64 - 1 is
   PK_ERR_ORACLE_INVALID_DATA. The confidence is Pyth's conf or Switchboard's standard deviation.

   Checks of one source, in order (the first failing one is returned):
     1. PK_ERR_ORACLE_WRONG_ACCOUNT   no account, key differs from the config, owner differs from the
                                      configured program
     2. PK_ERR_ORACLE_INVALID_DATA    data shorter than the layout's real size, wrong magic / version /
                                      type / discriminator, Pyth status outside 0..4, PriceUpdateV2 not
                                      Full-verified or for another feed id
     3. PK_ERR_ORACLE_NON_POSITIVE    raw price <= 0, or 0 once normalised
     4. PK_ERR_ORACLE_INVALID_DATA    normalised price or confidence above 2^64 - 1, negative Switchboard
                                      standard deviation
     5. PK_ERR_ORACLE_UNAVAILABLE     not trading: Pyth status other than Trading, a Switchboard V2
                                      round with fewer successes than min_oracle_results, an On-Demand
                                      feed without a result (slot 0)
     6. PK_ERR_ORACLE_STALE           current_slot - publish_slot > oracle_max_staleness_slots (a publish
                                      slot ahead of the current slot counts as age 0); for PriceUpdateV2
                                      also current_ts - publish_time > oracle_max_staleness_slots seconds
                                      (its posted slot says when the update was written, not when it was
                                      priced: an old signed price can be posted anew; one second a slot is
                                      2.5 times a mainnet slot)
     7. PK_ERR_ORACLE_CONFIDENCE_TOO_WIDE  conf * 10000 > oracle_max_confidence_bps * price
   Steps 1-4 are pk_oracle_read, steps 5-7 pk_oracle_check. The publish slot is the Pyth aggregate's
   pub_slot, PriceUpdateV2's posted_slot, the Switchboard V2 round's open slot, the On-Demand result's slot.

   Every function here is pure: no logging, no syscalls but sol_memcmp_. None may be called with more than
   5 arguments, so the composite inputs travel in structs. */

#include "pk_sol.h"
#include "perp_idl.h"

/* Readings are normalised to the IDL's PRICE_DECIMALS (perp_idl.h), as an int: the exponent math is signed
   and the rescale's decimal counts are u32. Ratios use the IDL's PK_BPS. */
#define PK_ORACLE_PRICE_DECIMALS ( (int)PK_PRICE_DECIMALS )

/* Normalised status: Pyth's own status values; the other layouts map to TRADING or UNKNOWN. */
#define PK_ORACLE_STATUS_UNKNOWN 0
#define PK_ORACLE_STATUS_TRADING 1

#define PK_ORACLE_SOURCE_PRIMARY 0
#define PK_ORACLE_SOURCE_FALLBACK 1

/* One normalised reading. */
typedef struct {
  u64 price;         /* quote per base at 1e6, > 0 */
  u64 conf;          /* at 1e6 */
  u64 publish_slot;
  u64 status;        /* PK_ORACLE_STATUS_* (Pyth: its status 0..4) */
  i64 publish_time;  /* unix seconds, when has_publish_time (PriceUpdateV2) */
  u64 has_publish_time;
} pk_oracle_price_t;

/* One configured source: the account, its owning program and feed id named by the market. */
typedef struct {
  const SolPubkey *account;
  const SolPubkey *program;
  const u8        *feed_id;   /* 32 bytes; compared for PK_ORACLE_KIND_PYTH_PULL_V2 only */
  u64              kind;      /* PK_ORACLE_KIND_* */
} pk_oracle_source_t;

/* Input of pk_oracle_select. */
typedef struct {
  const pk_oracle_config_t *config;
  const pk_market_params_t *params;        /* oracle_max_staleness_slots, _confidence_bps, _divergence_bps */
  u64                       current_slot;
  const SolAccountInfo     *primary;       /* the account passed for the primary source */
  const SolAccountInfo     *fallback;      /* PK_NULL when none was passed (or none is configured) */
  i64                       current_ts;    /* the Clock's unix timestamp */
} pk_oracle_select_args_t;

/* Output of pk_oracle_select. primary_err / fallback_err hold each source's first failing check (0 when
   valid; PK_ERR_ORACLE_UNAVAILABLE for a fallback the market does not configure), also on failure. */
typedef struct {
  pk_oracle_price_t price;        /* the chosen source's reading */
  u64               source;       /* PK_ORACLE_SOURCE_* */
  u64               primary_err;
  u64               fallback_err;
} pk_oracle_selection_t;

/* pk_oracle_decode decodes `data_len` bytes of account data of layout `kind` (PK_ORACLE_KIND_*) into
   *out (checks 2-4 above, no key or owner check). data must be 8-byte aligned (account data in the
   entrypoint input always is). feed_id (32 bytes) is read for PK_ORACLE_KIND_PYTH_PULL_V2 only. Returns 0,
   PK_ERR_ORACLE_INVALID_DATA, PK_ERR_ORACLE_NON_POSITIVE, or PK_ERR_ORACLE_UNAVAILABLE for kind None or
   an unknown kind. *out is unspecified on failure. */
u64
pk_oracle_decode( u64                kind,
                  const u8          *data,
                  u64                data_len,
                  const u8          *feed_id,
                  pk_oracle_price_t *out );

/* pk_oracle_read checks that `acc` is the source's account, owned by its program, and decodes it (checks
   1-4). Returns 0 or the first failing PK_ERR_ORACLE_* (PK_ERR_ORACLE_WRONG_ACCOUNT when acc is PK_NULL). */
u64
pk_oracle_read( const pk_oracle_source_t *src,
                const SolAccountInfo     *acc,
                pk_oracle_price_t        *out );

/* pk_oracle_check applies checks 5-7 to a decoded reading. Returns 0, PK_ERR_ORACLE_UNAVAILABLE,
   PK_ERR_ORACLE_STALE or PK_ERR_ORACLE_CONFIDENCE_TOO_WIDE. */
u64
pk_oracle_check( const pk_oracle_price_t  *p,
                 const pk_market_params_t *params,
                 u64                       current_slot,
                 i64                       current_ts );

/* pk_oracle_diverges returns 1 when |a - b| * 10000 > max_bps * min(a, b), else 0. */
int
pk_oracle_diverges( u64 a,
                    u64 b,
                    u64 max_bps );

/* pk_oracle_select runs the validity ladder: read and check the primary; when it is valid and a valid
   fallback is configured, fail with PK_ERR_ORACLE_DIVERGENCE if the two diverge, else choose the
   primary; when the primary is invalid, choose the fallback if valid; otherwise return the primary's
   error (PK_ERR_ORACLE_UNAVAILABLE when the market configures no primary). Returns 0 with *out filled, or
   that error with out->primary_err and out->fallback_err filled. */
u64
pk_oracle_select( const pk_oracle_select_args_t *args,
                  pk_oracle_selection_t         *out );

#endif /* HEADER_pk_programs_perp_include_pk_oracle_h */
