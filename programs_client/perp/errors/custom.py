import typing
from anchorpy.error import ProgramError


class UnknownInstruction(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6000, "Instruction data does not start with a known discriminator"
        )

    code = 6000
    name = "UnknownInstruction"
    msg = "Instruction data does not start with a known discriminator"


class InvalidInstructionData(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6001, "Instruction data has the wrong length or an out-of-range value"
        )

    code = 6001
    name = "InvalidInstructionData"
    msg = "Instruction data has the wrong length or an out-of-range value"


class NotEnoughAccounts(ProgramError):
    def __init__(self) -> None:
        super().__init__(6002, "Fewer accounts than the instruction requires")

    code = 6002
    name = "NotEnoughAccounts"
    msg = "Fewer accounts than the instruction requires"


class MissingSigner(ProgramError):
    def __init__(self) -> None:
        super().__init__(6003, "An account that must sign did not")

    code = 6003
    name = "MissingSigner"
    msg = "An account that must sign did not"


class AccountNotWritable(ProgramError):
    def __init__(self) -> None:
        super().__init__(6004, "An account that must be writable is not")

    code = 6004
    name = "AccountNotWritable"
    msg = "An account that must be writable is not"


class InvalidAccountOwner(ProgramError):
    def __init__(self) -> None:
        super().__init__(6005, "An account is owned by the wrong program")

    code = 6005
    name = "InvalidAccountOwner"
    msg = "An account is owned by the wrong program"


class InvalidDiscriminator(ProgramError):
    def __init__(self) -> None:
        super().__init__(6006, "Account data does not carry the expected discriminator")

    code = 6006
    name = "InvalidDiscriminator"
    msg = "Account data does not carry the expected discriminator"


class InvalidAccountSize(ProgramError):
    def __init__(self) -> None:
        super().__init__(6007, "Account data has the wrong size")

    code = 6007
    name = "InvalidAccountSize"
    msg = "Account data has the wrong size"


class InvalidPda(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6008, "Address is not the canonical program-derived address for its seeds"
        )

    code = 6008
    name = "InvalidPda"
    msg = "Address is not the canonical program-derived address for its seeds"


class AccountAlreadyInitialized(ProgramError):
    def __init__(self) -> None:
        super().__init__(6009, "The account to create already holds data")

    code = 6009
    name = "AccountAlreadyInitialized"
    msg = "The account to create already holds data"


class InvalidProgramId(ProgramError):
    def __init__(self) -> None:
        super().__init__(6010, "A program account is not the expected program")

    code = 6010
    name = "InvalidProgramId"
    msg = "A program account is not the expected program"


class Unauthorized(ProgramError):
    def __init__(self) -> None:
        super().__init__(6011, "Signer is not the admin or the account's authority")

    code = 6011
    name = "Unauthorized"
    msg = "Signer is not the admin or the account's authority"


class InvalidMint(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6012,
            "Mint is not the exchange's collateral mint or not a valid 6-decimal mint",
        )

    code = 6012
    name = "InvalidMint"
    msg = "Mint is not the exchange's collateral mint or not a valid 6-decimal mint"


class InvalidTokenAccount(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6013,
            "Token account is not an initialized SPL Token account of the collateral mint",
        )

    code = 6013
    name = "InvalidTokenAccount"
    msg = "Token account is not an initialized SPL Token account of the collateral mint"


class TokenAccountOwnerMismatch(ProgramError):
    def __init__(self) -> None:
        super().__init__(6014, "Token account is not owned by the signer")

    code = 6014
    name = "TokenAccountOwnerMismatch"
    msg = "Token account is not owned by the signer"


class InvalidVault(ProgramError):
    def __init__(self) -> None:
        super().__init__(6015, "Vault is not the exchange's collateral vault")

    code = 6015
    name = "InvalidVault"
    msg = "Vault is not the exchange's collateral vault"


class InvalidMarketParams(ProgramError):
    def __init__(self) -> None:
        super().__init__(6016, "Market parameters out of range")

    code = 6016
    name = "InvalidMarketParams"
    msg = "Market parameters out of range"


class InvalidOracleConfig(ProgramError):
    def __init__(self) -> None:
        super().__init__(6017, "Oracle configuration out of range")

    code = 6017
    name = "InvalidOracleConfig"
    msg = "Oracle configuration out of range"


