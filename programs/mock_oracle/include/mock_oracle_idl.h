/* Generated from idl/mock_oracle.json by localnet/codegen/c_header.py. Do not edit: edit the IDL
   and run `perpkeep codegen`. */
#ifndef HEADER_pk_programs_mock_oracle_include_mock_oracle_idl_h
#define HEADER_pk_programs_mock_oracle_include_mock_oracle_idl_h

#include "pk_sol.h"

#define PK_IDL_NAME "mock_oracle"
#define PK_IDL_VERSION "0.1.0"

/* Constants */

/* Enums (Borsh: one u8 tag) */
#define PK_VERIFICATION_LEVEL_PARTIAL 0
#define PK_VERIFICATION_LEVEL_FULL 1
#define PK_VERIFICATION_LEVEL_COUNT 2

/* Defined types */
/* Accounts: the struct maps the whole account data, discriminator first */
typedef struct {
  u64 discriminator;
  SolPubkey authority;
  u8 bump;
  u8 padding[7];
} pk_mock_oracle_config_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_mock_oracle_config_t, authority ) == 8, "MockOracleConfig.authority offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_mock_oracle_config_t, bump ) == 40, "MockOracleConfig.bump offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_mock_oracle_config_t, padding ) == 41, "MockOracleConfig.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_mock_oracle_config_t ) == 48, "MockOracleConfig size" );

#define PK_MOCK_ORACLE_CONFIG_DISCRIMINATOR 0x3dc13c2731fd2a29ULL
#define PK_MOCK_ORACLE_CONFIG_LEN 48UL

/* Instructions */
#define PK_IX_INITIALIZE_DISCRIMINATOR 0xed9b980d1f6dafafULL
#define PK_IX_INITIALIZE_ACCOUNTS 3UL
#define PK_IX_INITIALIZE_SIGNER_MASK 0x1ULL
#define PK_IX_INITIALIZE_WRITABLE_MASK 0x3ULL
#define PK_IX_INITIALIZE_ACC_AUTHORITY 0
#define PK_IX_INITIALIZE_ACC_CONFIG 1
#define PK_IX_INITIALIZE_ACC_SYSTEM_PROGRAM 2

#define PK_IX_INITIALIZE_DATA_LEN 8UL

#define PK_IX_WRITE_PYTH_LEGACY_DISCRIMINATOR 0xe9158336149e171aULL
#define PK_IX_WRITE_PYTH_LEGACY_ACCOUNTS 3UL
#define PK_IX_WRITE_PYTH_LEGACY_SIGNER_MASK 0x1ULL
#define PK_IX_WRITE_PYTH_LEGACY_WRITABLE_MASK 0x4ULL
#define PK_IX_WRITE_PYTH_LEGACY_ACC_AUTHORITY 0
#define PK_IX_WRITE_PYTH_LEGACY_ACC_CONFIG 1
#define PK_IX_WRITE_PYTH_LEGACY_ACC_PRICE_ACCOUNT 2
typedef struct {
  i64 price;
  u64 conf;
  u64 publish_slot;
  i32 exponent;
  u32 status;
} pk_ix_write_pyth_legacy_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_pyth_legacy_args_t, price ) == 0, "writePythLegacy.args.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_pyth_legacy_args_t, conf ) == 8, "writePythLegacy.args.conf offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_pyth_legacy_args_t, publish_slot ) == 16, "writePythLegacy.args.publishSlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_pyth_legacy_args_t, exponent ) == 24, "writePythLegacy.args.exponent offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_pyth_legacy_args_t, status ) == 28, "writePythLegacy.args.status offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_write_pyth_legacy_args_t ) == 32, "writePythLegacy.args size" );

#define PK_IX_WRITE_PYTH_LEGACY_DATA_LEN 40UL

#define PK_IX_WRITE_PRICE_UPDATE_V2_DISCRIMINATOR 0x0e4bdb82a38946a7ULL
#define PK_IX_WRITE_PRICE_UPDATE_V2_ACCOUNTS 3UL
#define PK_IX_WRITE_PRICE_UPDATE_V2_SIGNER_MASK 0x1ULL
#define PK_IX_WRITE_PRICE_UPDATE_V2_WRITABLE_MASK 0x4ULL
#define PK_IX_WRITE_PRICE_UPDATE_V2_ACC_AUTHORITY 0
#define PK_IX_WRITE_PRICE_UPDATE_V2_ACC_CONFIG 1
#define PK_IX_WRITE_PRICE_UPDATE_V2_ACC_PRICE_UPDATE 2
typedef struct {
  u8 feed_id[32];
  i64 price;
  u64 conf;
  i64 publish_time;
  u64 publish_slot;
  i32 exponent;
  u8 verification_level;
  u8 num_signatures;
  u8 padding[2];
} pk_ix_write_price_update_v2_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, feed_id ) == 0, "writePriceUpdateV2.args.feedId offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, price ) == 32, "writePriceUpdateV2.args.price offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, conf ) == 40, "writePriceUpdateV2.args.conf offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, publish_time ) == 48, "writePriceUpdateV2.args.publishTime offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, publish_slot ) == 56, "writePriceUpdateV2.args.publishSlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, exponent ) == 64, "writePriceUpdateV2.args.exponent offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, verification_level ) == 68, "writePriceUpdateV2.args.verificationLevel offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, num_signatures ) == 69, "writePriceUpdateV2.args.numSignatures offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_price_update_v2_args_t, padding ) == 70, "writePriceUpdateV2.args.padding offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_write_price_update_v2_args_t ) == 72, "writePriceUpdateV2.args size" );

