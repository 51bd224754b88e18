/* The four write instructions: each lays out the real bytes of one foreign price account. Offsets and
   their sources: pk_oracle_layouts.h. Only the fields a reader needs, plus those that keep the account
   self-consistent for off-chain parsers (pythclient, the generated clients), are written. */

#include "mock_oracle.h"

/* The slot to record: the argument, or the current slot when it is 0. */
static u64
pk_mo_slot( u64 requested, const SolClock *clock ) {
  return requested ? requested : clock->slot;
}

/* Writes one 32-byte Pyth price info: price, conf, status, corporate action 0, publish slot. */
static void
pk_mo_pyth_price_info( u8 *d, i64 price, u64 conf, u32 status, u64 slot ) {
  *(i64 *)d = price;
  *(u64 *)( d + 8 ) = conf;
  *(u32 *)( d + 16 ) = status;
  *(u32 *)( d + 20 ) = 0;
  *(u64 *)( d + 24 ) = slot;
}

u64
pk_mo_ix_write_pyth_legacy( SolParameters *p ) {
  PK_MO_CHECK_IX( p, WRITE_PYTH_LEGACY );
  u8 *d;
  PK_MO_TRY( pk_mo_load_target( p, PK_PYTH_LEGACY_LEN, &d ) );
  const pk_ix_write_pyth_legacy_args_t *a = PK_MO_ARGS( p, write_pyth_legacy );
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  u64 slot = pk_mo_slot( a->publish_slot, &clock );

  /* The previous aggregate becomes prev_*, as the oracle does on each aggregation. */
  int initialized = *(const u32 *)( d + PK_PYTH_LEGACY_OFF_MAGIC ) == PK_PYTH_LEGACY_MAGIC;
  u64 prev_slot = initialized ? *(const u64 *)( d + PK_PYTH_LEGACY_OFF_AGG_PUB_SLOT ) : 0;
  i64 prev_price = initialized ? *(const i64 *)( d + PK_PYTH_LEGACY_OFF_AGG_PRICE ) : 0;
  u64 prev_conf = initialized ? *(const u64 *)( d + PK_PYTH_LEGACY_OFF_AGG_CONF ) : 0;
  i64 prev_ts = initialized ? *(const i64 *)( d + PK_PYTH_LEGACY_OFF_TIMESTAMP ) : 0;

  *(u32 *)( d + PK_PYTH_LEGACY_OFF_MAGIC ) = PK_PYTH_LEGACY_MAGIC;
  *(u32 *)( d + PK_PYTH_LEGACY_OFF_VERSION ) = PK_PYTH_LEGACY_VERSION;
  *(u32 *)( d + PK_PYTH_LEGACY_OFF_TYPE ) = PK_PYTH_LEGACY_TYPE_PRICE;
  *(u32 *)( d + PK_PYTH_LEGACY_OFF_SIZE ) = (u32)( PK_PYTH_LEGACY_HEADER_LEN + PK_PYTH_LEGACY_COMP_LEN );
  *(u32 *)( d + PK_PYTH_LEGACY_OFF_PRICE_TYPE ) = 1;
  *(i32 *)( d + PK_PYTH_LEGACY_OFF_EXPO ) = a->exponent;
  *(u32 *)( d + PK_PYTH_LEGACY_OFF_NUM ) = 1;
  *(u32 *)( d + PK_PYTH_LEGACY_OFF_NUM_QT ) = 1;
  *(u64 *)( d + PK_PYTH_LEGACY_OFF_LAST_SLOT ) = slot;
  *(u64 *)( d + PK_PYTH_LEGACY_OFF_VALID_SLOT ) = slot;
  *(i64 *)( d + PK_PYTH_LEGACY_OFF_EMA_PRICE ) = a->price;
  *(u64 *)( d + PK_PYTH_LEGACY_OFF_EMA_CONF ) = a->conf;
  *(i64 *)( d + PK_PYTH_LEGACY_OFF_TIMESTAMP ) = clock.unix_timestamp;
  d[PK_PYTH_LEGACY_OFF_MIN_PUB] = 1;
  *(u64 *)( d + PK_PYTH_LEGACY_OFF_PREV_SLOT ) = prev_slot;
  *(i64 *)( d + PK_PYTH_LEGACY_OFF_PREV_SLOT + 8 ) = prev_price;
  *(u64 *)( d + PK_PYTH_LEGACY_OFF_PREV_SLOT + 16 ) = prev_conf;
  *(i64 *)( d + PK_PYTH_LEGACY_OFF_PREV_SLOT + 24 ) = prev_ts;
  pk_mo_pyth_price_info( d + PK_PYTH_LEGACY_OFF_AGG_PRICE, a->price, a->conf, a->status, slot );

  /* Component 0: the authority as the only publisher, its aggregate and latest quotes equal to the price. */
  u8 *comp = d + PK_PYTH_LEGACY_HEADER_LEN;
  pk_memcpy( comp, p->ka[PK_MO_ACC_AUTHORITY].key, 32 );
  pk_mo_pyth_price_info( comp + 32, a->price, a->conf, a->status, slot );
  pk_mo_pyth_price_info( comp + 64, a->price, a->conf, a->status, slot );
  return 0;
}

