/* Oracle readers and the validity ladder (see pk_oracle.h). Layout offsets and their sources are in
   pk_oracle_layouts.h. BPF has no 128-bit multiply or divide and no signed division, so products are
   built from 32-bit halves and 128-bit values are divided by powers of ten in 32-bit digit steps. */

#include "pk_program.h"
#include "pk_oracle.h"
#include "pk_oracle_layouts.h"

#define PK_ORACLE_POW10_MAX 19U      /* 10^19 is the largest power of ten below 2^64 */
#define PK_ORACLE_DIV_STEP 9U        /* 10^9 < 2^32: one digit step of pk_oracle_div_small */

static const u64 pk_oracle_pow10[PK_ORACLE_POW10_MAX + 1] = {
  1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
  1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
  100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
  1000000000000000000ULL, 10000000000000000000ULL };

static u128
pk_oracle_product( u64 a, u64 b ) {
  u64 hi, lo;
  pk_mul_64( a, b, &hi, &lo );
  return ( (u128)hi << 64 ) | lo;
}

/* *out = floor(v * 10^(expo + 6)). Fails with PK_ERR_ORACLE_INVALID_DATA above 2^64 - 1. */
static u64
pk_oracle_rescale_u64( u64 v, i32 expo, u64 *out ) {
  i64 k = (i64)expo + PK_ORACLE_PRICE_DECIMALS;
  if( k < 0 ) {
    u64 n = (u64)( -k );
    *out = n > PK_ORACLE_POW10_MAX ? 0 : v / pk_oracle_pow10[n];
    return 0;
  }
  if( v == 0 ) {
    *out = 0;
    return 0;
  }
  if( PK_UNLIKELY( (u64)k > PK_ORACLE_POW10_MAX ) ) return PK_ERR_ORACLE_INVALID_DATA;
  u64 hi;
  pk_mul_64( v, pk_oracle_pow10[k], &hi, out );
  return hi ? PK_ERR_ORACLE_INVALID_DATA : 0;
}

/* *out = floor(hi:lo / 10^(scale - 6)) for a non-negative 128-bit mantissa with `scale` decimals.
   floor(floor(x / a) / b) = floor(x / (a * b)), so a large scale is divided off in steps of 10^9; the
   loop ends within 5 steps once the mantissa reaches 0. Fails with PK_ERR_ORACLE_INVALID_DATA above 2^64 - 1. */
static u64
pk_oracle_rescale_u128( u64 hi, u64 lo, u32 scale, u64 *out ) {
  if( scale <= PK_ORACLE_PRICE_DECIMALS ) {
    if( ( hi | lo ) == 0 ) {
      *out = 0;
      return 0;
    }
    if( PK_UNLIKELY( hi ) ) return PK_ERR_ORACLE_INVALID_DATA;
    u64 ph;
    pk_mul_64( lo, pk_oracle_pow10[PK_ORACLE_PRICE_DECIMALS - scale], &ph, out );
    return ph ? PK_ERR_ORACLE_INVALID_DATA : 0;
  }
  u64 n = scale - PK_ORACLE_PRICE_DECIMALS;
  while( n && ( hi | lo ) ) {
    u64 step = n < PK_ORACLE_DIV_STEP ? n : PK_ORACLE_DIV_STEP;
    pk_div_128_small( &hi, &lo, pk_oracle_pow10[step] );
    n -= step;
  }
  if( PK_UNLIKELY( hi ) ) return PK_ERR_ORACLE_INVALID_DATA;
  *out = lo;
  return 0;
}

/* Normalises a Pyth price and confidence with a power-of-ten exponent. */
static u64
pk_oracle_normalise_expo( i64 price, u64 conf, i32 expo, pk_oracle_price_t *out ) {
  if( PK_UNLIKELY( price <= 0 ) ) return PK_ERR_ORACLE_NON_POSITIVE;
  PK_TRY( pk_oracle_rescale_u64( (u64)price, expo, &out->price ) );
  if( PK_UNLIKELY( out->price == 0 ) ) return PK_ERR_ORACLE_NON_POSITIVE;
  return pk_oracle_rescale_u64( conf, expo, &out->conf );
}

