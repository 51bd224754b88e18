/* Generated from idl/perp.json by localnet/codegen/c_header.py. Do not edit: edit the IDL
   and run `perpkeep codegen`. */
#ifndef HEADER_pk_programs_perp_include_perp_idl_h
#define HEADER_pk_programs_perp_include_perp_idl_h

#include "pk_sol.h"

#define PK_IDL_NAME "perp"
#define PK_IDL_VERSION "0.1.0"

/* Constants */
#define PK_PAUSED_DEPOSITS 1ULL
#define PK_PAUSED_WITHDRAWALS 2ULL
#define PK_PAUSED_ALL_KNOWN 3ULL
#define PK_USER_FLAG_BEING_LIQUIDATED 1ULL
#define PK_USER_FLAG_BANKRUPT 2ULL
#define PK_MAX_PERP_POSITIONS 8ULL
#define PK_QUEUE_EVENT_FILL 0ULL  /* FillRecord.kind of a maker fill. */
#define PK_QUEUE_EVENT_OUT 1ULL  /* FillRecord.kind of an order that left the book without its owner's account (evicted from a full side, or expired): consume_events releases its owner's reservation. */
#define PK_MAX_ORDERS_PER_USER_LIMIT 128ULL  /* Largest MarketParams.maxOrdersPerUser: both sides of a book (64 orders each). */
#define PK_MAX_DELEGATE_PRICE_BAND_BPS 500ULL  /* Largest MarketParams.delegatePriceBandBps. */
#define PK_TRIGGER_ORDER_SLOTS 16ULL  /* Trigger orders one TriggerOrders account holds. */
#define PK_MAX_TRIGGER_FEE_QUOTE 10000000ULL  /* Largest MarketParams.triggerFeeQuote (quote 1e6): 10 quote. */
#define PK_COLLATERAL_DECIMALS 6ULL
#define PK_QUOTE_PRECISION 1000000ULL  /* One unit of quote (collateral): 10^COLLATERAL_DECIMALS. */
#define PK_PRICE_PRECISION 1000000ULL  /* Prices are quote per base at this precision. */
#define PK_PRICE_DECIMALS 6ULL  /* Decimals of a price: PRICE_PRECISION is 10^PRICE_DECIMALS (oracle readings are normalised to it). */
#define PK_BASE_PRECISION 1000000000ULL  /* One unit of base asset. */
#define PK_CUMULATIVE_FUNDING_PRECISION 1000000000ULL  /* Funding rates and cumulative funding are quote per base at this precision. */
#define PK_FUNDING_PRECISION 1000000000000ULL  /* Base times cumulative funding over this is quote: BASE_PRECISION * CUMULATIVE_FUNDING_PRECISION / QUOTE_PRECISION. */
#define PK_BPS 10000ULL  /* Ratios are in basis points: this many make one. */
#define PK_LIQUIDATION_TARGET_BPS 15000ULL  /* A liquidation restores equity to this share of the maintenance requirement (BPS = maintenance itself). */
#define PK_LIQUIDATION_ROUNDING_SLACK 4ULL  /* Quote units the integer rounding of one liquidation transfer can cost the user's margin beyond its estimate. */
#define PK_PREMIUM_CLAMP_DIVISOR 10ULL  /* The book premium over the index is clamped to +-index / PREMIUM_CLAMP_DIVISOR. */
#define PK_REVENUE_SETTLE_INTERVAL_SECS 3600ULL
#define PK_INSURANCE_DEAD_SHARES 1000ULL  /* Shares of the insurance fund nobody can redeem, minted from the first stakes of each share epoch. */
#define PK_INSURANCE_WIPEOUT_SHARES_PER_UNIT 1000ULL  /* A fund with more shares than this many per token of its vault (each worth under 1/this of its 1:1 start) is wiped out: the next stake starts a new share epoch. */
#define PK_INSURANCE_REMOVAL_WINDOW_SECS 172800ULL  /* A removal request can be executed during this long after its cooldown; later it must be made again. */
#define PK_BANKRUPTCY_REMOVAL_LOCK_SECS 86400ULL  /* Insurance removals wait while a bankruptcy is pending, at most this long after the last bankrupting liquidation. */

/* Enums (Borsh: one u8 tag) */
#define PK_MARKET_STATUS_ACTIVE 0
#define PK_MARKET_STATUS_REDUCE_ONLY 1
#define PK_MARKET_STATUS_PAUSED 2
#define PK_MARKET_STATUS_SETTLEMENT 3
#define PK_MARKET_STATUS_DELISTED 4
#define PK_MARKET_STATUS_COUNT 5

#define PK_ORACLE_KIND_NONE 0
#define PK_ORACLE_KIND_PYTH_LEGACY 1
#define PK_ORACLE_KIND_PYTH_PULL_V2 2
#define PK_ORACLE_KIND_SWITCHBOARD_V2 3
#define PK_ORACLE_KIND_SWITCHBOARD_ON_DEMAND 4
#define PK_ORACLE_KIND_COUNT 5

#define PK_SIDE_BID 0
#define PK_SIDE_ASK 1
#define PK_SIDE_COUNT 2

#define PK_ORDER_TYPE_LIMIT 0
#define PK_ORDER_TYPE_MARKET 1
#define PK_ORDER_TYPE_POST_ONLY 2
#define PK_ORDER_TYPE_IMMEDIATE_OR_CANCEL 3
#define PK_ORDER_TYPE_COUNT 4

#define PK_TRIGGER_KIND_STOP_MARKET 0
#define PK_TRIGGER_KIND_STOP_LIMIT 1
#define PK_TRIGGER_KIND_TAKE_PROFIT_MARKET 2
#define PK_TRIGGER_KIND_TAKE_PROFIT_LIMIT 3
#define PK_TRIGGER_KIND_COUNT 4

#define PK_TRIGGER_CONDITION_ABOVE 0
#define PK_TRIGGER_CONDITION_BELOW 1
#define PK_TRIGGER_CONDITION_COUNT 2

#define PK_TRIGGER_PRICE_SOURCE_MARK 0
#define PK_TRIGGER_PRICE_SOURCE_ORACLE 1
#define PK_TRIGGER_PRICE_SOURCE_COUNT 2

/* Defined types */
typedef struct {
  SolPubkey primary;
  SolPubkey primary_program;
  u8 primary_feed_id[32];
  SolPubkey fallback;
  SolPubkey fallback_program;
  u8 fallback_feed_id[32];
  u8 primary_kind;
  u8 fallback_kind;
  u8 padding[6];
} pk_oracle_config_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, primary ) == 0, "OracleConfig.primary offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, primary_program ) == 32, "OracleConfig.primaryProgram offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, primary_feed_id ) == 64, "OracleConfig.primaryFeedId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, fallback ) == 96, "OracleConfig.fallback offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, fallback_program ) == 128, "OracleConfig.fallbackProgram offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, fallback_feed_id ) == 160, "OracleConfig.fallbackFeedId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, primary_kind ) == 192, "OracleConfig.primaryKind offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, fallback_kind ) == 193, "OracleConfig.fallbackKind offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_oracle_config_t, padding ) == 194, "OracleConfig.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_oracle_config_t ) == 200, "OracleConfig size" );

typedef struct {
  u64 tick_size;
  u64 lot_size;
  u64 min_order_size;
  u64 max_open_interest;
  u64 funding_period_secs;
  u64 oracle_max_staleness_slots;
  u64 min_order_notional;
  u64 trigger_fee_quote;
  u16 initial_margin_bps;
  u16 maintenance_margin_bps;
  u16 liquidation_fee_bps;
  u16 insurance_share_bps;
  u16 taker_fee_bps;
  u16 maker_rebate_bps;
  u16 oracle_max_confidence_bps;
  u16 oracle_max_divergence_bps;
  u16 max_funding_rate_bps;
  u16 delegate_price_band_bps;
  u8 max_orders_per_user;
  u8 padding[3];
} pk_market_params_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, tick_size ) == 0, "MarketParams.tickSize offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, lot_size ) == 8, "MarketParams.lotSize offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, min_order_size ) == 16, "MarketParams.minOrderSize offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, max_open_interest ) == 24, "MarketParams.maxOpenInterest offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, funding_period_secs ) == 32, "MarketParams.fundingPeriodSecs offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, oracle_max_staleness_slots ) == 40, "MarketParams.oracleMaxStalenessSlots offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, min_order_notional ) == 48, "MarketParams.minOrderNotional offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, trigger_fee_quote ) == 56, "MarketParams.triggerFeeQuote offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, initial_margin_bps ) == 64, "MarketParams.initialMarginBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, maintenance_margin_bps ) == 66, "MarketParams.maintenanceMarginBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, liquidation_fee_bps ) == 68, "MarketParams.liquidationFeeBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, insurance_share_bps ) == 70, "MarketParams.insuranceShareBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, taker_fee_bps ) == 72, "MarketParams.takerFeeBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, maker_rebate_bps ) == 74, "MarketParams.makerRebateBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, oracle_max_confidence_bps ) == 76, "MarketParams.oracleMaxConfidenceBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, oracle_max_divergence_bps ) == 78, "MarketParams.oracleMaxDivergenceBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, max_funding_rate_bps ) == 80, "MarketParams.maxFundingRateBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, delegate_price_band_bps ) == 82, "MarketParams.delegatePriceBandBps offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, max_orders_per_user ) == 84, "MarketParams.maxOrdersPerUser offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_params_t, padding ) == 85, "MarketParams.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_market_params_t ) == 88, "MarketParams size" );

typedef struct {
  i64 base_amount;
  i64 quote_entry_amount;
  i64 last_cumulative_funding;
  u64 open_bids;
  u64 open_asks;
  i64 unsettled_pnl;
  u16 market_index;
  u8 open_orders;
  u8 padding[5];
} pk_perp_position_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, base_amount ) == 0, "PerpPosition.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, quote_entry_amount ) == 8, "PerpPosition.quoteEntryAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, last_cumulative_funding ) == 16, "PerpPosition.lastCumulativeFunding offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, open_bids ) == 24, "PerpPosition.openBids offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, open_asks ) == 32, "PerpPosition.openAsks offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, unsettled_pnl ) == 40, "PerpPosition.unsettledPnl offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, market_index ) == 48, "PerpPosition.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, open_orders ) == 50, "PerpPosition.openOrders offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_perp_position_t, padding ) == 51, "PerpPosition.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_perp_position_t ) == 56, "PerpPosition size" );

typedef struct {
  SolPubkey owner;
  u64 order_id;
  u64 client_order_id;
  u64 price;
  u64 base_amount;
  u64 expiry_slot;
} pk_resting_order_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_resting_order_t, owner ) == 0, "RestingOrder.owner offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_resting_order_t, order_id ) == 32, "RestingOrder.orderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_resting_order_t, client_order_id ) == 40, "RestingOrder.clientOrderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_resting_order_t, price ) == 48, "RestingOrder.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_resting_order_t, base_amount ) == 56, "RestingOrder.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_resting_order_t, expiry_slot ) == 64, "RestingOrder.expirySlot offset" );
PK_STATIC_ASSERT( sizeof( pk_resting_order_t ) == 72, "RestingOrder size" );

