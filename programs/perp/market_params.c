/* Validation of market parameters, oracle configuration and market names, shared by market creation
   and the admin update instructions. */

#include "pk_program.h"

#define PK_MAX_TAKER_FEE_BPS 1000U
#define PK_MAX_FUNDING_PERIOD_SECS ( 7ULL * 24 * 3600 )
#define PK_MAX_STALENESS_SLOTS 216000ULL   /* one day of 400 ms slots */

static int
pk_is_zero( const u8 *b, u64 n ) {
  u8 acc = 0;
  for( u64 i = 0; i < n; i++ ) acc |= b[i];
  return acc == 0;
}

/* pk_validate_market_params returns PK_ERR_INVALID_MARKET_PARAMS unless every parameter is in range:
   positive tick and lot, minimum order a positive multiple of the lot, a positive minimum resting
   notional up to the order notional cap, a trigger fee of at most MAX_TRIGGER_FEE_QUOTE, 1 to 128 resting orders per user, a delegate band of at most
   5%, 0 < maintenance < initial <= 100%, liquidation fee below maintenance, maker rebate <= taker fee <= 10%, ratios within 100%. */
u64
pk_validate_market_params( const pk_market_params_t *m ) {
  int ok = m->tick_size > 0
        && m->lot_size > 0
        && m->min_order_size >= m->lot_size
        && m->min_order_size % m->lot_size == 0
        && m->max_open_interest >= m->min_order_size
        && m->min_order_notional > 0 && m->min_order_notional <= PK_MAX_ORDER_NOTIONAL
        && m->trigger_fee_quote <= PK_MAX_TRIGGER_FEE_QUOTE
        && m->max_orders_per_user > 0 && m->max_orders_per_user <= PK_MAX_ORDERS_PER_USER_LIMIT
        && m->delegate_price_band_bps <= PK_MAX_DELEGATE_PRICE_BAND_BPS
        && m->funding_period_secs > 0 && m->funding_period_secs <= PK_MAX_FUNDING_PERIOD_SECS
        && m->oracle_max_staleness_slots > 0 && m->oracle_max_staleness_slots <= PK_MAX_STALENESS_SLOTS
        && m->maintenance_margin_bps > 0
        && m->initial_margin_bps > m->maintenance_margin_bps
        && m->initial_margin_bps <= PK_BPS
        && m->liquidation_fee_bps < m->maintenance_margin_bps
        && m->insurance_share_bps <= PK_BPS
        && m->maker_rebate_bps <= m->taker_fee_bps
        && m->taker_fee_bps <= PK_MAX_TAKER_FEE_BPS
        && m->oracle_max_confidence_bps > 0 && m->oracle_max_confidence_bps <= PK_BPS
        && m->oracle_max_divergence_bps > 0 && m->oracle_max_divergence_bps <= PK_BPS
        && m->max_funding_rate_bps > 0 && m->max_funding_rate_bps <= PK_BPS
        && pk_is_zero( m->padding, sizeof( m->padding ) );
  if( PK_UNLIKELY( !ok ) ) PK_FAIL( PK_ERR_INVALID_MARKET_PARAMS, PK_NO_ACCOUNT );
  return 0;
}

static int
pk_oracle_source_ok( u8 kind, const SolPubkey *account, const SolPubkey *program, const u8 feed_id[32] ) {
  if( kind == PK_ORACLE_KIND_NONE || kind >= PK_ORACLE_KIND_COUNT ) return 0;
  if( pk_pubkey_is_zero( account ) || pk_pubkey_is_zero( program ) ) return 0;
  /* Only a Pyth PriceUpdateV2 account names its feed; every other kind must leave it zero. */
  return ( kind == PK_ORACLE_KIND_PYTH_PULL_V2 ) != pk_is_zero( feed_id, 32 );
}

/* pk_validate_oracle_config returns PK_ERR_INVALID_ORACLE_CONFIG unless the primary source is complete,
   the fallback is either complete and distinct from the primary or entirely absent (kind None, zero
   keys), and the padding is zero. */
u64
pk_validate_oracle_config( const pk_oracle_config_t *o ) {
  int ok = pk_oracle_source_ok( o->primary_kind, &o->primary, &o->primary_program, o->primary_feed_id )
        && pk_is_zero( o->padding, sizeof( o->padding ) );
  if( ok && o->fallback_kind == PK_ORACLE_KIND_NONE ) {
    ok = pk_pubkey_is_zero( &o->fallback ) && pk_pubkey_is_zero( &o->fallback_program )
      && pk_is_zero( o->fallback_feed_id, 32 );
  } else if( ok ) {
    ok = pk_oracle_source_ok( o->fallback_kind, &o->fallback, &o->fallback_program, o->fallback_feed_id )
      && !pk_pubkey_eq( &o->fallback, &o->primary );
  }
  if( PK_UNLIKELY( !ok ) ) PK_FAIL( PK_ERR_INVALID_ORACLE_CONFIG, PK_NO_ACCOUNT );
  return 0;
}

/* pk_validate_market_name returns PK_ERR_INVALID_MARKET_NAME unless the name is 1 to 16 printable
   ASCII characters followed only by zero bytes. */
u64
pk_validate_market_name( const u8 name[16] ) {
  u64 len = 0;
  while( len < 16 && name[len] != 0 ) {
    if( name[len] < 0x21 || name[len] > 0x7e ) PK_FAIL( PK_ERR_INVALID_MARKET_NAME, PK_NO_ACCOUNT );
    len++;
  }
  if( PK_UNLIKELY( len == 0 || !pk_is_zero( name + len, 16 - len ) ) ) PK_FAIL( PK_ERR_INVALID_MARKET_NAME, PK_NO_ACCOUNT );
  return 0;
}