class InvalidMarketIndex(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6018, "Market index is not the next index or does not match the market"
        )

    code = 6018
    name = "InvalidMarketIndex"
    msg = "Market index is not the next index or does not match the market"


class InvalidStatusTransition(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6019, "The market cannot move to that status with this instruction"
        )

    code = 6019
    name = "InvalidStatusTransition"
    msg = "The market cannot move to that status with this instruction"


class ZeroAmount(ProgramError):
    def __init__(self) -> None:
        super().__init__(6020, "Amount must be positive")

    code = 6020
    name = "ZeroAmount"
    msg = "Amount must be positive"


class InsufficientCollateral(ProgramError):
    def __init__(self) -> None:
        super().__init__(6021, "Not enough free collateral")

    code = 6021
    name = "InsufficientCollateral"
    msg = "Not enough free collateral"


class MathOverflow(ProgramError):
    def __init__(self) -> None:
        super().__init__(6022, "Arithmetic overflow")

    code = 6022
    name = "MathOverflow"
    msg = "Arithmetic overflow"


class OperationPaused(ProgramError):
    def __init__(self) -> None:
        super().__init__(6023, "The operation is paused by the admin")

    code = 6023
    name = "OperationPaused"
    msg = "The operation is paused by the admin"


class InvalidRent(ProgramError):
    def __init__(self) -> None:
        super().__init__(6024, "Rent sysvar has an unsupported exemption threshold")

    code = 6024
    name = "InvalidRent"
    msg = "Rent sysvar has an unsupported exemption threshold"


class TokenTransferFailed(ProgramError):
    def __init__(self) -> None:
        super().__init__(6025, "The SPL Token transfer failed")

    code = 6025
    name = "TokenTransferFailed"
    msg = "The SPL Token transfer failed"


class InvalidMarketName(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6026, "Market name must be printable ASCII, zero-padded, not empty"
        )

    code = 6026
    name = "InvalidMarketName"
    msg = "Market name must be printable ASCII, zero-padded, not empty"


class InsufficientTokenBalance(ProgramError):
    def __init__(self) -> None:
        super().__init__(6027, "The source token account holds less than the amount")

    code = 6027
    name = "InsufficientTokenBalance"
    msg = "The source token account holds less than the amount"


class TooManyAccounts(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6028, "More accounts than the program accepts in one instruction"
        )

    code = 6028
    name = "TooManyAccounts"
    msg = "More accounts than the program accepts in one instruction"


class OracleWrongAccount(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6029,
            "Oracle account is not the one the market names, or not owned by its configured program",
        )

    code = 6029
    name = "OracleWrongAccount"
    msg = "Oracle account is not the one the market names, or not owned by its configured program"


class OracleInvalidData(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6030,
            "Oracle account data is malformed (size, magic, version, type, discriminator, feed id or verification level)",
        )

    code = 6030
    name = "OracleInvalidData"
    msg = "Oracle account data is malformed (size, magic, version, type, discriminator, feed id or verification level)"


class OracleNonPositive(ProgramError):
    def __init__(self) -> None:
        super().__init__(6031, "Oracle price is zero or negative")

    code = 6031
    name = "OracleNonPositive"
    msg = "Oracle price is zero or negative"


class OracleStale(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6032, "Oracle price is older than the market's maximum staleness"
        )

    code = 6032
    name = "OracleStale"
    msg = "Oracle price is older than the market's maximum staleness"


class OracleConfidenceTooWide(ProgramError):
    def __init__(self) -> None:
        super().__init__(6033, "Oracle confidence is wider than the market allows")

    code = 6033
    name = "OracleConfidenceTooWide"
    msg = "Oracle confidence is wider than the market allows"


class OracleDivergence(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6034, "Primary and fallback oracle prices diverge beyond the market's limit"
        )

    code = 6034
    name = "OracleDivergence"
    msg = "Primary and fallback oracle prices diverge beyond the market's limit"


class OracleUnavailable(ProgramError):
    def __init__(self) -> None:
        super().__init__(6035, "Neither oracle source gives a valid price")

    code = 6035
    name = "OracleUnavailable"
    msg = "Neither oracle source gives a valid price"


class MarketNotTradable(ProgramError):
    def __init__(self) -> None:
        super().__init__(6036, "The market's status does not allow this order")

    code = 6036
    name = "MarketNotTradable"
    msg = "The market's status does not allow this order"