typedef struct {
  SolPubkey maker;
  u64 maker_order_id;
  u64 price;
  u64 base_amount;
  u64 maker_rebate;
  u8 maker_side;
  u8 maker_order_done;
  u8 kind;
  u8 padding[5];
} pk_fill_record_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, maker ) == 0, "FillRecord.maker offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, maker_order_id ) == 32, "FillRecord.makerOrderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, price ) == 40, "FillRecord.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, base_amount ) == 48, "FillRecord.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, maker_rebate ) == 56, "FillRecord.makerRebate offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, maker_side ) == 64, "FillRecord.makerSide offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, maker_order_done ) == 65, "FillRecord.makerOrderDone offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, kind ) == 66, "FillRecord.kind offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_fill_record_t, padding ) == 67, "FillRecord.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_fill_record_t ) == 72, "FillRecord size" );

typedef struct {
  u64 price;
  u64 base_amount;
  u64 client_order_id;
  u8 side;
  u8 order_type;
  u8 reduce_only;
  u8 padding[5];
  u64 expiry_slot;
  u64 min_fill_base;
} pk_order_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, price ) == 0, "OrderArgs.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, base_amount ) == 8, "OrderArgs.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, client_order_id ) == 16, "OrderArgs.clientOrderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, side ) == 24, "OrderArgs.side offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, order_type ) == 25, "OrderArgs.orderType offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, reduce_only ) == 26, "OrderArgs.reduceOnly offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, padding ) == 27, "OrderArgs.padding offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, expiry_slot ) == 32, "OrderArgs.expirySlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_order_args_t, min_fill_base ) == 40, "OrderArgs.minFillBase offset" );
PK_STATIC_ASSERT( sizeof( pk_order_args_t ) == 48, "OrderArgs size" );

typedef struct {
  u64 trigger_id;
  u64 trigger_price;
  u64 limit_price;
  u64 base_amount;
  u16 market_index;
  u8 side;
  u8 kind;
  u8 condition;
  u8 price_source;
  u8 reduce_only;
  u8 placed_by_delegate;
  u8 padding[8];
} pk_trigger_order_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, trigger_id ) == 0, "TriggerOrder.triggerId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, trigger_price ) == 8, "TriggerOrder.triggerPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, limit_price ) == 16, "TriggerOrder.limitPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, base_amount ) == 24, "TriggerOrder.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, market_index ) == 32, "TriggerOrder.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, side ) == 34, "TriggerOrder.side offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, kind ) == 35, "TriggerOrder.kind offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, condition ) == 36, "TriggerOrder.condition offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, price_source ) == 37, "TriggerOrder.priceSource offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, reduce_only ) == 38, "TriggerOrder.reduceOnly offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, placed_by_delegate ) == 39, "TriggerOrder.placedByDelegate offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_t, padding ) == 40, "TriggerOrder.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_trigger_order_t ) == 48, "TriggerOrder size" );

typedef struct {
  u64 trigger_price;
  u64 limit_price;
  u64 base_amount;
  u8 side;
  u8 kind;
  u8 condition;
  u8 price_source;
  u8 reduce_only;
  u8 padding[3];
} pk_trigger_order_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, trigger_price ) == 0, "TriggerOrderArgs.triggerPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, limit_price ) == 8, "TriggerOrderArgs.limitPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, base_amount ) == 16, "TriggerOrderArgs.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, side ) == 24, "TriggerOrderArgs.side offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, kind ) == 25, "TriggerOrderArgs.kind offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, condition ) == 26, "TriggerOrderArgs.condition offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, price_source ) == 27, "TriggerOrderArgs.priceSource offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, reduce_only ) == 28, "TriggerOrderArgs.reduceOnly offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_order_args_t, padding ) == 29, "TriggerOrderArgs.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_trigger_order_args_t ) == 32, "TriggerOrderArgs size" );

/* Accounts: the struct maps the whole account data, discriminator first */
typedef struct {
  u64 discriminator;
  SolPubkey admin;
  SolPubkey collateral_mint;
  SolPubkey collateral_vault;
  SolPubkey insurance_vault;
  u64 total_collateral;
  i64 last_bankruptcy_ts;
  u16 market_count;
  u16 paused_operations;
  u8 bump;
  u8 collateral_vault_bump;
  u8 insurance_vault_bump;
  u8 collateral_decimals;
  u32 bankrupt_users;
  u8 padding[4];
} pk_exchange_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, admin ) == 8, "Exchange.admin offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, collateral_mint ) == 40, "Exchange.collateralMint offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, collateral_vault ) == 72, "Exchange.collateralVault offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, insurance_vault ) == 104, "Exchange.insuranceVault offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, total_collateral ) == 136, "Exchange.totalCollateral offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, last_bankruptcy_ts ) == 144, "Exchange.lastBankruptcyTs offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, market_count ) == 152, "Exchange.marketCount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, paused_operations ) == 154, "Exchange.pausedOperations offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, bump ) == 156, "Exchange.bump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, collateral_vault_bump ) == 157, "Exchange.collateralVaultBump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, insurance_vault_bump ) == 158, "Exchange.insuranceVaultBump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, collateral_decimals ) == 159, "Exchange.collateralDecimals offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, bankrupt_users ) == 160, "Exchange.bankruptUsers offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_exchange_t, padding ) == 164, "Exchange.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_exchange_t ) == 168, "Exchange size" );

#define PK_EXCHANGE_DISCRIMINATOR 0x32683d0395dcc81eULL
#define PK_EXCHANGE_LEN 168UL

typedef struct {
  u64 discriminator;
  pk_oracle_config_t oracle;
  pk_market_params_t params;
  SolPubkey orderbook;
  SolPubkey event_queue;
  u8 name[16];
  u64 index_price;
  u64 index_price_slot;
  u64 index_confidence;
  u64 mark_price;
  i64 premium_ema;
  u64 mark_twap;
  u64 index_twap;
  i64 twap_updated_ts;
  u64 last_price_update_slot;
  i64 cumulative_funding_long;
  i64 cumulative_funding_short;
  i64 last_funding_ts;
  i64 last_funding_rate;
  u64 open_interest_long;
  u64 open_interest_short;
  u64 fee_pool;
  u64 pnl_pool;
  u64 settlement_price;
  u64 next_order_id;
  i64 last_revenue_settle_ts;
  u64 socialised_loss;
  u64 premium_order_id_limit;
  u16 market_index;
  u8 status;
  u8 bump;
  u8 oracle_source;
  u8 padding[3];
} pk_market_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, oracle ) == 8, "Market.oracle offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, params ) == 208, "Market.params offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, orderbook ) == 296, "Market.orderbook offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, event_queue ) == 328, "Market.eventQueue offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, name ) == 360, "Market.name offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, index_price ) == 376, "Market.indexPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, index_price_slot ) == 384, "Market.indexPriceSlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, index_confidence ) == 392, "Market.indexConfidence offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, mark_price ) == 400, "Market.markPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, premium_ema ) == 408, "Market.premiumEma offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, mark_twap ) == 416, "Market.markTwap offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, index_twap ) == 424, "Market.indexTwap offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, twap_updated_ts ) == 432, "Market.twapUpdatedTs offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, last_price_update_slot ) == 440, "Market.lastPriceUpdateSlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, cumulative_funding_long ) == 448, "Market.cumulativeFundingLong offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, cumulative_funding_short ) == 456, "Market.cumulativeFundingShort offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, last_funding_ts ) == 464, "Market.lastFundingTs offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, last_funding_rate ) == 472, "Market.lastFundingRate offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, open_interest_long ) == 480, "Market.openInterestLong offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, open_interest_short ) == 488, "Market.openInterestShort offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, fee_pool ) == 496, "Market.feePool offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, pnl_pool ) == 504, "Market.pnlPool offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, settlement_price ) == 512, "Market.settlementPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, next_order_id ) == 520, "Market.nextOrderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, last_revenue_settle_ts ) == 528, "Market.lastRevenueSettleTs offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, socialised_loss ) == 536, "Market.socialisedLoss offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, premium_order_id_limit ) == 544, "Market.premiumOrderIdLimit offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, market_index ) == 552, "Market.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, status ) == 554, "Market.status offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, bump ) == 555, "Market.bump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, oracle_source ) == 556, "Market.oracleSource offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_market_t, padding ) == 557, "Market.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_market_t ) == 560, "Market size" );

#define PK_MARKET_DISCRIMINATOR 0x9ac6e30037d5bedbULL
#define PK_MARKET_LEN 560UL

typedef struct {
  u64 discriminator;
  SolPubkey authority;
  SolPubkey delegate;
  u64 collateral;
  pk_perp_position_t positions[8];
  u16 sub_id;
  u8 bump;
  u8 flags;
  u8 padding[4];
} pk_user_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, authority ) == 8, "User.authority offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, delegate ) == 40, "User.delegate offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, collateral ) == 72, "User.collateral offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, positions ) == 80, "User.positions offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, sub_id ) == 528, "User.subId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, bump ) == 530, "User.bump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, flags ) == 531, "User.flags offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_user_t, padding ) == 532, "User.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_user_t ) == 536, "User size" );

#define PK_USER_DISCRIMINATOR 0xec3a97efe35f759fULL
#define PK_USER_LEN 536UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  u32 bid_count;
  u32 ask_count;
  pk_resting_order_t bids[64];
  pk_resting_order_t asks[64];
} pk_orderbook_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_orderbook_t, market ) == 8, "Orderbook.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_orderbook_t, bid_count ) == 40, "Orderbook.bidCount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_orderbook_t, ask_count ) == 44, "Orderbook.askCount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_orderbook_t, bids ) == 48, "Orderbook.bids offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_orderbook_t, asks ) == 4656, "Orderbook.asks offset" );
PK_STATIC_ASSERT( sizeof( pk_orderbook_t ) == 9264, "Orderbook size" );

#define PK_ORDERBOOK_DISCRIMINATOR 0x074845c37119222bULL
#define PK_ORDERBOOK_LEN 9264UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  u64 seq_num;
  u64 pending_bid_base;
  u64 pending_ask_base;
  u32 head;
  u32 count;
  pk_fill_record_t fills[128];
} pk_event_queue_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_queue_t, market ) == 8, "EventQueue.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_queue_t, seq_num ) == 40, "EventQueue.seqNum offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_queue_t, pending_bid_base ) == 48, "EventQueue.pendingBidBase offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_queue_t, pending_ask_base ) == 56, "EventQueue.pendingAskBase offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_queue_t, head ) == 64, "EventQueue.head offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_queue_t, count ) == 68, "EventQueue.count offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_queue_t, fills ) == 72, "EventQueue.fills offset" );
PK_STATIC_ASSERT( sizeof( pk_event_queue_t ) == 9288, "EventQueue size" );

#define PK_EVENT_QUEUE_DISCRIMINATOR 0x448d74add174d029ULL
#define PK_EVENT_QUEUE_LEN 9288UL

