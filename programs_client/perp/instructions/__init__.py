from .initialize_exchange import initialize_exchange, InitializeExchangeAccounts
from .set_paused_operations import (
    set_paused_operations,
    SetPausedOperationsArgs,
    SetPausedOperationsAccounts,
)
from .transfer_admin import transfer_admin, TransferAdminArgs, TransferAdminAccounts
from .initialize_market import (
    initialize_market,
    InitializeMarketArgs,
    InitializeMarketAccounts,
)
from .update_market_params import (
    update_market_params,
    UpdateMarketParamsArgs,
    UpdateMarketParamsAccounts,
)
from .update_market_oracle import (
    update_market_oracle,
    UpdateMarketOracleArgs,
    UpdateMarketOracleAccounts,
)
from .set_market_status import (
    set_market_status,
    SetMarketStatusArgs,
    SetMarketStatusAccounts,
)
from .initialize_user import initialize_user, InitializeUserArgs, InitializeUserAccounts
from .set_user_delegate import (
    set_user_delegate,
    SetUserDelegateArgs,
    SetUserDelegateAccounts,
)
from .deposit import deposit, DepositArgs, DepositAccounts
from .withdraw import withdraw, WithdrawArgs, WithdrawAccounts
from .place_order import place_order, PlaceOrderArgs, PlaceOrderAccounts
from .cancel_order import cancel_order, CancelOrderArgs, CancelOrderAccounts
from .cancel_all_orders import cancel_all_orders, CancelAllOrdersAccounts
from .consume_events import consume_events, ConsumeEventsArgs, ConsumeEventsAccounts
from .prune_expired_orders import (
    prune_expired_orders,
    PruneExpiredOrdersArgs,
    PruneExpiredOrdersAccounts,
)
from .update_prices import update_prices, UpdatePricesAccounts
from .update_funding import update_funding, UpdateFundingAccounts
from .settle_funding import settle_funding, SettleFundingAccounts
from .settle_pnl import settle_pnl, SettlePnlAccounts
from .liquidate_perp import liquidate_perp, LiquidatePerpArgs, LiquidatePerpAccounts
from .resolve_bankruptcy import resolve_bankruptcy, ResolveBankruptcyAccounts
from .settle_revenue_to_insurance import (
    settle_revenue_to_insurance,
    SettleRevenueToInsuranceAccounts,
)
from .settle_market import settle_market, SettleMarketArgs, SettleMarketAccounts
from .settle_expired_position import (
    settle_expired_position,
    SettleExpiredPositionAccounts,
)
from .initialize_insurance_fund import (
    initialize_insurance_fund,
    InitializeInsuranceFundArgs,
    InitializeInsuranceFundAccounts,
)
from .add_insurance_stake import (
    add_insurance_stake,
    AddInsuranceStakeArgs,
    AddInsuranceStakeAccounts,
)
from .request_remove_insurance_stake import (
    request_remove_insurance_stake,
    RequestRemoveInsuranceStakeArgs,
    RequestRemoveInsuranceStakeAccounts,
)
from .remove_insurance_stake import remove_insurance_stake, RemoveInsuranceStakeAccounts
from .admin_withdraw_insurance import (
    admin_withdraw_insurance,
    AdminWithdrawInsuranceArgs,
    AdminWithdrawInsuranceAccounts,
)
from .init_trigger_orders import init_trigger_orders, InitTriggerOrdersAccounts
from .place_trigger_order import (
    place_trigger_order,
    PlaceTriggerOrderArgs,
    PlaceTriggerOrderAccounts,
)
from .cancel_trigger_order import (
    cancel_trigger_order,
    CancelTriggerOrderArgs,
    CancelTriggerOrderAccounts,
)
from .trigger_order import trigger_order, TriggerOrderArgs, TriggerOrderAccounts