/* Normalises a Switchboard value and standard deviation: signed 128-bit mantissas (two's complement in
   hi:lo) with decimal scales. */
static u64
pk_oracle_normalise_decimal( const u64 value[2], u32 value_scale, const u64 std_dev[2], u32 std_dev_scale,
                             pk_oracle_price_t *out ) {
  if( PK_UNLIKELY( (i64)value[1] < 0 || ( value[0] | value[1] ) == 0 ) ) return PK_ERR_ORACLE_NON_POSITIVE;
  PK_TRY( pk_oracle_rescale_u128( value[1], value[0], value_scale, &out->price ) );
  if( PK_UNLIKELY( out->price == 0 ) ) return PK_ERR_ORACLE_NON_POSITIVE;
  if( PK_UNLIKELY( (i64)std_dev[1] < 0 ) ) return PK_ERR_ORACLE_INVALID_DATA;
  return pk_oracle_rescale_u128( std_dev[1], std_dev[0], std_dev_scale, &out->conf );
}

static u64
pk_oracle_decode_pyth_legacy( const u8 *d, u64 len, pk_oracle_price_t *out ) {
  if( PK_UNLIKELY( len < PK_PYTH_LEGACY_LEN ) ) return PK_ERR_ORACLE_INVALID_DATA;
  u32 size = *(const u32 *)( d + PK_PYTH_LEGACY_OFF_SIZE );
  u32 status = *(const u32 *)( d + PK_PYTH_LEGACY_OFF_AGG_STATUS );
  if( PK_UNLIKELY( *(const u32 *)( d + PK_PYTH_LEGACY_OFF_MAGIC ) != PK_PYTH_LEGACY_MAGIC
                || *(const u32 *)( d + PK_PYTH_LEGACY_OFF_VERSION ) != PK_PYTH_LEGACY_VERSION
                || *(const u32 *)( d + PK_PYTH_LEGACY_OFF_TYPE ) != PK_PYTH_LEGACY_TYPE_PRICE
                || size < PK_PYTH_LEGACY_HEADER_LEN || size > len
                || status > PK_PYTH_LEGACY_STATUS_MAX ) )
    return PK_ERR_ORACLE_INVALID_DATA;
  out->status = status;
  out->publish_slot = *(const u64 *)( d + PK_PYTH_LEGACY_OFF_AGG_PUB_SLOT );
  return pk_oracle_normalise_expo( *(const i64 *)( d + PK_PYTH_LEGACY_OFF_AGG_PRICE ),
                                   *(const u64 *)( d + PK_PYTH_LEGACY_OFF_AGG_CONF ),
                                   *(const i32 *)( d + PK_PYTH_LEGACY_OFF_EXPO ), out );
}

static u64
pk_oracle_decode_pull_v2( const u8 *d, u64 len, const u8 *feed_id, pk_oracle_price_t *out ) {
  if( PK_UNLIKELY( len < PK_PULL_V2_LEN || *(const u64 *)d != PK_PULL_V2_DISCRIMINATOR ) )
    return PK_ERR_ORACLE_INVALID_DATA;
  /* Partial verification means fewer guardian signatures than a quorum were checked. */
  if( PK_UNLIKELY( d[PK_PULL_V2_OFF_VERIFICATION] != PK_PULL_V2_VERIFICATION_FULL ) ) return PK_ERR_ORACLE_INVALID_DATA;
  if( PK_UNLIKELY( !pk_memeq( d + PK_PULL_V2_OFF_FEED_ID, feed_id, 32 ) ) ) return PK_ERR_ORACLE_INVALID_DATA;
  out->status = PK_ORACLE_STATUS_TRADING;
  out->publish_slot = pk_ld_u64( d + PK_PULL_V2_OFF_POSTED_SLOT );
  out->publish_time = (i64)pk_ld_u64( d + PK_PULL_V2_OFF_PUBLISH_TIME );
  out->has_publish_time = 1;
  return pk_oracle_normalise_expo( (i64)pk_ld_u64( d + PK_PULL_V2_OFF_PRICE ), pk_ld_u64( d + PK_PULL_V2_OFF_CONF ),
                                   (i32)pk_ld_u32( d + PK_PULL_V2_OFF_EXPONENT ), out );
}