class InvalidOrder(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6037,
            "Order price or size is zero, off the tick or lot grid, or below the minimum size",
        )

    code = 6037
    name = "InvalidOrder"
    msg = "Order price or size is zero, off the tick or lot grid, or below the minimum size"


class PostOnlyWouldCross(ProgramError):
    def __init__(self) -> None:
        super().__init__(6038, "A post-only order would have matched")

    code = 6038
    name = "PostOnlyWouldCross"
    msg = "A post-only order would have matched"


class ReduceOnlyViolated(ProgramError):
    def __init__(self) -> None:
        super().__init__(6039, "A reduce-only order would increase the position")

    code = 6039
    name = "ReduceOnlyViolated"
    msg = "A reduce-only order would increase the position"


class OrderbookFull(ProgramError):
    def __init__(self) -> None:
        super().__init__(6040, "The book side is full")

    code = 6040
    name = "OrderbookFull"
    msg = "The book side is full"


class EventQueueFull(ProgramError):
    def __init__(self) -> None:
        super().__init__(6041, "The event queue is full: run consume_events")

    code = 6041
    name = "EventQueueFull"
    msg = "The event queue is full: run consume_events"


class OrderNotFound(ProgramError):
    def __init__(self) -> None:
        super().__init__(6042, "No resting order of this user with that id")

    code = 6042
    name = "OrderNotFound"
    msg = "No resting order of this user with that id"


class TooManyPositions(ProgramError):
    def __init__(self) -> None:
        super().__init__(6043, "All position slots of the User are in use")

    code = 6043
    name = "TooManyPositions"
    msg = "All position slots of the User are in use"


class MissingMarketAccount(ProgramError):
    def __init__(self) -> None:
        super().__init__(6044, "A market the User holds a position in was not passed")

    code = 6044
    name = "MissingMarketAccount"
    msg = "A market the User holds a position in was not passed"


class InsufficientMargin(ProgramError):
    def __init__(self) -> None:
        super().__init__(6045, "The User would not meet initial margin")

    code = 6045
    name = "InsufficientMargin"
    msg = "The User would not meet initial margin"


class OpenInterestLimit(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6046, "The order would raise open interest above the market maximum"
        )

    code = 6046
    name = "OpenInterestLimit"
    msg = "The order would raise open interest above the market maximum"


class MakerNotPassed(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6047, "The next fill's maker account was not passed to consume_events"
        )

    code = 6047
    name = "MakerNotPassed"
    msg = "The next fill's maker account was not passed to consume_events"


class MarketAccountMismatch(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6048, "Order book or event queue does not belong to the market"
        )

    code = 6048
    name = "MarketAccountMismatch"
    msg = "Order book or event queue does not belong to the market"


class FundingTooEarly(ProgramError):
    def __init__(self) -> None:
        super().__init__(6049, "The funding period has not elapsed yet")

    code = 6049
    name = "FundingTooEarly"
    msg = "The funding period has not elapsed yet"


class PricesStale(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6050,
            "The market's prices were not updated recently enough for this operation",
        )

    code = 6050
    name = "PricesStale"
    msg = "The market's prices were not updated recently enough for this operation"


class NotLiquidatable(ProgramError):
    def __init__(self) -> None:
        super().__init__(6051, "The User meets maintenance margin")

    code = 6051
    name = "NotLiquidatable"
    msg = "The User meets maintenance margin"


class CannotLiquidateSelf(ProgramError):
    def __init__(self) -> None:
        super().__init__(6052, "The liquidator account is the liquidated account")

    code = 6052
    name = "CannotLiquidateSelf"
    msg = "The liquidator account is the liquidated account"


class NoPositionToLiquidate(ProgramError):
    def __init__(self) -> None:
        super().__init__(6053, "The User has no position in this market")

    code = 6053
    name = "NoPositionToLiquidate"
    msg = "The User has no position in this market"


class NotBankrupt(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6054,
            "The User still holds positions or has no loss to cover in this market",
        )

    code = 6054
    name = "NotBankrupt"
    msg = "The User still holds positions or has no loss to cover in this market"