u64
pk_mo_ix_write_price_update_v2( SolParameters *p ) {
  PK_MO_CHECK_IX( p, WRITE_PRICE_UPDATE_V2 );
  u8 *d;
  PK_MO_TRY( pk_mo_load_target( p, PK_PULL_V2_LEN, &d ) );
  const pk_ix_write_price_update_v2_args_t *a = PK_MO_ARGS( p, write_price_update_v2 );
  if( PK_UNLIKELY( a->verification_level >= PK_VERIFICATION_LEVEL_COUNT ) ) PK_MO_FAIL( PK_ERR_INVALID_INSTRUCTION_DATA, PK_MO_NO_ACCOUNT );
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  i64 publish_time = a->publish_time ? a->publish_time : clock.unix_timestamp;

  i64 prev_publish_time = 0;
  if( pk_ld_u64( d ) == PK_PULL_V2_DISCRIMINATOR && d[PK_PULL_V2_OFF_VERIFICATION] <= PK_PULL_V2_VERIFICATION_FULL ) {
    u64 old_shift = d[PK_PULL_V2_OFF_VERIFICATION] == PK_PULL_V2_VERIFICATION_PARTIAL ? PK_PULL_V2_PARTIAL_SHIFT : 0;
    prev_publish_time = (i64)pk_ld_u64( d + PK_PULL_V2_OFF_PUBLISH_TIME + old_shift );
  }

  pk_st_u64( d, PK_PULL_V2_DISCRIMINATOR );
  pk_memcpy( d + PK_PULL_V2_OFF_WRITE_AUTHORITY, p->ka[PK_MO_ACC_AUTHORITY].key, 32 );
  d[PK_PULL_V2_OFF_VERIFICATION] = a->verification_level;
  u64 shift = 0;
  if( a->verification_level == PK_VERIFICATION_LEVEL_PARTIAL ) {
    d[PK_PULL_V2_OFF_NUM_SIGNATURES] = a->num_signatures;
    shift = PK_PULL_V2_PARTIAL_SHIFT;
  } else {
    d[PK_PULL_V2_LEN - 1] = 0;   /* the byte a Partial update used */
  }
  pk_memcpy( d + PK_PULL_V2_OFF_FEED_ID + shift, a->feed_id, 32 );
  pk_st_u64( d + PK_PULL_V2_OFF_PRICE + shift, (u64)a->price );
  pk_st_u64( d + PK_PULL_V2_OFF_CONF + shift, a->conf );
  pk_st_u32( d + PK_PULL_V2_OFF_EXPONENT + shift, (u32)a->exponent );
  pk_st_u64( d + PK_PULL_V2_OFF_PUBLISH_TIME + shift, (u64)publish_time );
  pk_st_u64( d + PK_PULL_V2_OFF_PREV_PUBLISH_TIME + shift, (u64)prev_publish_time );
  pk_st_u64( d + PK_PULL_V2_OFF_EMA_PRICE + shift, (u64)a->price );
  pk_st_u64( d + PK_PULL_V2_OFF_EMA_CONF + shift, a->conf );
  pk_st_u64( d + PK_PULL_V2_OFF_POSTED_SLOT + shift, pk_mo_slot( a->publish_slot, &clock ) );
  return 0;
}

/* Writes a SwitchboardDecimal (i128 mantissa as lo, hi; u32 scale) at d. */
static void
pk_mo_sb_decimal( u8 *d, u64 lo, u64 hi, u32 scale ) {
  pk_st_u64( d, lo );
  pk_st_u64( d + 8, hi );
  pk_st_u32( d + 16, scale );
}