#define PK_IX_WRITE_PRICE_UPDATE_V2_DATA_LEN 80UL

#define PK_IX_WRITE_SWITCHBOARD_V2_DISCRIMINATOR 0x6de2b6f988118da6ULL
#define PK_IX_WRITE_SWITCHBOARD_V2_ACCOUNTS 3UL
#define PK_IX_WRITE_SWITCHBOARD_V2_SIGNER_MASK 0x1ULL
#define PK_IX_WRITE_SWITCHBOARD_V2_WRITABLE_MASK 0x4ULL
#define PK_IX_WRITE_SWITCHBOARD_V2_ACC_AUTHORITY 0
#define PK_IX_WRITE_SWITCHBOARD_V2_ACC_CONFIG 1
#define PK_IX_WRITE_SWITCHBOARD_V2_ACC_AGGREGATOR 2
typedef struct {
  u64 result_lo;
  u64 result_hi;
  u64 std_dev_lo;
  u64 std_dev_hi;
  u64 round_open_slot;
  u32 result_scale;
  u32 std_dev_scale;
  u32 num_success;
  u32 min_oracle_results;
} pk_ix_write_switchboard_v2_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, result_lo ) == 0, "writeSwitchboardV2.args.resultLo offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, result_hi ) == 8, "writeSwitchboardV2.args.resultHi offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, std_dev_lo ) == 16, "writeSwitchboardV2.args.stdDevLo offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, std_dev_hi ) == 24, "writeSwitchboardV2.args.stdDevHi offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, round_open_slot ) == 32, "writeSwitchboardV2.args.roundOpenSlot offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, result_scale ) == 40, "writeSwitchboardV2.args.resultScale offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, std_dev_scale ) == 44, "writeSwitchboardV2.args.stdDevScale offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, num_success ) == 48, "writeSwitchboardV2.args.numSuccess offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_v2_args_t, min_oracle_results ) == 52, "writeSwitchboardV2.args.minOracleResults offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_write_switchboard_v2_args_t ) == 56, "writeSwitchboardV2.args size" );

#define PK_IX_WRITE_SWITCHBOARD_V2_DATA_LEN 64UL

#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_DISCRIMINATOR 0x2a76de8f4103ba1cULL
#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_ACCOUNTS 3UL
#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_SIGNER_MASK 0x1ULL
#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_WRITABLE_MASK 0x4ULL
#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_ACC_AUTHORITY 0
#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_ACC_CONFIG 1
#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_ACC_FEED 2
typedef struct {
  u64 value_lo;
  u64 value_hi;
  u64 std_dev_lo;
  u64 std_dev_hi;
  u64 slot;
} pk_ix_write_switchboard_on_demand_args_t;
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_on_demand_args_t, value_lo ) == 0, "writeSwitchboardOnDemand.args.valueLo offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_on_demand_args_t, value_hi ) == 8, "writeSwitchboardOnDemand.args.valueHi offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_on_demand_args_t, std_dev_lo ) == 16, "writeSwitchboardOnDemand.args.stdDevLo offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_on_demand_args_t, std_dev_hi ) == 24, "writeSwitchboardOnDemand.args.stdDevHi offset" );
PK_STATIC_ASSERT( PK_OFFSETOF( pk_ix_write_switchboard_on_demand_args_t, slot ) == 32, "writeSwitchboardOnDemand.args.slot offset" );
PK_STATIC_ASSERT( sizeof( pk_ix_write_switchboard_on_demand_args_t ) == 40, "writeSwitchboardOnDemand.args size" );

#define PK_IX_WRITE_SWITCHBOARD_ON_DEMAND_DATA_LEN 48UL

/* Events: logged with sol_log_data as discriminator + Borsh fields */
/* Errors: returned as the program's custom error code */
#define PK_ERR_UNKNOWN_INSTRUCTION 6000ULL
#define PK_ERR_INVALID_INSTRUCTION_DATA 6001ULL
#define PK_ERR_NOT_ENOUGH_ACCOUNTS 6002ULL
#define PK_ERR_MISSING_SIGNER 6003ULL
#define PK_ERR_ACCOUNT_NOT_WRITABLE 6004ULL
#define PK_ERR_UNAUTHORIZED 6005ULL
#define PK_ERR_WRONG_OWNER 6006ULL
#define PK_ERR_WRONG_SIZE 6007ULL
#define PK_ERR_INVALID_CONFIG 6008ULL
#define PK_ERR_ALREADY_INITIALIZED 6009ULL
#define PK_ERR_INVALID_PROGRAM_ID 6010ULL
#define PK_ERR_CREATE_ACCOUNT_FAILED 6011ULL

#endif /* HEADER_pk_programs_mock_oracle_include_mock_oracle_idl_h */