typedef struct {
  u64 discriminator;
  u64 total_shares;
  u64 staker_shares;
  i64 unstake_cooldown_secs;
  u64 epoch;
  u64 dead_shares;
  u8 bump;
  u8 padding[7];
} pk_insurance_fund_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_fund_t, total_shares ) == 8, "InsuranceFund.totalShares offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_fund_t, staker_shares ) == 16, "InsuranceFund.stakerShares offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_fund_t, unstake_cooldown_secs ) == 24, "InsuranceFund.unstakeCooldownSecs offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_fund_t, epoch ) == 32, "InsuranceFund.epoch offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_fund_t, dead_shares ) == 40, "InsuranceFund.deadShares offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_fund_t, bump ) == 48, "InsuranceFund.bump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_fund_t, padding ) == 49, "InsuranceFund.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_insurance_fund_t ) == 56, "InsuranceFund size" );

#define PK_INSURANCE_FUND_DISCRIMINATOR 0x938e106657aa862bULL
#define PK_INSURANCE_FUND_LEN 56UL

typedef struct {
  u64 discriminator;
  SolPubkey authority;
  u64 shares;
  u64 requested_shares;
  i64 request_ts;
  u64 epoch;
  u8 bump;
  u8 padding[7];
} pk_insurance_stake_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_stake_t, authority ) == 8, "InsuranceStake.authority offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_stake_t, shares ) == 40, "InsuranceStake.shares offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_stake_t, requested_shares ) == 48, "InsuranceStake.requestedShares offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_stake_t, request_ts ) == 56, "InsuranceStake.requestTs offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_stake_t, epoch ) == 64, "InsuranceStake.epoch offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_stake_t, bump ) == 72, "InsuranceStake.bump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_insurance_stake_t, padding ) == 73, "InsuranceStake.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_insurance_stake_t ) == 80, "InsuranceStake size" );

#define PK_INSURANCE_STAKE_DISCRIMINATOR 0xa12dbf7ca0e96e6eULL
#define PK_INSURANCE_STAKE_LEN 80UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 next_trigger_id;
  u8 count;
  u8 bump;
  u8 padding[6];
  pk_trigger_order_t orders[16];
} pk_trigger_orders_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_orders_t, user ) == 8, "TriggerOrders.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_orders_t, next_trigger_id ) == 40, "TriggerOrders.nextTriggerId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_orders_t, count ) == 48, "TriggerOrders.count offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_orders_t, bump ) == 49, "TriggerOrders.bump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_orders_t, padding ) == 50, "TriggerOrders.padding offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_trigger_orders_t, orders ) == 56, "TriggerOrders.orders offset" );
PK_STATIC_ASSERT( sizeof( pk_trigger_orders_t ) == 824, "TriggerOrders size" );

#define PK_TRIGGER_ORDERS_DISCRIMINATOR 0x1bd52ebf0b1def90ULL
#define PK_TRIGGER_ORDERS_LEN 824UL

/* Instructions */
#define PK_IX_INITIALIZE_EXCHANGE_DISCRIMINATOR 0x1360cfe4a67469e0ULL
#define PK_IX_INITIALIZE_EXCHANGE_ACCOUNTS 8UL
#define PK_IX_INITIALIZE_EXCHANGE_SIGNER_MASK 0x1ULL
#define PK_IX_INITIALIZE_EXCHANGE_WRITABLE_MASK 0x1bULL
#define PK_IX_INITIALIZE_EXCHANGE_ACC_ADMIN 0
#define PK_IX_INITIALIZE_EXCHANGE_ACC_EXCHANGE 1
#define PK_IX_INITIALIZE_EXCHANGE_ACC_COLLATERAL_MINT 2
#define PK_IX_INITIALIZE_EXCHANGE_ACC_COLLATERAL_VAULT 3
#define PK_IX_INITIALIZE_EXCHANGE_ACC_INSURANCE_VAULT 4
#define PK_IX_INITIALIZE_EXCHANGE_ACC_TOKEN_PROGRAM 5
#define PK_IX_INITIALIZE_EXCHANGE_ACC_SYSTEM_PROGRAM 6
#define PK_IX_INITIALIZE_EXCHANGE_ACC_PROGRAM_DATA 7

#define PK_IX_INITIALIZE_EXCHANGE_DATA_LEN 8UL

#define PK_IX_SET_PAUSED_OPERATIONS_DISCRIMINATOR 0x003134abd3b09b32ULL
#define PK_IX_SET_PAUSED_OPERATIONS_ACCOUNTS 2UL
#define PK_IX_SET_PAUSED_OPERATIONS_SIGNER_MASK 0x1ULL
#define PK_IX_SET_PAUSED_OPERATIONS_WRITABLE_MASK 0x2ULL
#define PK_IX_SET_PAUSED_OPERATIONS_ACC_ADMIN 0
#define PK_IX_SET_PAUSED_OPERATIONS_ACC_EXCHANGE 1
typedef struct {
  u16 paused_operations;
} pk_ix_set_paused_operations_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_set_paused_operations_args_t, paused_operations ) == 0, "setPausedOperations.args.pausedOperations offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_set_paused_operations_args_t ) == 2, "setPausedOperations.args size" );

#define PK_IX_SET_PAUSED_OPERATIONS_DATA_LEN 10UL

#define PK_IX_TRANSFER_ADMIN_DISCRIMINATOR 0x9c6f0ae46a42f22aULL
#define PK_IX_TRANSFER_ADMIN_ACCOUNTS 2UL
#define PK_IX_TRANSFER_ADMIN_SIGNER_MASK 0x1ULL
#define PK_IX_TRANSFER_ADMIN_WRITABLE_MASK 0x2ULL
#define PK_IX_TRANSFER_ADMIN_ACC_ADMIN 0
#define PK_IX_TRANSFER_ADMIN_ACC_EXCHANGE 1
typedef struct {
  SolPubkey new_admin;
} pk_ix_transfer_admin_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_transfer_admin_args_t, new_admin ) == 0, "transferAdmin.args.newAdmin offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_transfer_admin_args_t ) == 32, "transferAdmin.args size" );

#define PK_IX_TRANSFER_ADMIN_DATA_LEN 40UL

#define PK_IX_INITIALIZE_MARKET_DISCRIMINATOR 0xcbaa309bc1bd2323ULL
#define PK_IX_INITIALIZE_MARKET_ACCOUNTS 6UL
#define PK_IX_INITIALIZE_MARKET_SIGNER_MASK 0x1ULL
#define PK_IX_INITIALIZE_MARKET_WRITABLE_MASK 0x1fULL
#define PK_IX_INITIALIZE_MARKET_ACC_ADMIN 0
#define PK_IX_INITIALIZE_MARKET_ACC_EXCHANGE 1
#define PK_IX_INITIALIZE_MARKET_ACC_MARKET 2
#define PK_IX_INITIALIZE_MARKET_ACC_ORDERBOOK 3
#define PK_IX_INITIALIZE_MARKET_ACC_EVENT_QUEUE 4
#define PK_IX_INITIALIZE_MARKET_ACC_SYSTEM_PROGRAM 5
typedef struct {
  pk_oracle_config_t oracle;
  pk_market_params_t params;
  u8 name[16];
  u16 market_index;
} pk_ix_initialize_market_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_initialize_market_args_t, oracle ) == 0, "initializeMarket.args.oracle offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_initialize_market_args_t, params ) == 200, "initializeMarket.args.params offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_initialize_market_args_t, name ) == 288, "initializeMarket.args.name offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_initialize_market_args_t, market_index ) == 304, "initializeMarket.args.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_initialize_market_args_t ) == 312, "initializeMarket.args size" );

#define PK_IX_INITIALIZE_MARKET_DATA_LEN 314UL

#define PK_IX_UPDATE_MARKET_PARAMS_DISCRIMINATOR 0x525caecdbfca7546ULL
#define PK_IX_UPDATE_MARKET_PARAMS_ACCOUNTS 3UL
#define PK_IX_UPDATE_MARKET_PARAMS_SIGNER_MASK 0x1ULL
#define PK_IX_UPDATE_MARKET_PARAMS_WRITABLE_MASK 0x4ULL
#define PK_IX_UPDATE_MARKET_PARAMS_ACC_ADMIN 0
#define PK_IX_UPDATE_MARKET_PARAMS_ACC_EXCHANGE 1
#define PK_IX_UPDATE_MARKET_PARAMS_ACC_MARKET 2
typedef struct {
  pk_market_params_t params;
} pk_ix_update_market_params_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_update_market_params_args_t, params ) == 0, "updateMarketParams.args.params offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_update_market_params_args_t ) == 88, "updateMarketParams.args size" );

#define PK_IX_UPDATE_MARKET_PARAMS_DATA_LEN 96UL

#define PK_IX_UPDATE_MARKET_ORACLE_DISCRIMINATOR 0x770f05e35c72c8c3ULL
#define PK_IX_UPDATE_MARKET_ORACLE_ACCOUNTS 3UL
#define PK_IX_UPDATE_MARKET_ORACLE_SIGNER_MASK 0x1ULL
#define PK_IX_UPDATE_MARKET_ORACLE_WRITABLE_MASK 0x4ULL
#define PK_IX_UPDATE_MARKET_ORACLE_ACC_ADMIN 0
#define PK_IX_UPDATE_MARKET_ORACLE_ACC_EXCHANGE 1
#define PK_IX_UPDATE_MARKET_ORACLE_ACC_MARKET 2
typedef struct {
  pk_oracle_config_t oracle;
} pk_ix_update_market_oracle_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_update_market_oracle_args_t, oracle ) == 0, "updateMarketOracle.args.oracle offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_update_market_oracle_args_t ) == 200, "updateMarketOracle.args size" );

#define PK_IX_UPDATE_MARKET_ORACLE_DATA_LEN 208UL

#define PK_IX_SET_MARKET_STATUS_DISCRIMINATOR 0xb69b8dc86b53af65ULL
#define PK_IX_SET_MARKET_STATUS_ACCOUNTS 3UL
#define PK_IX_SET_MARKET_STATUS_SIGNER_MASK 0x1ULL
#define PK_IX_SET_MARKET_STATUS_WRITABLE_MASK 0x4ULL
#define PK_IX_SET_MARKET_STATUS_ACC_ADMIN 0
#define PK_IX_SET_MARKET_STATUS_ACC_EXCHANGE 1
#define PK_IX_SET_MARKET_STATUS_ACC_MARKET 2
typedef struct {
  u8 status;
} pk_ix_set_market_status_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_set_market_status_args_t, status ) == 0, "setMarketStatus.args.status offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_set_market_status_args_t ) == 1, "setMarketStatus.args size" );

#define PK_IX_SET_MARKET_STATUS_DATA_LEN 9UL

#define PK_IX_INITIALIZE_USER_DISCRIMINATOR 0xfe267a3cfab9116fULL
#define PK_IX_INITIALIZE_USER_ACCOUNTS 4UL
#define PK_IX_INITIALIZE_USER_SIGNER_MASK 0x1ULL
#define PK_IX_INITIALIZE_USER_WRITABLE_MASK 0x5ULL
#define PK_IX_INITIALIZE_USER_ACC_AUTHORITY 0
#define PK_IX_INITIALIZE_USER_ACC_EXCHANGE 1
#define PK_IX_INITIALIZE_USER_ACC_USER 2
#define PK_IX_INITIALIZE_USER_ACC_SYSTEM_PROGRAM 3
typedef struct {
  SolPubkey delegate;
  u16 sub_id;
} pk_ix_initialize_user_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_initialize_user_args_t, delegate ) == 0, "initializeUser.args.delegate offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_initialize_user_args_t, sub_id ) == 32, "initializeUser.args.subId offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_initialize_user_args_t ) == 40, "initializeUser.args size" );

