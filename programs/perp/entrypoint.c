/* Entry point: parse the input, dispatch on the 8-byte Anchor instruction discriminator. */

#include "pk_program.h"

u64
entrypoint( const u8 *input ) {
  SolParameters p;
  if( PK_UNLIKELY( pk_deserialize( input, &p ) ) ) PK_FAIL( PK_ERR_TOO_MANY_ACCOUNTS, PK_NO_ACCOUNT );
  if( PK_UNLIKELY( p.data_len < 8 ) ) PK_FAIL( PK_ERR_UNKNOWN_INSTRUCTION, PK_NO_ACCOUNT );
  switch( *(const u64 *)p.data ) {
    case PK_IX_INITIALIZE_EXCHANGE_DISCRIMINATOR:   return pk_ix_initialize_exchange( &p );
    case PK_IX_SET_PAUSED_OPERATIONS_DISCRIMINATOR: return pk_ix_set_paused_operations( &p );
    case PK_IX_TRANSFER_ADMIN_DISCRIMINATOR:        return pk_ix_transfer_admin( &p );
    case PK_IX_INITIALIZE_MARKET_DISCRIMINATOR:     return pk_ix_initialize_market( &p );
    case PK_IX_UPDATE_MARKET_PARAMS_DISCRIMINATOR:  return pk_ix_update_market_params( &p );
    case PK_IX_UPDATE_MARKET_ORACLE_DISCRIMINATOR:  return pk_ix_update_market_oracle( &p );
    case PK_IX_SET_MARKET_STATUS_DISCRIMINATOR:     return pk_ix_set_market_status( &p );
    case PK_IX_INITIALIZE_USER_DISCRIMINATOR:       return pk_ix_initialize_user( &p );
    case PK_IX_SET_USER_DELEGATE_DISCRIMINATOR:     return pk_ix_set_user_delegate( &p );
    case PK_IX_DEPOSIT_DISCRIMINATOR:               return pk_ix_deposit( &p );
    case PK_IX_WITHDRAW_DISCRIMINATOR:              return pk_ix_withdraw( &p );
    case PK_IX_PLACE_ORDER_DISCRIMINATOR:           return pk_ix_place_order( &p );
    case PK_IX_CANCEL_ORDER_DISCRIMINATOR:          return pk_ix_cancel_order( &p );
    case PK_IX_CANCEL_ALL_ORDERS_DISCRIMINATOR:     return pk_ix_cancel_all_orders( &p );
    case PK_IX_CONSUME_EVENTS_DISCRIMINATOR:        return pk_ix_consume_events( &p );
    case PK_IX_PRUNE_EXPIRED_ORDERS_DISCRIMINATOR:  return pk_ix_prune_expired_orders( &p );
    case PK_IX_UPDATE_PRICES_DISCRIMINATOR:         return pk_ix_update_prices( &p );
    case PK_IX_UPDATE_FUNDING_DISCRIMINATOR:        return pk_ix_update_funding( &p );
    case PK_IX_SETTLE_FUNDING_DISCRIMINATOR:        return pk_ix_settle_funding( &p );
    case PK_IX_SETTLE_PNL_DISCRIMINATOR:            return pk_ix_settle_pnl( &p );
    case PK_IX_LIQUIDATE_PERP_DISCRIMINATOR:        return pk_ix_liquidate_perp( &p );
    case PK_IX_RESOLVE_BANKRUPTCY_DISCRIMINATOR:    return pk_ix_resolve_bankruptcy( &p );
    case PK_IX_SETTLE_REVENUE_TO_INSURANCE_DISCRIMINATOR: return pk_ix_settle_revenue_to_insurance( &p );
    case PK_IX_SETTLE_MARKET_DISCRIMINATOR:         return pk_ix_settle_market( &p );
    case PK_IX_SETTLE_EXPIRED_POSITION_DISCRIMINATOR: return pk_ix_settle_expired_position( &p );
    case PK_IX_INITIALIZE_INSURANCE_FUND_DISCRIMINATOR: return pk_ix_initialize_insurance_fund( &p );
    case PK_IX_ADD_INSURANCE_STAKE_DISCRIMINATOR:   return pk_ix_add_insurance_stake( &p );
    case PK_IX_REQUEST_REMOVE_INSURANCE_STAKE_DISCRIMINATOR: return pk_ix_request_remove_insurance_stake( &p );
    case PK_IX_REMOVE_INSURANCE_STAKE_DISCRIMINATOR: return pk_ix_remove_insurance_stake( &p );
    case PK_IX_ADMIN_WITHDRAW_INSURANCE_DISCRIMINATOR: return pk_ix_admin_withdraw_insurance( &p );
    case PK_IX_INIT_TRIGGER_ORDERS_DISCRIMINATOR:   return pk_ix_init_trigger_orders( &p );
    case PK_IX_PLACE_TRIGGER_ORDER_DISCRIMINATOR:   return pk_ix_place_trigger_order( &p );
    case PK_IX_CANCEL_TRIGGER_ORDER_DISCRIMINATOR:  return pk_ix_cancel_trigger_order( &p );
    case PK_IX_TRIGGER_ORDER_DISCRIMINATOR:         return pk_ix_trigger_order( &p );
    default: PK_FAIL( PK_ERR_UNKNOWN_INSTRUCTION, PK_NO_ACCOUNT );
  }
}