static u64
pk_oracle_decode_switchboard_v2( const u8 *d, u64 len, pk_oracle_price_t *out ) {
  if( PK_UNLIKELY( len < PK_SB_V2_LEN || pk_ld_u64( d ) != PK_SB_V2_DISCRIMINATOR ) ) return PK_ERR_ORACLE_INVALID_DATA;
  u32 min_results = pk_ld_u32( d + PK_SB_V2_OFF_MIN_ORACLE_RESULTS );
  u32 successes = pk_ld_u32( d + PK_SB_V2_OFF_NUM_SUCCESS );
  /* A round confirmed by fewer oracles than the aggregator requires has no valid result
     (AggregatorAccountData::get_result). */
  out->status = successes >= min_results ? PK_ORACLE_STATUS_TRADING : PK_ORACLE_STATUS_UNKNOWN;
  out->publish_slot = pk_ld_u64( d + PK_SB_V2_OFF_ROUND_OPEN_SLOT );
  u64 value[2] = { pk_ld_u64( d + PK_SB_V2_OFF_RESULT_MANTISSA ), pk_ld_u64( d + PK_SB_V2_OFF_RESULT_MANTISSA + 8 ) };
  u64 std_dev[2] = { pk_ld_u64( d + PK_SB_V2_OFF_STD_DEV_MANTISSA ), pk_ld_u64( d + PK_SB_V2_OFF_STD_DEV_MANTISSA + 8 ) };
  return pk_oracle_normalise_decimal( value, pk_ld_u32( d + PK_SB_V2_OFF_RESULT_SCALE ),
                                      std_dev, pk_ld_u32( d + PK_SB_V2_OFF_STD_DEV_SCALE ), out );
}

static u64
pk_oracle_decode_switchboard_on_demand( const u8 *d, u64 len, pk_oracle_price_t *out ) {
  if( PK_UNLIKELY( len < PK_SB_OD_LEN || *(const u64 *)d != PK_SB_OD_DISCRIMINATOR ) ) return PK_ERR_ORACLE_INVALID_DATA;
  const u64 *value = (const u64 *)( d + PK_SB_OD_OFF_VALUE );
  const u64 *std_dev = (const u64 *)( d + PK_SB_OD_OFF_STD_DEV );
  out->publish_slot = *(const u64 *)( d + PK_SB_OD_OFF_SLOT );
  out->status = out->publish_slot ? PK_ORACLE_STATUS_TRADING : PK_ORACLE_STATUS_UNKNOWN;
  return pk_oracle_normalise_decimal( value, PK_SB_OD_DECIMALS, std_dev, PK_SB_OD_DECIMALS, out );
}

u64
pk_oracle_decode( u64                kind,
                  const u8          *data,
                  u64                data_len,
                  const u8          *feed_id,
                  pk_oracle_price_t *out ) {
  out->has_publish_time = 0;
  switch( kind ) {
    case PK_ORACLE_KIND_PYTH_LEGACY:           return pk_oracle_decode_pyth_legacy( data, data_len, out );
    case PK_ORACLE_KIND_PYTH_PULL_V2:          return pk_oracle_decode_pull_v2( data, data_len, feed_id, out );
    case PK_ORACLE_KIND_SWITCHBOARD_V2:        return pk_oracle_decode_switchboard_v2( data, data_len, out );
    case PK_ORACLE_KIND_SWITCHBOARD_ON_DEMAND: return pk_oracle_decode_switchboard_on_demand( data, data_len, out );
    default:                                   return PK_ERR_ORACLE_UNAVAILABLE;
  }
}

u64
pk_oracle_read( const pk_oracle_source_t *src,
                const SolAccountInfo     *acc,
                pk_oracle_price_t        *out ) {
  if( PK_UNLIKELY( !acc || !pk_pubkey_eq( acc->key, src->account ) || !pk_pubkey_eq( acc->owner, src->program ) ) )
    return PK_ERR_ORACLE_WRONG_ACCOUNT;
  return pk_oracle_decode( src->kind, acc->data, acc->data_len, src->feed_id, out );
}