#define PK_IX_INITIALIZE_USER_DATA_LEN 42UL

#define PK_IX_SET_USER_DELEGATE_DISCRIMINATOR 0x713bb18c4628e0f9ULL
#define PK_IX_SET_USER_DELEGATE_ACCOUNTS 2UL
#define PK_IX_SET_USER_DELEGATE_SIGNER_MASK 0x1ULL
#define PK_IX_SET_USER_DELEGATE_WRITABLE_MASK 0x2ULL
#define PK_IX_SET_USER_DELEGATE_ACC_AUTHORITY 0
#define PK_IX_SET_USER_DELEGATE_ACC_USER 1
typedef struct {
  SolPubkey delegate;
} pk_ix_set_user_delegate_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_set_user_delegate_args_t, delegate ) == 0, "setUserDelegate.args.delegate offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_set_user_delegate_args_t ) == 32, "setUserDelegate.args size" );

#define PK_IX_SET_USER_DELEGATE_DATA_LEN 40UL

#define PK_IX_DEPOSIT_DISCRIMINATOR 0xb6f2e15289c623f2ULL
#define PK_IX_DEPOSIT_ACCOUNTS 6UL
#define PK_IX_DEPOSIT_SIGNER_MASK 0x1ULL
#define PK_IX_DEPOSIT_WRITABLE_MASK 0x1eULL
#define PK_IX_DEPOSIT_ACC_AUTHORITY 0
#define PK_IX_DEPOSIT_ACC_EXCHANGE 1
#define PK_IX_DEPOSIT_ACC_USER 2
#define PK_IX_DEPOSIT_ACC_USER_TOKEN_ACCOUNT 3
#define PK_IX_DEPOSIT_ACC_COLLATERAL_VAULT 4
#define PK_IX_DEPOSIT_ACC_TOKEN_PROGRAM 5
typedef struct {
  u64 amount;
} pk_ix_deposit_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_deposit_args_t, amount ) == 0, "deposit.args.amount offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_deposit_args_t ) == 8, "deposit.args size" );

#define PK_IX_DEPOSIT_DATA_LEN 16UL

#define PK_IX_WITHDRAW_DISCRIMINATOR 0x22a16d949c4612b7ULL
#define PK_IX_WITHDRAW_ACCOUNTS 6UL
#define PK_IX_WITHDRAW_SIGNER_MASK 0x1ULL
#define PK_IX_WITHDRAW_WRITABLE_MASK 0x1eULL
#define PK_IX_WITHDRAW_ACC_AUTHORITY 0
#define PK_IX_WITHDRAW_ACC_EXCHANGE 1
#define PK_IX_WITHDRAW_ACC_USER 2
#define PK_IX_WITHDRAW_ACC_COLLATERAL_VAULT 3
#define PK_IX_WITHDRAW_ACC_USER_TOKEN_ACCOUNT 4
#define PK_IX_WITHDRAW_ACC_TOKEN_PROGRAM 5
typedef struct {
  u64 amount;
} pk_ix_withdraw_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_withdraw_args_t, amount ) == 0, "withdraw.args.amount offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_withdraw_args_t ) == 8, "withdraw.args size" );

#define PK_IX_WITHDRAW_DATA_LEN 16UL

#define PK_IX_PLACE_ORDER_DISCRIMINATOR 0x6a60826daf9bc233ULL
#define PK_IX_PLACE_ORDER_ACCOUNTS 5UL
#define PK_IX_PLACE_ORDER_SIGNER_MASK 0x1ULL
#define PK_IX_PLACE_ORDER_WRITABLE_MASK 0x1eULL
#define PK_IX_PLACE_ORDER_ACC_SIGNER 0
#define PK_IX_PLACE_ORDER_ACC_USER 1
#define PK_IX_PLACE_ORDER_ACC_MARKET 2
#define PK_IX_PLACE_ORDER_ACC_ORDERBOOK 3
#define PK_IX_PLACE_ORDER_ACC_EVENT_QUEUE 4
typedef struct {
  pk_order_args_t order;
} pk_ix_place_order_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_place_order_args_t, order ) == 0, "placeOrder.args.order offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_place_order_args_t ) == 48, "placeOrder.args size" );

#define PK_IX_PLACE_ORDER_DATA_LEN 56UL

#define PK_IX_CANCEL_ORDER_DISCRIMINATOR 0x84df3108f0ed815fULL
#define PK_IX_CANCEL_ORDER_ACCOUNTS 4UL
#define PK_IX_CANCEL_ORDER_SIGNER_MASK 0x1ULL
#define PK_IX_CANCEL_ORDER_WRITABLE_MASK 0xaULL
#define PK_IX_CANCEL_ORDER_ACC_SIGNER 0
#define PK_IX_CANCEL_ORDER_ACC_USER 1
#define PK_IX_CANCEL_ORDER_ACC_MARKET 2
#define PK_IX_CANCEL_ORDER_ACC_ORDERBOOK 3
typedef struct {
  u64 order_id;
} pk_ix_cancel_order_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_cancel_order_args_t, order_id ) == 0, "cancelOrder.args.orderId offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_cancel_order_args_t ) == 8, "cancelOrder.args size" );

#define PK_IX_CANCEL_ORDER_DATA_LEN 16UL

#define PK_IX_CANCEL_ALL_ORDERS_DISCRIMINATOR 0x8fa06411abf353c4ULL
#define PK_IX_CANCEL_ALL_ORDERS_ACCOUNTS 4UL
#define PK_IX_CANCEL_ALL_ORDERS_SIGNER_MASK 0x1ULL
#define PK_IX_CANCEL_ALL_ORDERS_WRITABLE_MASK 0xaULL
#define PK_IX_CANCEL_ALL_ORDERS_ACC_SIGNER 0
#define PK_IX_CANCEL_ALL_ORDERS_ACC_USER 1
#define PK_IX_CANCEL_ALL_ORDERS_ACC_MARKET 2
#define PK_IX_CANCEL_ALL_ORDERS_ACC_ORDERBOOK 3

#define PK_IX_CANCEL_ALL_ORDERS_DATA_LEN 8UL

#define PK_IX_CONSUME_EVENTS_DISCRIMINATOR 0xc93f2f1f34b191ddULL
#define PK_IX_CONSUME_EVENTS_ACCOUNTS 2UL
#define PK_IX_CONSUME_EVENTS_SIGNER_MASK 0x0ULL
#define PK_IX_CONSUME_EVENTS_WRITABLE_MASK 0x3ULL
#define PK_IX_CONSUME_EVENTS_ACC_MARKET 0
#define PK_IX_CONSUME_EVENTS_ACC_EVENT_QUEUE 1
typedef struct {
  u16 limit;
} pk_ix_consume_events_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_consume_events_args_t, limit ) == 0, "consumeEvents.args.limit offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_consume_events_args_t ) == 2, "consumeEvents.args size" );

#define PK_IX_CONSUME_EVENTS_DATA_LEN 10UL

#define PK_IX_PRUNE_EXPIRED_ORDERS_DISCRIMINATOR 0xe431c17a7a73e1e2ULL
#define PK_IX_PRUNE_EXPIRED_ORDERS_ACCOUNTS 3UL
#define PK_IX_PRUNE_EXPIRED_ORDERS_SIGNER_MASK 0x0ULL
#define PK_IX_PRUNE_EXPIRED_ORDERS_WRITABLE_MASK 0x6ULL
#define PK_IX_PRUNE_EXPIRED_ORDERS_ACC_MARKET 0
#define PK_IX_PRUNE_EXPIRED_ORDERS_ACC_ORDERBOOK 1
#define PK_IX_PRUNE_EXPIRED_ORDERS_ACC_EVENT_QUEUE 2
typedef struct {
  u16 limit;
} pk_ix_prune_expired_orders_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_prune_expired_orders_args_t, limit ) == 0, "pruneExpiredOrders.args.limit offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_prune_expired_orders_args_t ) == 2, "pruneExpiredOrders.args size" );

#define PK_IX_PRUNE_EXPIRED_ORDERS_DATA_LEN 10UL

#define PK_IX_UPDATE_PRICES_DISCRIMINATOR 0xa0121a6a88eaa13eULL
#define PK_IX_UPDATE_PRICES_ACCOUNTS 4UL
#define PK_IX_UPDATE_PRICES_SIGNER_MASK 0x0ULL
#define PK_IX_UPDATE_PRICES_WRITABLE_MASK 0x1ULL
#define PK_IX_UPDATE_PRICES_ACC_MARKET 0
#define PK_IX_UPDATE_PRICES_ACC_ORDERBOOK 1
#define PK_IX_UPDATE_PRICES_ACC_ORACLE_PRIMARY 2
#define PK_IX_UPDATE_PRICES_ACC_ORACLE_FALLBACK 3

#define PK_IX_UPDATE_PRICES_DATA_LEN 8UL

#define PK_IX_UPDATE_FUNDING_DISCRIMINATOR 0x585e514b460942e0ULL
#define PK_IX_UPDATE_FUNDING_ACCOUNTS 2UL
#define PK_IX_UPDATE_FUNDING_SIGNER_MASK 0x0ULL
#define PK_IX_UPDATE_FUNDING_WRITABLE_MASK 0x1ULL
#define PK_IX_UPDATE_FUNDING_ACC_MARKET 0
#define PK_IX_UPDATE_FUNDING_ACC_EVENT_QUEUE 1

#define PK_IX_UPDATE_FUNDING_DATA_LEN 8UL

#define PK_IX_SETTLE_FUNDING_DISCRIMINATOR 0x5785e4c7a10cfb0bULL
#define PK_IX_SETTLE_FUNDING_ACCOUNTS 1UL
#define PK_IX_SETTLE_FUNDING_SIGNER_MASK 0x0ULL
#define PK_IX_SETTLE_FUNDING_WRITABLE_MASK 0x1ULL
#define PK_IX_SETTLE_FUNDING_ACC_USER 0

#define PK_IX_SETTLE_FUNDING_DATA_LEN 8UL

#define PK_IX_SETTLE_PNL_DISCRIMINATOR 0x99985f0f2dea3d2bULL
#define PK_IX_SETTLE_PNL_ACCOUNTS 2UL
#define PK_IX_SETTLE_PNL_SIGNER_MASK 0x0ULL
#define PK_IX_SETTLE_PNL_WRITABLE_MASK 0x3ULL
#define PK_IX_SETTLE_PNL_ACC_USER 0
#define PK_IX_SETTLE_PNL_ACC_MARKET 1

#define PK_IX_SETTLE_PNL_DATA_LEN 8UL