u64
pk_mo_ix_write_switchboard_v2( SolParameters *p ) {
  PK_MO_CHECK_IX( p, WRITE_SWITCHBOARD_V2 );
  u8 *d;
  PK_MO_TRY( pk_mo_load_target( p, PK_SB_V2_LEN, &d ) );
  const pk_ix_write_switchboard_v2_args_t *a = PK_MO_ARGS( p, write_switchboard_v2 );
  SolClock clock;
  sol_get_clock_sysvar( &clock );

  pk_st_u64( d, PK_SB_V2_DISCRIMINATOR );
  pk_st_u32( d + PK_SB_V2_OFF_BATCH_SIZE, a->min_oracle_results );
  pk_st_u32( d + PK_SB_V2_OFF_MIN_ORACLE_RESULTS, a->min_oracle_results );
  pk_st_u32( d + PK_SB_V2_OFF_NUM_SUCCESS, a->num_success );
  pk_st_u32( d + PK_SB_V2_OFF_NUM_ERROR, 0 );
  d[PK_SB_V2_OFF_IS_CLOSED] = 1;
  pk_st_u64( d + PK_SB_V2_OFF_ROUND_OPEN_SLOT, pk_mo_slot( a->round_open_slot, &clock ) );
  pk_st_u64( d + PK_SB_V2_OFF_ROUND_OPEN_TS, (u64)clock.unix_timestamp );
  pk_mo_sb_decimal( d + PK_SB_V2_OFF_RESULT_MANTISSA, a->result_lo, a->result_hi, a->result_scale );
  pk_mo_sb_decimal( d + PK_SB_V2_OFF_STD_DEV_MANTISSA, a->std_dev_lo, a->std_dev_hi, a->std_dev_scale );
  pk_mo_sb_decimal( d + PK_SB_V2_OFF_MIN_RESPONSE, a->result_lo, a->result_hi, a->result_scale );
  pk_mo_sb_decimal( d + PK_SB_V2_OFF_MAX_RESPONSE, a->result_lo, a->result_hi, a->result_scale );
  return 0;
}

u64
pk_mo_ix_write_switchboard_on_demand( SolParameters *p ) {
  PK_MO_CHECK_IX( p, WRITE_SWITCHBOARD_ON_DEMAND );
  u8 *d;
  PK_MO_TRY( pk_mo_load_target( p, PK_SB_OD_LEN, &d ) );
  const pk_ix_write_switchboard_on_demand_args_t *a = PK_MO_ARGS( p, write_switchboard_on_demand );
  SolClock clock;
  sol_get_clock_sysvar( &clock );
  u64 slot = pk_mo_slot( a->slot, &clock );

  /* One sample: mean, minimum and maximum equal the value, range 0. */
  u64 *value_fields[4] = { (u64 *)( d + PK_SB_OD_OFF_VALUE ), (u64 *)( d + PK_SB_OD_OFF_MEAN ),
                           (u64 *)( d + PK_SB_OD_OFF_MIN_VALUE ), (u64 *)( d + PK_SB_OD_OFF_MAX_VALUE ) };
  for( u64 i = 0; i < 4; i++ ) {
    value_fields[i][0] = a->value_lo;
    value_fields[i][1] = a->value_hi;
  }
  *(u64 *)d = PK_SB_OD_DISCRIMINATOR;
  *(i64 *)( d + PK_SB_OD_OFF_LAST_UPDATE_TS ) = clock.unix_timestamp;
  *(u64 *)( d + PK_SB_OD_OFF_STD_DEV ) = a->std_dev_lo;
  *(u64 *)( d + PK_SB_OD_OFF_STD_DEV + 8 ) = a->std_dev_hi;
  *(u64 *)( d + PK_SB_OD_OFF_RANGE ) = 0;
  *(u64 *)( d + PK_SB_OD_OFF_RANGE + 8 ) = 0;
  d[PK_SB_OD_OFF_NUM_SAMPLES] = 1;
  *(u64 *)( d + PK_SB_OD_OFF_SLOT ) = slot;
  *(u64 *)( d + PK_SB_OD_OFF_MIN_SLOT ) = slot;
  *(u64 *)( d + PK_SB_OD_OFF_MAX_SLOT ) = slot;
  return 0;
}