u64
pk_oracle_check( const pk_oracle_price_t  *p,
                 const pk_market_params_t *params,
                 u64                       current_slot,
                 i64                       current_ts ) {
  if( PK_UNLIKELY( p->status != PK_ORACLE_STATUS_TRADING ) ) return PK_ERR_ORACLE_UNAVAILABLE;
  u64 age = current_slot > p->publish_slot ? current_slot - p->publish_slot : 0;
  if( PK_UNLIKELY( age > params->oracle_max_staleness_slots ) ) return PK_ERR_ORACLE_STALE;
  /* The difference of two i64 is exact as a u64 when it is positive. */
  u64 age_secs = p->has_publish_time && current_ts > p->publish_time ? (u64)current_ts - (u64)p->publish_time : 0;
  if( PK_UNLIKELY( age_secs > params->oracle_max_staleness_slots ) ) return PK_ERR_ORACLE_STALE;
  if( PK_UNLIKELY( pk_oracle_product( p->conf, PK_BPS )
                 > pk_oracle_product( params->oracle_max_confidence_bps, p->price ) ) )
    return PK_ERR_ORACLE_CONFIDENCE_TOO_WIDE;
  return 0;
}

int
pk_oracle_diverges( u64 a,
                    u64 b,
                    u64 max_bps ) {
  u64 diff = a > b ? a - b : b - a;
  u64 low = a < b ? a : b;
  return pk_oracle_product( diff, PK_BPS ) > pk_oracle_product( max_bps, low );
}

static u64
pk_oracle_validate( const pk_oracle_source_t     *src,
                    const SolAccountInfo         *acc,
                    const pk_oracle_select_args_t *args,
                    pk_oracle_price_t            *out ) {
  PK_TRY( pk_oracle_read( src, acc, out ) );
  return pk_oracle_check( out, args->params, args->current_slot, args->current_ts );
}

u64
pk_oracle_select( const pk_oracle_select_args_t *args,
                  pk_oracle_selection_t         *out ) {
  const pk_oracle_config_t *c = args->config;
  pk_oracle_source_t primary = { &c->primary, &c->primary_program, c->primary_feed_id, c->primary_kind };
  pk_oracle_source_t fallback = { &c->fallback, &c->fallback_program, c->fallback_feed_id, c->fallback_kind };
  pk_oracle_price_t p, f;

  out->primary_err = c->primary_kind == PK_ORACLE_KIND_NONE ? PK_ERR_ORACLE_UNAVAILABLE
                   : pk_oracle_validate( &primary, args->primary, args, &p );
  out->fallback_err = c->fallback_kind == PK_ORACLE_KIND_NONE ? PK_ERR_ORACLE_UNAVAILABLE
                    : pk_oracle_validate( &fallback, args->fallback, args, &f );

  /* An account other than the configured one is the cranker's choice, not the oracle's state: taken
     as a bad price, it would let the cranker pick the source and skip the divergence check. (A wrong
     owner at the configured address is the feed's state: that source is invalid, as before.) */
  if( PK_UNLIKELY( c->primary_kind != PK_ORACLE_KIND_NONE
                   && ( !args->primary || !pk_pubkey_eq( args->primary->key, &c->primary ) ) ) )
    return PK_ERR_ORACLE_WRONG_ACCOUNT;
  if( PK_UNLIKELY( c->fallback_kind != PK_ORACLE_KIND_NONE
                   && ( !args->fallback || !pk_pubkey_eq( args->fallback->key, &c->fallback ) ) ) )
    return PK_ERR_ORACLE_WRONG_ACCOUNT;

  if( !out->primary_err ) {
    if( !out->fallback_err && pk_oracle_diverges( p.price, f.price, args->params->oracle_max_divergence_bps ) )
      return PK_ERR_ORACLE_DIVERGENCE;
    out->price = p;
    out->source = PK_ORACLE_SOURCE_PRIMARY;
    return 0;
  }
  if( !out->fallback_err ) {
    out->price = f;
    out->source = PK_ORACLE_SOURCE_FALLBACK;
    return 0;
  }
  return out->primary_err;
}