#define PK_IX_LIQUIDATE_PERP_DISCRIMINATOR 0x028b12bff777234bULL
#define PK_IX_LIQUIDATE_PERP_ACCOUNTS 6UL
#define PK_IX_LIQUIDATE_PERP_SIGNER_MASK 0x1ULL
#define PK_IX_LIQUIDATE_PERP_WRITABLE_MASK 0x3eULL
#define PK_IX_LIQUIDATE_PERP_ACC_LIQUIDATOR 0
#define PK_IX_LIQUIDATE_PERP_ACC_LIQUIDATOR_USER 1
#define PK_IX_LIQUIDATE_PERP_ACC_USER 2
#define PK_IX_LIQUIDATE_PERP_ACC_MARKET 3
#define PK_IX_LIQUIDATE_PERP_ACC_ORDERBOOK 4
#define PK_IX_LIQUIDATE_PERP_ACC_EXCHANGE 5
typedef struct {
  u64 max_base_amount;
} pk_ix_liquidate_perp_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_liquidate_perp_args_t, max_base_amount ) == 0, "liquidatePerp.args.maxBaseAmount offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_liquidate_perp_args_t ) == 8, "liquidatePerp.args size" );

#define PK_IX_LIQUIDATE_PERP_DATA_LEN 16UL

#define PK_IX_RESOLVE_BANKRUPTCY_DISCRIMINATOR 0xf82313661dbbfd52ULL
#define PK_IX_RESOLVE_BANKRUPTCY_ACCOUNTS 7UL
#define PK_IX_RESOLVE_BANKRUPTCY_SIGNER_MASK 0x0ULL
#define PK_IX_RESOLVE_BANKRUPTCY_WRITABLE_MASK 0x37ULL
#define PK_IX_RESOLVE_BANKRUPTCY_ACC_USER 0
#define PK_IX_RESOLVE_BANKRUPTCY_ACC_EXCHANGE 1
#define PK_IX_RESOLVE_BANKRUPTCY_ACC_MARKET 2
#define PK_IX_RESOLVE_BANKRUPTCY_ACC_EVENT_QUEUE 3
#define PK_IX_RESOLVE_BANKRUPTCY_ACC_INSURANCE_VAULT 4
#define PK_IX_RESOLVE_BANKRUPTCY_ACC_COLLATERAL_VAULT 5
#define PK_IX_RESOLVE_BANKRUPTCY_ACC_TOKEN_PROGRAM 6

#define PK_IX_RESOLVE_BANKRUPTCY_DATA_LEN 8UL

#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_DISCRIMINATOR 0x2be51badaa75c06cULL
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_ACCOUNTS 6UL
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_SIGNER_MASK 0x0ULL
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_WRITABLE_MASK 0x1bULL
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_ACC_EXCHANGE 0
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_ACC_MARKET 1
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_ACC_EVENT_QUEUE 2
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_ACC_COLLATERAL_VAULT 3
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_ACC_INSURANCE_VAULT 4
#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_ACC_TOKEN_PROGRAM 5

#define PK_IX_SETTLE_REVENUE_TO_INSURANCE_DATA_LEN 8UL

#define PK_IX_SETTLE_MARKET_DISCRIMINATOR 0xd99006a6d85f99c1ULL
#define PK_IX_SETTLE_MARKET_ACCOUNTS 3UL
#define PK_IX_SETTLE_MARKET_SIGNER_MASK 0x1ULL
#define PK_IX_SETTLE_MARKET_WRITABLE_MASK 0x4ULL
#define PK_IX_SETTLE_MARKET_ACC_ADMIN 0
#define PK_IX_SETTLE_MARKET_ACC_EXCHANGE 1
#define PK_IX_SETTLE_MARKET_ACC_MARKET 2
typedef struct {
  u64 settlement_price;
} pk_ix_settle_market_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_settle_market_args_t, settlement_price ) == 0, "settleMarket.args.settlementPrice offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_settle_market_args_t ) == 8, "settleMarket.args size" );

#define PK_IX_SETTLE_MARKET_DATA_LEN 16UL

#define PK_IX_SETTLE_EXPIRED_POSITION_DISCRIMINATOR 0xa33baa581ea68a34ULL
#define PK_IX_SETTLE_EXPIRED_POSITION_ACCOUNTS 3UL
#define PK_IX_SETTLE_EXPIRED_POSITION_SIGNER_MASK 0x0ULL
#define PK_IX_SETTLE_EXPIRED_POSITION_WRITABLE_MASK 0x7ULL
#define PK_IX_SETTLE_EXPIRED_POSITION_ACC_USER 0
#define PK_IX_SETTLE_EXPIRED_POSITION_ACC_MARKET 1
#define PK_IX_SETTLE_EXPIRED_POSITION_ACC_ORDERBOOK 2

#define PK_IX_SETTLE_EXPIRED_POSITION_DATA_LEN 8UL

#define PK_IX_INITIALIZE_INSURANCE_FUND_DISCRIMINATOR 0x0c6c1c325727ef02ULL
#define PK_IX_INITIALIZE_INSURANCE_FUND_ACCOUNTS 5UL
#define PK_IX_INITIALIZE_INSURANCE_FUND_SIGNER_MASK 0x1ULL
#define PK_IX_INITIALIZE_INSURANCE_FUND_WRITABLE_MASK 0x5ULL
#define PK_IX_INITIALIZE_INSURANCE_FUND_ACC_ADMIN 0
#define PK_IX_INITIALIZE_INSURANCE_FUND_ACC_EXCHANGE 1
#define PK_IX_INITIALIZE_INSURANCE_FUND_ACC_INSURANCE_FUND 2
#define PK_IX_INITIALIZE_INSURANCE_FUND_ACC_INSURANCE_VAULT 3
#define PK_IX_INITIALIZE_INSURANCE_FUND_ACC_SYSTEM_PROGRAM 4
typedef struct {
  i64 unstake_cooldown_secs;
} pk_ix_initialize_insurance_fund_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_initialize_insurance_fund_args_t, unstake_cooldown_secs ) == 0, "initializeInsuranceFund.args.unstakeCooldownSecs offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_initialize_insurance_fund_args_t ) == 8, "initializeInsuranceFund.args size" );

#define PK_IX_INITIALIZE_INSURANCE_FUND_DATA_LEN 16UL

#define PK_IX_ADD_INSURANCE_STAKE_DISCRIMINATOR 0x5c599ca9b1e1507eULL
#define PK_IX_ADD_INSURANCE_STAKE_ACCOUNTS 8UL
#define PK_IX_ADD_INSURANCE_STAKE_SIGNER_MASK 0x1ULL
#define PK_IX_ADD_INSURANCE_STAKE_WRITABLE_MASK 0x3dULL
#define PK_IX_ADD_INSURANCE_STAKE_ACC_AUTHORITY 0
#define PK_IX_ADD_INSURANCE_STAKE_ACC_EXCHANGE 1
#define PK_IX_ADD_INSURANCE_STAKE_ACC_INSURANCE_FUND 2
#define PK_IX_ADD_INSURANCE_STAKE_ACC_INSURANCE_STAKE 3
#define PK_IX_ADD_INSURANCE_STAKE_ACC_USER_TOKEN_ACCOUNT 4
#define PK_IX_ADD_INSURANCE_STAKE_ACC_INSURANCE_VAULT 5
#define PK_IX_ADD_INSURANCE_STAKE_ACC_TOKEN_PROGRAM 6
#define PK_IX_ADD_INSURANCE_STAKE_ACC_SYSTEM_PROGRAM 7
typedef struct {
  u64 amount;
} pk_ix_add_insurance_stake_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_add_insurance_stake_args_t, amount ) == 0, "addInsuranceStake.args.amount offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_add_insurance_stake_args_t ) == 8, "addInsuranceStake.args size" );

#define PK_IX_ADD_INSURANCE_STAKE_DATA_LEN 16UL

#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_DISCRIMINATOR 0xab38f3de0a36103fULL
#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_ACCOUNTS 3UL
#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_SIGNER_MASK 0x1ULL
#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_WRITABLE_MASK 0x4ULL
#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_ACC_AUTHORITY 0
#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_ACC_INSURANCE_FUND 1
#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_ACC_INSURANCE_STAKE 2
typedef struct {
  u64 shares;
} pk_ix_request_remove_insurance_stake_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_request_remove_insurance_stake_args_t, shares ) == 0, "requestRemoveInsuranceStake.args.shares offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_request_remove_insurance_stake_args_t ) == 8, "requestRemoveInsuranceStake.args size" );

#define PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_DATA_LEN 16UL

#define PK_IX_REMOVE_INSURANCE_STAKE_DISCRIMINATOR 0x50d8d52baa76bae6ULL
#define PK_IX_REMOVE_INSURANCE_STAKE_ACCOUNTS 7UL
#define PK_IX_REMOVE_INSURANCE_STAKE_SIGNER_MASK 0x1ULL
#define PK_IX_REMOVE_INSURANCE_STAKE_WRITABLE_MASK 0x3cULL
#define PK_IX_REMOVE_INSURANCE_STAKE_ACC_AUTHORITY 0
#define PK_IX_REMOVE_INSURANCE_STAKE_ACC_EXCHANGE 1
#define PK_IX_REMOVE_INSURANCE_STAKE_ACC_INSURANCE_FUND 2
#define PK_IX_REMOVE_INSURANCE_STAKE_ACC_INSURANCE_STAKE 3
#define PK_IX_REMOVE_INSURANCE_STAKE_ACC_INSURANCE_VAULT 4
#define PK_IX_REMOVE_INSURANCE_STAKE_ACC_USER_TOKEN_ACCOUNT 5
#define PK_IX_REMOVE_INSURANCE_STAKE_ACC_TOKEN_PROGRAM 6

#define PK_IX_REMOVE_INSURANCE_STAKE_DATA_LEN 8UL

#define PK_IX_ADMIN_WITHDRAW_INSURANCE_DISCRIMINATOR 0x22632295ec3c3799ULL
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_ACCOUNTS 6UL
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_SIGNER_MASK 0x1ULL
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_WRITABLE_MASK 0x1cULL
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_ACC_ADMIN 0
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_ACC_EXCHANGE 1
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_ACC_INSURANCE_FUND 2
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_ACC_INSURANCE_VAULT 3
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_ACC_DESTINATION 4
#define PK_IX_ADMIN_WITHDRAW_INSURANCE_ACC_TOKEN_PROGRAM 5
typedef struct {
  u64 amount;
} pk_ix_admin_withdraw_insurance_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_admin_withdraw_insurance_args_t, amount ) == 0, "adminWithdrawInsurance.args.amount offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_admin_withdraw_insurance_args_t ) == 8, "adminWithdrawInsurance.args size" );

#define PK_IX_ADMIN_WITHDRAW_INSURANCE_DATA_LEN 16UL

#define PK_IX_INIT_TRIGGER_ORDERS_DISCRIMINATOR 0x6c8438ec76a65baeULL
#define PK_IX_INIT_TRIGGER_ORDERS_ACCOUNTS 4UL
#define PK_IX_INIT_TRIGGER_ORDERS_SIGNER_MASK 0x1ULL
#define PK_IX_INIT_TRIGGER_ORDERS_WRITABLE_MASK 0x5ULL
#define PK_IX_INIT_TRIGGER_ORDERS_ACC_PAYER 0
#define PK_IX_INIT_TRIGGER_ORDERS_ACC_USER 1
#define PK_IX_INIT_TRIGGER_ORDERS_ACC_TRIGGER_ORDERS 2
#define PK_IX_INIT_TRIGGER_ORDERS_ACC_SYSTEM_PROGRAM 3