class RevenueSettleTooEarly(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6055, "Revenue was swept less than REVENUE_SETTLE_INTERVAL_SECS ago"
        )

    code = 6055
    name = "RevenueSettleTooEarly"
    msg = "Revenue was swept less than REVENUE_SETTLE_INTERVAL_SECS ago"


class EventQueueNotEmpty(ProgramError):
    def __init__(self) -> None:
        super().__init__(6056, "The event queue must be drained first")

    code = 6056
    name = "EventQueueNotEmpty"
    msg = "The event queue must be drained first"


class MarketNotInSettlement(ProgramError):
    def __init__(self) -> None:
        super().__init__(6057, "The market is not in Settlement")

    code = 6057
    name = "MarketNotInSettlement"
    msg = "The market is not in Settlement"


class OrderPriceOutOfBand(ProgramError):
    def __init__(self) -> None:
        super().__init__(6058, "Order price is more than 50% away from the mark price")

    code = 6058
    name = "OrderPriceOutOfBand"
    msg = "Order price is more than 50% away from the mark price"


class CooldownNotElapsed(ProgramError):
    def __init__(self) -> None:
        super().__init__(6059, "The unstake cooldown has not elapsed")

    code = 6059
    name = "CooldownNotElapsed"
    msg = "The unstake cooldown has not elapsed"


class InsufficientShares(ProgramError):
    def __init__(self) -> None:
        super().__init__(6060, "Not enough shares, or no removal requested")

    code = 6060
    name = "InsufficientShares"
    msg = "Not enough shares, or no removal requested"


class InsuranceLimit(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6061, "The amount exceeds the protocol's share of the insurance fund"
        )

    code = 6061
    name = "InsuranceLimit"
    msg = "The amount exceeds the protocol's share of the insurance fund"


class ReduceOnlyWorseThanLiquidation(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6062,
            "A reduce-only order that leaves the account below maintenance margin (counting its resting orders priced through the mark) would lose more than a liquidation at mark would",
        )

    code = 6062
    name = "ReduceOnlyWorseThanLiquidation"
    msg = "A reduce-only order that leaves the account below maintenance margin (counting its resting orders priced through the mark) would lose more than a liquidation at mark would"


class MakerFillsPending(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6063,
            "Maker fills of this User wait in the event queue: crank consume_events first",
        )

    code = 6063
    name = "MakerFillsPending"
    msg = "Maker fills of this User wait in the event queue: crank consume_events first"


class OrderBelowMinNotional(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6070,
            "A resting order must be worth at least the market's minimum order notional",
        )

    code = 6070
    name = "OrderBelowMinNotional"
    msg = "A resting order must be worth at least the market's minimum order notional"


class TooManyOpenOrders(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6071, "The user already holds the market's maximum number of resting orders"
        )

    code = 6071
    name = "TooManyOpenOrders"
    msg = "The user already holds the market's maximum number of resting orders"


class DelegateMayNotRest(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6072, "A delegate may only place immediate-or-cancel or market orders"
        )

    code = 6072
    name = "DelegateMayNotRest"
    msg = "A delegate may only place immediate-or-cancel or market orders"


class DelegatePriceOutOfBand(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6073,
            "A delegate's order must be priced within the market's delegate band of the mark",
        )

    code = 6073
    name = "DelegatePriceOutOfBand"
    msg = "A delegate's order must be priced within the market's delegate band of the mark"


class MarkStale(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6078,
            "A mark price the action is valued at is older than oracleMaxStalenessSlots: crank update_prices first",
        )

    code = 6078
    name = "MarkStale"
    msg = "A mark price the action is valued at is older than oracleMaxStalenessSlots: crank update_prices first"


class InsuranceStakeTooSmall(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6086, "The first stake of a share epoch must exceed the fund's dead shares"
        )

    code = 6086
    name = "InsuranceStakeTooSmall"
    msg = "The first stake of a share epoch must exceed the fund's dead shares"


class RemovalRequestExpired(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6087, "The removal request expired after its window: request again"
        )

    code = 6087
    name = "RemovalRequestExpired"
    msg = "The removal request expired after its window: request again"


class BankruptcyPending(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6088,
            "A bankruptcy is pending: insurance removals wait for resolve_bankruptcy",
        )

    code = 6088
    name = "BankruptcyPending"
    msg = "A bankruptcy is pending: insurance removals wait for resolve_bankruptcy"


