from __future__ import annotations
import typing
from dataclasses import dataclass
from construct import Container
import borsh_construct as borsh


class MarketParamsJSON(typing.TypedDict):
    tick_size: int
    lot_size: int
    min_order_size: int
    max_open_interest: int
    funding_period_secs: int
    oracle_max_staleness_slots: int
    min_order_notional: int
    trigger_fee_quote: int
    initial_margin_bps: int
    maintenance_margin_bps: int
    liquidation_fee_bps: int
    insurance_share_bps: int
    taker_fee_bps: int
    maker_rebate_bps: int
    oracle_max_confidence_bps: int
    oracle_max_divergence_bps: int
    max_funding_rate_bps: int
    delegate_price_band_bps: int
    max_orders_per_user: int
    padding: list[int]


@dataclass
class MarketParams:
    layout: typing.ClassVar = borsh.CStruct(
        "tick_size" / borsh.U64,
        "lot_size" / borsh.U64,
        "min_order_size" / borsh.U64,
        "max_open_interest" / borsh.U64,
        "funding_period_secs" / borsh.U64,
        "oracle_max_staleness_slots" / borsh.U64,
        "min_order_notional" / borsh.U64,
        "trigger_fee_quote" / borsh.U64,
        "initial_margin_bps" / borsh.U16,
        "maintenance_margin_bps" / borsh.U16,
        "liquidation_fee_bps" / borsh.U16,
        "insurance_share_bps" / borsh.U16,
        "taker_fee_bps" / borsh.U16,
        "maker_rebate_bps" / borsh.U16,
        "oracle_max_confidence_bps" / borsh.U16,
        "oracle_max_divergence_bps" / borsh.U16,
        "max_funding_rate_bps" / borsh.U16,
        "delegate_price_band_bps" / borsh.U16,
        "max_orders_per_user" / borsh.U8,
        "padding" / borsh.U8[3],
    )
    tick_size: int
    lot_size: int
    min_order_size: int
    max_open_interest: int
    funding_period_secs: int
    oracle_max_staleness_slots: int
    min_order_notional: int
    trigger_fee_quote: int
    initial_margin_bps: int
    maintenance_margin_bps: int
    liquidation_fee_bps: int
    insurance_share_bps: int
    taker_fee_bps: int
    maker_rebate_bps: int
    oracle_max_confidence_bps: int
    oracle_max_divergence_bps: int
    max_funding_rate_bps: int
    delegate_price_band_bps: int
    max_orders_per_user: int
    padding: list[int]

    @classmethod
    def from_decoded(cls, obj: Container) -> "MarketParams":
        return cls(
            tick_size=obj.tick_size,
            lot_size=obj.lot_size,
            min_order_size=obj.min_order_size,
            max_open_interest=obj.max_open_interest,
            funding_period_secs=obj.funding_period_secs,
            oracle_max_staleness_slots=obj.oracle_max_staleness_slots,
            min_order_notional=obj.min_order_notional,
            trigger_fee_quote=obj.trigger_fee_quote,
            initial_margin_bps=obj.initial_margin_bps,
            maintenance_margin_bps=obj.maintenance_margin_bps,
            liquidation_fee_bps=obj.liquidation_fee_bps,
            insurance_share_bps=obj.insurance_share_bps,
            taker_fee_bps=obj.taker_fee_bps,
            maker_rebate_bps=obj.maker_rebate_bps,
            oracle_max_confidence_bps=obj.oracle_max_confidence_bps,
            oracle_max_divergence_bps=obj.oracle_max_divergence_bps,
            max_funding_rate_bps=obj.max_funding_rate_bps,
            delegate_price_band_bps=obj.delegate_price_band_bps,
            max_orders_per_user=obj.max_orders_per_user,
            padding=obj.padding,
        )

    def to_encodable(self) -> dict[str, typing.Any]:
        return {
            "tick_size": self.tick_size,
            "lot_size": self.lot_size,
            "min_order_size": self.min_order_size,
            "max_open_interest": self.max_open_interest,
            "funding_period_secs": self.funding_period_secs,
            "oracle_max_staleness_slots": self.oracle_max_staleness_slots,
            "min_order_notional": self.min_order_notional,
            "trigger_fee_quote": self.trigger_fee_quote,
            "initial_margin_bps": self.initial_margin_bps,
            "maintenance_margin_bps": self.maintenance_margin_bps,
            "liquidation_fee_bps": self.liquidation_fee_bps,
            "insurance_share_bps": self.insurance_share_bps,
            "taker_fee_bps": self.taker_fee_bps,
            "maker_rebate_bps": self.maker_rebate_bps,
            "oracle_max_confidence_bps": self.oracle_max_confidence_bps,
            "oracle_max_divergence_bps": self.oracle_max_divergence_bps,
            "max_funding_rate_bps": self.max_funding_rate_bps,
            "delegate_price_band_bps": self.delegate_price_band_bps,
            "max_orders_per_user": self.max_orders_per_user,
            "padding": self.padding,
        }

    def to_json(self) -> MarketParamsJSON:
        return {
            "tick_size": self.tick_size,
            "lot_size": self.lot_size,
            "min_order_size": self.min_order_size,
            "max_open_interest": self.max_open_interest,
            "funding_period_secs": self.funding_period_secs,
            "oracle_max_staleness_slots": self.oracle_max_staleness_slots,
            "min_order_notional": self.min_order_notional,
            "trigger_fee_quote": self.trigger_fee_quote,
            "initial_margin_bps": self.initial_margin_bps,
            "maintenance_margin_bps": self.maintenance_margin_bps,
            "liquidation_fee_bps": self.liquidation_fee_bps,
            "insurance_share_bps": self.insurance_share_bps,
            "taker_fee_bps": self.taker_fee_bps,
            "maker_rebate_bps": self.maker_rebate_bps,
            "oracle_max_confidence_bps": self.oracle_max_confidence_bps,
            "oracle_max_divergence_bps": self.oracle_max_divergence_bps,
            "max_funding_rate_bps": self.max_funding_rate_bps,
            "delegate_price_band_bps": self.delegate_price_band_bps,
            "max_orders_per_user": self.max_orders_per_user,
            "padding": self.padding,
        }

    @classmethod
    def from_json(cls, obj: MarketParamsJSON) -> "MarketParams":
        return cls(
            tick_size=obj["tick_size"],
            lot_size=obj["lot_size"],
            min_order_size=obj["min_order_size"],
            max_open_interest=obj["max_open_interest"],
            funding_period_secs=obj["funding_period_secs"],
            oracle_max_staleness_slots=obj["oracle_max_staleness_slots"],
            min_order_notional=obj["min_order_notional"],
            trigger_fee_quote=obj["trigger_fee_quote"],
            initial_margin_bps=obj["initial_margin_bps"],
            maintenance_margin_bps=obj["maintenance_margin_bps"],
            liquidation_fee_bps=obj["liquidation_fee_bps"],
            insurance_share_bps=obj["insurance_share_bps"],
            taker_fee_bps=obj["taker_fee_bps"],
            maker_rebate_bps=obj["maker_rebate_bps"],
            oracle_max_confidence_bps=obj["oracle_max_confidence_bps"],
            oracle_max_divergence_bps=obj["oracle_max_divergence_bps"],
            max_funding_rate_bps=obj["max_funding_rate_bps"],
            delegate_price_band_bps=obj["delegate_price_band_bps"],
            max_orders_per_user=obj["max_orders_per_user"],
            padding=obj["padding"],
        )