#define PK_IX_INIT_TRIGGER_ORDERS_DATA_LEN 8UL

#define PK_IX_PLACE_TRIGGER_ORDER_DISCRIMINATOR 0xec709fe8bc329c20ULL
#define PK_IX_PLACE_TRIGGER_ORDER_ACCOUNTS 4UL
#define PK_IX_PLACE_TRIGGER_ORDER_SIGNER_MASK 0x1ULL
#define PK_IX_PLACE_TRIGGER_ORDER_WRITABLE_MASK 0x4ULL
#define PK_IX_PLACE_TRIGGER_ORDER_ACC_SIGNER 0
#define PK_IX_PLACE_TRIGGER_ORDER_ACC_USER 1
#define PK_IX_PLACE_TRIGGER_ORDER_ACC_TRIGGER_ORDERS 2
#define PK_IX_PLACE_TRIGGER_ORDER_ACC_MARKET 3
typedef struct {
  pk_trigger_order_args_t order;
} pk_ix_place_trigger_order_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_place_trigger_order_args_t, order ) == 0, "placeTriggerOrder.args.order offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_place_trigger_order_args_t ) == 32, "placeTriggerOrder.args size" );

#define PK_IX_PLACE_TRIGGER_ORDER_DATA_LEN 40UL

#define PK_IX_CANCEL_TRIGGER_ORDER_DISCRIMINATOR 0x8dca191b27435490ULL
#define PK_IX_CANCEL_TRIGGER_ORDER_ACCOUNTS 3UL
#define PK_IX_CANCEL_TRIGGER_ORDER_SIGNER_MASK 0x1ULL
#define PK_IX_CANCEL_TRIGGER_ORDER_WRITABLE_MASK 0x4ULL
#define PK_IX_CANCEL_TRIGGER_ORDER_ACC_SIGNER 0
#define PK_IX_CANCEL_TRIGGER_ORDER_ACC_USER 1
#define PK_IX_CANCEL_TRIGGER_ORDER_ACC_TRIGGER_ORDERS 2
typedef struct {
  u64 trigger_id;
} pk_ix_cancel_trigger_order_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_cancel_trigger_order_args_t, trigger_id ) == 0, "cancelTriggerOrder.args.triggerId offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_cancel_trigger_order_args_t ) == 8, "cancelTriggerOrder.args size" );

#define PK_IX_CANCEL_TRIGGER_ORDER_DATA_LEN 16UL

#define PK_IX_TRIGGER_ORDER_DISCRIMINATOR 0xc7f02fe8e933703fULL
#define PK_IX_TRIGGER_ORDER_ACCOUNTS 7UL
#define PK_IX_TRIGGER_ORDER_SIGNER_MASK 0x1ULL
#define PK_IX_TRIGGER_ORDER_WRITABLE_MASK 0x7eULL
#define PK_IX_TRIGGER_ORDER_ACC_KEEPER 0
#define PK_IX_TRIGGER_ORDER_ACC_USER 1
#define PK_IX_TRIGGER_ORDER_ACC_MARKET 2
#define PK_IX_TRIGGER_ORDER_ACC_ORDERBOOK 3
#define PK_IX_TRIGGER_ORDER_ACC_EVENT_QUEUE 4
#define PK_IX_TRIGGER_ORDER_ACC_TRIGGER_ORDERS 5
#define PK_IX_TRIGGER_ORDER_ACC_KEEPER_USER 6
typedef struct {
  u64 trigger_id;
} pk_ix_trigger_order_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_trigger_order_args_t, trigger_id ) == 0, "triggerOrder.args.triggerId offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_trigger_order_args_t ) == 8, "triggerOrder.args size" );

#define PK_IX_TRIGGER_ORDER_DATA_LEN 16UL

/* Events: logged with sol_log_data as discriminator + Borsh fields */
typedef struct {
  u64 discriminator;
  SolPubkey user;
  SolPubkey authority;
  u64 amount;
  u64 collateral_after;
  u64 slot;
} pk_event_deposit_event_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_deposit_event_t, user ) == 8, "DepositEvent.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_deposit_event_t, authority ) == 40, "DepositEvent.authority offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_deposit_event_t, amount ) == 72, "DepositEvent.amount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_deposit_event_t, collateral_after ) == 80, "DepositEvent.collateralAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_deposit_event_t, slot ) == 88, "DepositEvent.slot offset" );
PK_STATIC_ASSERT( sizeof( pk_event_deposit_event_t ) == 96, "DepositEvent size" );

#define PK_EVENT_DEPOSIT_EVENT_DISCRIMINATOR 0x906b8e1f533df878ULL
#define PK_EVENT_DEPOSIT_EVENT_LEN 96UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  SolPubkey authority;
  u64 amount;
  u64 collateral_after;
  u64 slot;
} pk_event_withdraw_event_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_withdraw_event_t, user ) == 8, "WithdrawEvent.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_withdraw_event_t, authority ) == 40, "WithdrawEvent.authority offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_withdraw_event_t, amount ) == 72, "WithdrawEvent.amount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_withdraw_event_t, collateral_after ) == 80, "WithdrawEvent.collateralAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_withdraw_event_t, slot ) == 88, "WithdrawEvent.slot offset" );
PK_STATIC_ASSERT( sizeof( pk_event_withdraw_event_t ) == 96, "WithdrawEvent size" );

#define PK_EVENT_WITHDRAW_EVENT_DISCRIMINATOR 0xc0472ca01a850916ULL
#define PK_EVENT_WITHDRAW_EVENT_LEN 96UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  pk_market_params_t params;
  u16 market_index;
} pk_event_market_params_updated_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_params_updated_t, market ) == 8, "MarketParamsUpdated.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_params_updated_t, params ) == 40, "MarketParamsUpdated.params offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_params_updated_t, market_index ) == 128, "MarketParamsUpdated.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_market_params_updated_t ) == 136, "MarketParamsUpdated size" );

#define PK_EVENT_MARKET_PARAMS_UPDATED_DISCRIMINATOR 0x3c6376a07578a358ULL
#define PK_EVENT_MARKET_PARAMS_UPDATED_LEN 130UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  u64 slot;
  u16 market_index;
  u8 old_status;
  u8 new_status;
} pk_event_market_status_changed_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_status_changed_t, market ) == 8, "MarketStatusChanged.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_status_changed_t, slot ) == 40, "MarketStatusChanged.slot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_status_changed_t, market_index ) == 48, "MarketStatusChanged.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_status_changed_t, old_status ) == 50, "MarketStatusChanged.oldStatus offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_status_changed_t, new_status ) == 51, "MarketStatusChanged.newStatus offset" );
PK_STATIC_ASSERT( sizeof( pk_event_market_status_changed_t ) == 56, "MarketStatusChanged size" );

#define PK_EVENT_MARKET_STATUS_CHANGED_DISCRIMINATOR 0x9d2ede0fd1a04835ULL
#define PK_EVENT_MARKET_STATUS_CHANGED_LEN 52UL

typedef struct {
  u64 discriminator;
  SolPubkey old_admin;
  SolPubkey new_admin;
} pk_event_admin_transferred_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_admin_transferred_t, old_admin ) == 8, "AdminTransferred.oldAdmin offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_admin_transferred_t, new_admin ) == 40, "AdminTransferred.newAdmin offset" );
PK_STATIC_ASSERT( sizeof( pk_event_admin_transferred_t ) == 72, "AdminTransferred size" );

#define PK_EVENT_ADMIN_TRANSFERRED_DISCRIMINATOR 0xb326d9c705b693ffULL
#define PK_EVENT_ADMIN_TRANSFERRED_LEN 72UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 order_id;
  u64 client_order_id;
  u64 price;
  u64 base_amount;
  u64 slot;
  u16 market_index;
  u8 side;
  u8 order_type;
} pk_event_order_placed_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, user ) == 8, "OrderPlaced.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, order_id ) == 40, "OrderPlaced.orderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, client_order_id ) == 48, "OrderPlaced.clientOrderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, price ) == 56, "OrderPlaced.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, base_amount ) == 64, "OrderPlaced.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, slot ) == 72, "OrderPlaced.slot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, market_index ) == 80, "OrderPlaced.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, side ) == 82, "OrderPlaced.side offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_placed_t, order_type ) == 83, "OrderPlaced.orderType offset" );
PK_STATIC_ASSERT( sizeof( pk_event_order_placed_t ) == 88, "OrderPlaced size" );

#define PK_EVENT_ORDER_PLACED_DISCRIMINATOR 0xe3d8dba9eacc8260ULL
#define PK_EVENT_ORDER_PLACED_LEN 84UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 order_id;
  u64 base_amount;
  u16 market_index;
  u8 side;
} pk_event_order_cancelled_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_cancelled_t, user ) == 8, "OrderCancelled.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_cancelled_t, order_id ) == 40, "OrderCancelled.orderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_cancelled_t, base_amount ) == 48, "OrderCancelled.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_cancelled_t, market_index ) == 56, "OrderCancelled.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_cancelled_t, side ) == 58, "OrderCancelled.side offset" );
PK_STATIC_ASSERT( sizeof( pk_event_order_cancelled_t ) == 64, "OrderCancelled size" );

#define PK_EVENT_ORDER_CANCELLED_DISCRIMINATOR 0xefa871a84480386cULL
#define PK_EVENT_ORDER_CANCELLED_LEN 59UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 order_id;
  u64 price;
  u64 base_amount;
  u64 seq_num;
  u64 evicted_by;
  u16 market_index;
  u8 side;
} pk_event_order_evicted_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, user ) == 8, "OrderEvicted.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, order_id ) == 40, "OrderEvicted.orderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, price ) == 48, "OrderEvicted.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, base_amount ) == 56, "OrderEvicted.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, seq_num ) == 64, "OrderEvicted.seqNum offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, evicted_by ) == 72, "OrderEvicted.evictedBy offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, market_index ) == 80, "OrderEvicted.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_evicted_t, side ) == 82, "OrderEvicted.side offset" );
PK_STATIC_ASSERT( sizeof( pk_event_order_evicted_t ) == 88, "OrderEvicted size" );

#define PK_EVENT_ORDER_EVICTED_DISCRIMINATOR 0x1a5c081c9d7ff122ULL
#define PK_EVENT_ORDER_EVICTED_LEN 83UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 order_id;
  u64 price;
  u64 base_amount;
  u64 seq_num;
  u64 expiry_slot;
  u16 market_index;
  u8 side;
} pk_event_order_expired_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, user ) == 8, "OrderExpired.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, order_id ) == 40, "OrderExpired.orderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, price ) == 48, "OrderExpired.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, base_amount ) == 56, "OrderExpired.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, seq_num ) == 64, "OrderExpired.seqNum offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, expiry_slot ) == 72, "OrderExpired.expirySlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, market_index ) == 80, "OrderExpired.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_order_expired_t, side ) == 82, "OrderExpired.side offset" );
PK_STATIC_ASSERT( sizeof( pk_event_order_expired_t ) == 88, "OrderExpired size" );