class NotUpgradeAuthority(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6089,
            "The signer is not the program's upgrade authority (or the program data account is not the program's)",
        )

    code = 6089
    name = "NotUpgradeAuthority"
    msg = "The signer is not the program's upgrade authority (or the program data account is not the program's)"


class ExpiryInPast(ProgramError):
    def __init__(self) -> None:
        super().__init__(6100, "The order's expirySlot is not after the current slot")

    code = 6100
    name = "ExpiryInPast"
    msg = "The order's expirySlot is not after the current slot"


class MinFillNotMet(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6101,
            "The order filled less than its minFillBase: the transaction is refused and nothing trades",
        )

    code = 6101
    name = "MinFillNotMet"
    msg = "The order filled less than its minFillBase: the transaction is refused and nothing trades"


class MinFillOnPostOnly(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6102, "A PostOnly order never fills at once: it cannot carry a minFillBase"
        )

    code = 6102
    name = "MinFillOnPostOnly"
    msg = "A PostOnly order never fills at once: it cannot carry a minFillBase"


class NothingToPrune(ProgramError):
    def __init__(self) -> None:
        super().__init__(6103, "No expired order rests in the book")

    code = 6103
    name = "NothingToPrune"
    msg = "No expired order rests in the book"


class TriggerConditionNotMet(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6110,
            "The trigger order's condition does not hold at the market's current mark or oracle price",
        )

    code = 6110
    name = "TriggerConditionNotMet"
    msg = "The trigger order's condition does not hold at the market's current mark or oracle price"


class TriggerSlotsFull(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6111, "Every slot of the TriggerOrders account is taken: cancel one first"
        )

    code = 6111
    name = "TriggerSlotsFull"
    msg = "Every slot of the TriggerOrders account is taken: cancel one first"


class TriggerNotFound(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6112, "No trigger order with this id in the TriggerOrders account"
        )

    code = 6112
    name = "TriggerNotFound"
    msg = "No trigger order with this id in the TriggerOrders account"


class InvalidTriggerParams(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6113,
            "Trigger order parameters out of range (kind, condition, source, price, size, limit price)",
        )

    code = 6113
    name = "InvalidTriggerParams"
    msg = "Trigger order parameters out of range (kind, condition, source, price, size, limit price)"


class TriggerPriceNotFresh(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6114,
            "The market's price was not updated in this slot: crank update_prices in the same transaction",
        )

    code = 6114
    name = "TriggerPriceNotFresh"
    msg = "The market's price was not updated in this slot: crank update_prices in the same transaction"