#define PK_EVENT_ORDER_EXPIRED_DISCRIMINATOR 0xd52833a0c43037f1ULL
#define PK_EVENT_ORDER_EXPIRED_LEN 83UL

typedef struct {
  u64 discriminator;
  SolPubkey taker;
  SolPubkey maker;
  u64 maker_order_id;
  u64 price;
  u64 base_amount;
  u64 taker_fee;
  u64 seq_num;
  u16 market_index;
  u8 taker_side;
} pk_event_fill_event_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, taker ) == 8, "FillEvent.taker offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, maker ) == 40, "FillEvent.maker offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, maker_order_id ) == 72, "FillEvent.makerOrderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, price ) == 80, "FillEvent.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, base_amount ) == 88, "FillEvent.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, taker_fee ) == 96, "FillEvent.takerFee offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, seq_num ) == 104, "FillEvent.seqNum offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, market_index ) == 112, "FillEvent.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_fill_event_t, taker_side ) == 114, "FillEvent.takerSide offset" );
PK_STATIC_ASSERT( sizeof( pk_event_fill_event_t ) == 120, "FillEvent size" );

#define PK_EVENT_FILL_EVENT_DISCRIMINATOR 0x702db269e429590dULL
#define PK_EVENT_FILL_EVENT_LEN 115UL

typedef struct {
  u64 discriminator;
  SolPubkey maker;
  u64 maker_order_id;
  u64 price;
  u64 base_amount;
  u64 maker_rebate;
  u64 seq_num;
  u16 market_index;
  u8 maker_side;
} pk_event_maker_fill_applied_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, maker ) == 8, "MakerFillApplied.maker offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, maker_order_id ) == 40, "MakerFillApplied.makerOrderId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, price ) == 48, "MakerFillApplied.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, base_amount ) == 56, "MakerFillApplied.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, maker_rebate ) == 64, "MakerFillApplied.makerRebate offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, seq_num ) == 72, "MakerFillApplied.seqNum offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, market_index ) == 80, "MakerFillApplied.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_maker_fill_applied_t, maker_side ) == 82, "MakerFillApplied.makerSide offset" );
PK_STATIC_ASSERT( sizeof( pk_event_maker_fill_applied_t ) == 88, "MakerFillApplied size" );

#define PK_EVENT_MAKER_FILL_APPLIED_DISCRIMINATOR 0xe2e69d59d75512ebULL
#define PK_EVENT_MAKER_FILL_APPLIED_LEN 83UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  u64 index_price;
  u64 index_confidence;
  u64 mark_price;
  i64 premium_ema;
  u64 mark_twap;
  u64 index_twap;
  u64 oracle_slot;
  u64 slot;
  u16 market_index;
  u8 oracle_source;
} pk_event_prices_updated_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, market ) == 8, "PricesUpdated.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, index_price ) == 40, "PricesUpdated.indexPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, index_confidence ) == 48, "PricesUpdated.indexConfidence offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, mark_price ) == 56, "PricesUpdated.markPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, premium_ema ) == 64, "PricesUpdated.premiumEma offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, mark_twap ) == 72, "PricesUpdated.markTwap offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, index_twap ) == 80, "PricesUpdated.indexTwap offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, oracle_slot ) == 88, "PricesUpdated.oracleSlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, slot ) == 96, "PricesUpdated.slot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, market_index ) == 104, "PricesUpdated.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_prices_updated_t, oracle_source ) == 106, "PricesUpdated.oracleSource offset" );
PK_STATIC_ASSERT( sizeof( pk_event_prices_updated_t ) == 112, "PricesUpdated size" );

#define PK_EVENT_PRICES_UPDATED_DISCRIMINATOR 0x25cfe09786262fd0ULL
#define PK_EVENT_PRICES_UPDATED_LEN 107UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  i64 funding_rate;
  i64 cumulative_funding_long;
  i64 cumulative_funding_short;
  u64 mark_twap;
  u64 index_twap;
  i64 ts;
  u16 market_index;
} pk_event_funding_updated_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, market ) == 8, "FundingUpdated.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, funding_rate ) == 40, "FundingUpdated.fundingRate offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, cumulative_funding_long ) == 48, "FundingUpdated.cumulativeFundingLong offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, cumulative_funding_short ) == 56, "FundingUpdated.cumulativeFundingShort offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, mark_twap ) == 64, "FundingUpdated.markTwap offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, index_twap ) == 72, "FundingUpdated.indexTwap offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, ts ) == 80, "FundingUpdated.ts offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_funding_updated_t, market_index ) == 88, "FundingUpdated.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_funding_updated_t ) == 96, "FundingUpdated size" );

#define PK_EVENT_FUNDING_UPDATED_DISCRIMINATOR 0xe0ff257e51594cceULL
#define PK_EVENT_FUNDING_UPDATED_LEN 90UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  i64 amount;
  u64 collateral_after;
  u64 pnl_pool_after;
  i64 unsettled_after;
  u16 market_index;
} pk_event_pnl_settled_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_pnl_settled_t, user ) == 8, "PnlSettled.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_pnl_settled_t, amount ) == 40, "PnlSettled.amount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_pnl_settled_t, collateral_after ) == 48, "PnlSettled.collateralAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_pnl_settled_t, pnl_pool_after ) == 56, "PnlSettled.pnlPoolAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_pnl_settled_t, unsettled_after ) == 64, "PnlSettled.unsettledAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_pnl_settled_t, market_index ) == 72, "PnlSettled.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_pnl_settled_t ) == 80, "PnlSettled size" );

#define PK_EVENT_PNL_SETTLED_DISCRIMINATOR 0xcb5f2e87fe687118ULL
#define PK_EVENT_PNL_SETTLED_LEN 74UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  SolPubkey liquidator;
  u64 base_amount;
  u64 mark_price;
  u64 user_price;
  u64 liquidator_price;
  u64 insurance_fee;
  i64 equity_before;
  u64 maintenance_before;
  i64 equity_after;
  u64 maintenance_after;
  u64 slot;
  u16 market_index;
  u8 user_side;
} pk_event_liquidation_event_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, user ) == 8, "LiquidationEvent.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, liquidator ) == 40, "LiquidationEvent.liquidator offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, base_amount ) == 72, "LiquidationEvent.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, mark_price ) == 80, "LiquidationEvent.markPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, user_price ) == 88, "LiquidationEvent.userPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, liquidator_price ) == 96, "LiquidationEvent.liquidatorPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, insurance_fee ) == 104, "LiquidationEvent.insuranceFee offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, equity_before ) == 112, "LiquidationEvent.equityBefore offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, maintenance_before ) == 120, "LiquidationEvent.maintenanceBefore offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, equity_after ) == 128, "LiquidationEvent.equityAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, maintenance_after ) == 136, "LiquidationEvent.maintenanceAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, slot ) == 144, "LiquidationEvent.slot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, market_index ) == 152, "LiquidationEvent.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_liquidation_event_t, user_side ) == 154, "LiquidationEvent.userSide offset" );
PK_STATIC_ASSERT( sizeof( pk_event_liquidation_event_t ) == 160, "LiquidationEvent size" );

#define PK_EVENT_LIQUIDATION_EVENT_DISCRIMINATOR 0x904888ad5d150d03ULL
#define PK_EVENT_LIQUIDATION_EVENT_LEN 155UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 loss;
  u64 fee_pool_paid;
  u64 insurance_paid;
  u64 socialised;
  i64 funding_delta;
  u16 market_index;
} pk_event_bankruptcy_resolved_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_bankruptcy_resolved_t, user ) == 8, "BankruptcyResolved.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_bankruptcy_resolved_t, loss ) == 40, "BankruptcyResolved.loss offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_bankruptcy_resolved_t, fee_pool_paid ) == 48, "BankruptcyResolved.feePoolPaid offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_bankruptcy_resolved_t, insurance_paid ) == 56, "BankruptcyResolved.insurancePaid offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_bankruptcy_resolved_t, socialised ) == 64, "BankruptcyResolved.socialised offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_bankruptcy_resolved_t, funding_delta ) == 72, "BankruptcyResolved.fundingDelta offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_bankruptcy_resolved_t, market_index ) == 80, "BankruptcyResolved.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_bankruptcy_resolved_t ) == 88, "BankruptcyResolved size" );

#define PK_EVENT_BANKRUPTCY_RESOLVED_DISCRIMINATOR 0xa9e3486ac3c4565eULL
#define PK_EVENT_BANKRUPTCY_RESOLVED_LEN 82UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  u64 amount;
  u64 fee_pool_after;
  i64 ts;
  u16 market_index;
} pk_event_revenue_settled_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_revenue_settled_t, market ) == 8, "RevenueSettled.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_revenue_settled_t, amount ) == 40, "RevenueSettled.amount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_revenue_settled_t, fee_pool_after ) == 48, "RevenueSettled.feePoolAfter offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_revenue_settled_t, ts ) == 56, "RevenueSettled.ts offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_revenue_settled_t, market_index ) == 64, "RevenueSettled.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_revenue_settled_t ) == 72, "RevenueSettled size" );

#define PK_EVENT_REVENUE_SETTLED_DISCRIMINATOR 0x8ae712a514db12b8ULL
#define PK_EVENT_REVENUE_SETTLED_LEN 66UL

typedef struct {
  u64 discriminator;
  SolPubkey market;
  u64 settlement_price;
  u64 open_interest;
  u64 slot;
  u16 market_index;
} pk_event_market_settled_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_settled_t, market ) == 8, "MarketSettled.market offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_settled_t, settlement_price ) == 40, "MarketSettled.settlementPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_settled_t, open_interest ) == 48, "MarketSettled.openInterest offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_settled_t, slot ) == 56, "MarketSettled.slot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_market_settled_t, market_index ) == 64, "MarketSettled.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_market_settled_t ) == 72, "MarketSettled size" );

#define PK_EVENT_MARKET_SETTLED_DISCRIMINATOR 0x63d775c9af16d4edULL
#define PK_EVENT_MARKET_SETTLED_LEN 66UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  i64 base_amount;
  u64 settlement_price;
  i64 realised_pnl;
  u16 market_index;
} pk_event_position_settled_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_position_settled_t, user ) == 8, "PositionSettled.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_position_settled_t, base_amount ) == 40, "PositionSettled.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_position_settled_t, settlement_price ) == 48, "PositionSettled.settlementPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_position_settled_t, realised_pnl ) == 56, "PositionSettled.realisedPnl offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_position_settled_t, market_index ) == 64, "PositionSettled.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_position_settled_t ) == 72, "PositionSettled size" );

#define PK_EVENT_POSITION_SETTLED_DISCRIMINATOR 0xddfc74f5bd5c644bULL
#define PK_EVENT_POSITION_SETTLED_LEN 66UL

typedef struct {
  u64 discriminator;
  SolPubkey authority;
  i64 amount;
  i64 shares;
  u64 total_shares;
  u64 vault_balance;
  i64 ts;
} pk_event_insurance_stake_changed_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_insurance_stake_changed_t, authority ) == 8, "InsuranceStakeChanged.authority offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_insurance_stake_changed_t, amount ) == 40, "InsuranceStakeChanged.amount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_insurance_stake_changed_t, shares ) == 48, "InsuranceStakeChanged.shares offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_insurance_stake_changed_t, total_shares ) == 56, "InsuranceStakeChanged.totalShares offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_insurance_stake_changed_t, vault_balance ) == 64, "InsuranceStakeChanged.vaultBalance offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_insurance_stake_changed_t, ts ) == 72, "InsuranceStakeChanged.ts offset" );
PK_STATIC_ASSERT( sizeof( pk_event_insurance_stake_changed_t ) == 80, "InsuranceStakeChanged size" );

#define PK_EVENT_INSURANCE_STAKE_CHANGED_DISCRIMINATOR 0x39db436f052e26f6ULL
#define PK_EVENT_INSURANCE_STAKE_CHANGED_LEN 80UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 trigger_id;
  u64 trigger_price;
  u64 limit_price;
  u64 base_amount;
  u64 slot;
  u16 market_index;
  u8 side;
  u8 kind;
  u8 condition;
  u8 price_source;
  u8 reduce_only;
} pk_event_trigger_order_placed_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, user ) == 8, "TriggerOrderPlaced.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, trigger_id ) == 40, "TriggerOrderPlaced.triggerId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, trigger_price ) == 48, "TriggerOrderPlaced.triggerPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, limit_price ) == 56, "TriggerOrderPlaced.limitPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, base_amount ) == 64, "TriggerOrderPlaced.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, slot ) == 72, "TriggerOrderPlaced.slot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, market_index ) == 80, "TriggerOrderPlaced.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, side ) == 82, "TriggerOrderPlaced.side offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, kind ) == 83, "TriggerOrderPlaced.kind offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, condition ) == 84, "TriggerOrderPlaced.condition offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, price_source ) == 85, "TriggerOrderPlaced.priceSource offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_placed_t, reduce_only ) == 86, "TriggerOrderPlaced.reduceOnly offset" );
PK_STATIC_ASSERT( sizeof( pk_event_trigger_order_placed_t ) == 88, "TriggerOrderPlaced size" );

#define PK_EVENT_TRIGGER_ORDER_PLACED_DISCRIMINATOR 0x7c34cdf95f4bc0d8ULL
#define PK_EVENT_TRIGGER_ORDER_PLACED_LEN 87UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  SolPubkey keeper;
  u64 trigger_id;
  u64 trigger_price;
  u64 price;
  u64 order_price;
  u64 base_amount;
  u64 keeper_fee;
  u64 slot;
  u16 market_index;
  u8 side;
  u8 kind;
} pk_event_trigger_order_triggered_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, user ) == 8, "TriggerOrderTriggered.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, keeper ) == 40, "TriggerOrderTriggered.keeper offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, trigger_id ) == 72, "TriggerOrderTriggered.triggerId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, trigger_price ) == 80, "TriggerOrderTriggered.triggerPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, price ) == 88, "TriggerOrderTriggered.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, order_price ) == 96, "TriggerOrderTriggered.orderPrice offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, base_amount ) == 104, "TriggerOrderTriggered.baseAmount offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, keeper_fee ) == 112, "TriggerOrderTriggered.keeperFee offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, slot ) == 120, "TriggerOrderTriggered.slot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, market_index ) == 128, "TriggerOrderTriggered.marketIndex offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, side ) == 130, "TriggerOrderTriggered.side offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_triggered_t, kind ) == 131, "TriggerOrderTriggered.kind offset" );
PK_STATIC_ASSERT( sizeof( pk_event_trigger_order_triggered_t ) == 136, "TriggerOrderTriggered size" );

#define PK_EVENT_TRIGGER_ORDER_TRIGGERED_DISCRIMINATOR 0x8c1ffd6baaa68adcULL
#define PK_EVENT_TRIGGER_ORDER_TRIGGERED_LEN 132UL

typedef struct {
  u64 discriminator;
  SolPubkey user;
  u64 trigger_id;
  u32 error_code;
  u16 market_index;
} pk_event_trigger_order_cancelled_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_cancelled_t, user ) == 8, "TriggerOrderCancelled.user offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_cancelled_t, trigger_id ) == 40, "TriggerOrderCancelled.triggerId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_cancelled_t, error_code ) == 48, "TriggerOrderCancelled.errorCode offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_event_trigger_order_cancelled_t, market_index ) == 52, "TriggerOrderCancelled.marketIndex offset" );
PK_STATIC_ASSERT( sizeof( pk_event_trigger_order_cancelled_t ) == 56, "TriggerOrderCancelled size" );

#define PK_EVENT_TRIGGER_ORDER_CANCELLED_DISCRIMINATOR 0x79df99628cce97ffULL
#define PK_EVENT_TRIGGER_ORDER_CANCELLED_LEN 54UL

/* Errors: returned as the program's custom error code */
#define PK_ERR_UNKNOWN_INSTRUCTION 6000ULL
#define PK_ERR_INVALID_INSTRUCTION_DATA 6001ULL
#define PK_ERR_NOT_ENOUGH_ACCOUNTS 6002ULL
#define PK_ERR_MISSING_SIGNER 6003ULL
#define PK_ERR_ACCOUNT_NOT_WRITABLE 6004ULL
#define PK_ERR_INVALID_ACCOUNT_OWNER 6005ULL
#define PK_ERR_INVALID_DISCRIMINATOR 6006ULL
#define PK_ERR_INVALID_ACCOUNT_SIZE 6007ULL
#define PK_ERR_INVALID_PDA 6008ULL
#define PK_ERR_ACCOUNT_ALREADY_INITIALIZED 6009ULL
#define PK_ERR_INVALID_PROGRAM_ID 6010ULL
#define PK_ERR_UNAUTHORIZED 6011ULL
#define PK_ERR_INVALID_MINT 6012ULL
#define PK_ERR_INVALID_TOKEN_ACCOUNT 6013ULL
#define PK_ERR_TOKEN_ACCOUNT_OWNER_MISMATCH 6014ULL
#define PK_ERR_INVALID_VAULT 6015ULL
#define PK_ERR_INVALID_MARKET_PARAMS 6016ULL
#define PK_ERR_INVALID_ORACLE_CONFIG 6017ULL
#define PK_ERR_INVALID_MARKET_INDEX 6018ULL
#define PK_ERR_INVALID_STATUS_TRANSITION 6019ULL
#define PK_ERR_ZERO_AMOUNT 6020ULL
#define PK_ERR_INSUFFICIENT_COLLATERAL 6021ULL
#define PK_ERR_MATH_OVERFLOW 6022ULL
#define PK_ERR_OPERATION_PAUSED 6023ULL
#define PK_ERR_INVALID_RENT 6024ULL
#define PK_ERR_TOKEN_TRANSFER_FAILED 6025ULL
#define PK_ERR_INVALID_MARKET_NAME 6026ULL
#define PK_ERR_INSUFFICIENT_TOKEN_BALANCE 6027ULL
#define PK_ERR_TOO_MANY_ACCOUNTS 6028ULL
#define PK_ERR_ORACLE_WRONG_ACCOUNT 6029ULL
#define PK_ERR_ORACLE_INVALID_DATA 6030ULL
#define PK_ERR_ORACLE_NON_POSITIVE 6031ULL
#define PK_ERR_ORACLE_STALE 6032ULL
#define PK_ERR_ORACLE_CONFIDENCE_TOO_WIDE 6033ULL
#define PK_ERR_ORACLE_DIVERGENCE 6034ULL
#define PK_ERR_ORACLE_UNAVAILABLE 6035ULL
#define PK_ERR_MARKET_NOT_TRADABLE 6036ULL
#define PK_ERR_INVALID_ORDER 6037ULL
#define PK_ERR_POST_ONLY_WOULD_CROSS 6038ULL
#define PK_ERR_REDUCE_ONLY_VIOLATED 6039ULL
#define PK_ERR_ORDERBOOK_FULL 6040ULL
#define PK_ERR_EVENT_QUEUE_FULL 6041ULL
#define PK_ERR_ORDER_NOT_FOUND 6042ULL
#define PK_ERR_TOO_MANY_POSITIONS 6043ULL
#define PK_ERR_MISSING_MARKET_ACCOUNT 6044ULL
#define PK_ERR_INSUFFICIENT_MARGIN 6045ULL
#define PK_ERR_OPEN_INTEREST_LIMIT 6046ULL
#define PK_ERR_MAKER_NOT_PASSED 6047ULL
#define PK_ERR_MARKET_ACCOUNT_MISMATCH 6048ULL
#define PK_ERR_FUNDING_TOO_EARLY 6049ULL
#define PK_ERR_PRICES_STALE 6050ULL
#define PK_ERR_NOT_LIQUIDATABLE 6051ULL
#define PK_ERR_CANNOT_LIQUIDATE_SELF 6052ULL
#define PK_ERR_NO_POSITION_TO_LIQUIDATE 6053ULL
#define PK_ERR_NOT_BANKRUPT 6054ULL
#define PK_ERR_REVENUE_SETTLE_TOO_EARLY 6055ULL
#define PK_ERR_EVENT_QUEUE_NOT_EMPTY 6056ULL
#define PK_ERR_MARKET_NOT_IN_SETTLEMENT 6057ULL
#define PK_ERR_ORDER_PRICE_OUT_OF_BAND 6058ULL
#define PK_ERR_COOLDOWN_NOT_ELAPSED 6059ULL
#define PK_ERR_INSUFFICIENT_SHARES 6060ULL
#define PK_ERR_INSURANCE_LIMIT 6061ULL
#define PK_ERR_REDUCE_ONLY_WORSE_THAN_LIQUIDATION 6062ULL
#define PK_ERR_MAKER_FILLS_PENDING 6063ULL
#define PK_ERR_ORDER_BELOW_MIN_NOTIONAL 6070ULL
#define PK_ERR_TOO_MANY_OPEN_ORDERS 6071ULL
#define PK_ERR_DELEGATE_MAY_NOT_REST 6072ULL
#define PK_ERR_DELEGATE_PRICE_OUT_OF_BAND 6073ULL
#define PK_ERR_MARK_STALE 6078ULL
#define PK_ERR_INSURANCE_STAKE_TOO_SMALL 6086ULL
#define PK_ERR_REMOVAL_REQUEST_EXPIRED 6087ULL
#define PK_ERR_BANKRUPTCY_PENDING 6088ULL
#define PK_ERR_NOT_UPGRADE_AUTHORITY 6089ULL
#define PK_ERR_EXPIRY_IN_PAST 6100ULL
#define PK_ERR_MIN_FILL_NOT_MET 6101ULL
#define PK_ERR_MIN_FILL_ON_POST_ONLY 6102ULL
#define PK_ERR_NOTHING_TO_PRUNE 6103ULL
#define PK_ERR_TRIGGER_CONDITION_NOT_MET 6110ULL
#define PK_ERR_TRIGGER_SLOTS_FULL 6111ULL
#define PK_ERR_TRIGGER_NOT_FOUND 6112ULL
#define PK_ERR_INVALID_TRIGGER_PARAMS 6113ULL
#define PK_ERR_TRIGGER_PRICE_NOT_FRESH 6114ULL

#endif /* HEADER_pk_programs_perp_include_perp_idl_h */