CustomError = typing.Union[
    UnknownInstruction,
    InvalidInstructionData,
    NotEnoughAccounts,
    MissingSigner,
    AccountNotWritable,
    InvalidAccountOwner,
    InvalidDiscriminator,
    InvalidAccountSize,
    InvalidPda,
    AccountAlreadyInitialized,
    InvalidProgramId,
    Unauthorized,
    InvalidMint,
    InvalidTokenAccount,
    TokenAccountOwnerMismatch,
    InvalidVault,
    InvalidMarketParams,
    InvalidOracleConfig,
    InvalidMarketIndex,
    InvalidStatusTransition,
    ZeroAmount,
    InsufficientCollateral,
    MathOverflow,
    OperationPaused,
    InvalidRent,
    TokenTransferFailed,
    InvalidMarketName,
    InsufficientTokenBalance,
    TooManyAccounts,
    OracleWrongAccount,
    OracleInvalidData,
    OracleNonPositive,
    OracleStale,
    OracleConfidenceTooWide,
    OracleDivergence,
    OracleUnavailable,
    MarketNotTradable,
    InvalidOrder,
    PostOnlyWouldCross,
    ReduceOnlyViolated,
    OrderbookFull,
    EventQueueFull,
    OrderNotFound,
    TooManyPositions,
    MissingMarketAccount,
    InsufficientMargin,
    OpenInterestLimit,
    MakerNotPassed,
    MarketAccountMismatch,
    FundingTooEarly,
    PricesStale,
    NotLiquidatable,
    CannotLiquidateSelf,
    NoPositionToLiquidate,
    NotBankrupt,
    RevenueSettleTooEarly,
    EventQueueNotEmpty,
    MarketNotInSettlement,
    OrderPriceOutOfBand,
    CooldownNotElapsed,
    InsufficientShares,
    InsuranceLimit,
    ReduceOnlyWorseThanLiquidation,
    MakerFillsPending,
    OrderBelowMinNotional,
    TooManyOpenOrders,
    DelegateMayNotRest,
    DelegatePriceOutOfBand,
    MarkStale,
    InsuranceStakeTooSmall,
    RemovalRequestExpired,
    BankruptcyPending,
    NotUpgradeAuthority,
    ExpiryInPast,
    MinFillNotMet,
    MinFillOnPostOnly,
    NothingToPrune,
    TriggerConditionNotMet,
    TriggerSlotsFull,
    TriggerNotFound,
    InvalidTriggerParams,
    TriggerPriceNotFresh,
]
CUSTOM_ERROR_MAP: dict[int, CustomError] = {
    6000: UnknownInstruction(),
    6001: InvalidInstructionData(),
    6002: NotEnoughAccounts(),
    6003: MissingSigner(),
    6004: AccountNotWritable(),
    6005: InvalidAccountOwner(),
    6006: InvalidDiscriminator(),
    6007: InvalidAccountSize(),
    6008: InvalidPda(),
    6009: AccountAlreadyInitialized(),
    6010: InvalidProgramId(),
    6011: Unauthorized(),
    6012: InvalidMint(),
    6013: InvalidTokenAccount(),
    6014: TokenAccountOwnerMismatch(),
    6015: InvalidVault(),
    6016: InvalidMarketParams(),
    6017: InvalidOracleConfig(),
    6018: InvalidMarketIndex(),
    6019: InvalidStatusTransition(),
    6020: ZeroAmount(),
    6021: InsufficientCollateral(),
    6022: MathOverflow(),
    6023: OperationPaused(),
    6024: InvalidRent(),
    6025: TokenTransferFailed(),
    6026: InvalidMarketName(),
    6027: InsufficientTokenBalance(),
    6028: TooManyAccounts(),
    6029: OracleWrongAccount(),
    6030: OracleInvalidData(),
    6031: OracleNonPositive(),
    6032: OracleStale(),
    6033: OracleConfidenceTooWide(),
    6034: OracleDivergence(),
    6035: OracleUnavailable(),
    6036: MarketNotTradable(),
    6037: InvalidOrder(),
    6038: PostOnlyWouldCross(),
    6039: ReduceOnlyViolated(),
    6040: OrderbookFull(),
    6041: EventQueueFull(),
    6042: OrderNotFound(),
    6043: TooManyPositions(),
    6044: MissingMarketAccount(),
    6045: InsufficientMargin(),
    6046: OpenInterestLimit(),
    6047: MakerNotPassed(),
    6048: MarketAccountMismatch(),
    6049: FundingTooEarly(),
    6050: PricesStale(),
    6051: NotLiquidatable(),
    6052: CannotLiquidateSelf(),
    6053: NoPositionToLiquidate(),
    6054: NotBankrupt(),
    6055: RevenueSettleTooEarly(),
    6056: EventQueueNotEmpty(),
    6057: MarketNotInSettlement(),
    6058: OrderPriceOutOfBand(),
    6059: CooldownNotElapsed(),
    6060: InsufficientShares(),
    6061: InsuranceLimit(),
    6062: ReduceOnlyWorseThanLiquidation(),
    6063: MakerFillsPending(),
    6070: OrderBelowMinNotional(),
    6071: TooManyOpenOrders(),
    6072: DelegateMayNotRest(),
    6073: DelegatePriceOutOfBand(),
    6078: MarkStale(),
    6086: InsuranceStakeTooSmall(),
    6087: RemovalRequestExpired(),
    6088: BankruptcyPending(),
    6089: NotUpgradeAuthority(),
    6100: ExpiryInPast(),
    6101: MinFillNotMet(),
    6102: MinFillOnPostOnly(),
    6103: NothingToPrune(),
    6110: TriggerConditionNotMet(),
    6111: TriggerSlotsFull(),
    6112: TriggerNotFound(),
    6113: InvalidTriggerParams(),
    6114: TriggerPriceNotFresh(),
}


def from_code(code: int) -> typing.Optional[CustomError]:
    maybe_err = CUSTOM_ERROR_MAP.get(code)
    if maybe_err is None:
        return None
    return maybe_err
