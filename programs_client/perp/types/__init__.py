import typing
from . import market_status
from .market_status import MarketStatusKind, MarketStatusJSON
from . import oracle_kind
from .oracle_kind import OracleKindKind, OracleKindJSON
from . import oracle_config
from .oracle_config import OracleConfig, OracleConfigJSON
from . import market_params
from .market_params import MarketParams, MarketParamsJSON
from . import perp_position
from .perp_position import PerpPosition, PerpPositionJSON
from . import side
from .side import SideKind, SideJSON
from . import order_type
from .order_type import OrderTypeKind, OrderTypeJSON
from . import resting_order
from .resting_order import RestingOrder, RestingOrderJSON
from . import fill_record
from .fill_record import FillRecord, FillRecordJSON
from . import order_args
from .order_args import OrderArgs, OrderArgsJSON
from . import trigger_kind
from .trigger_kind import TriggerKindKind, TriggerKindJSON
from . import trigger_condition
from .trigger_condition import TriggerConditionKind, TriggerConditionJSON
from . import trigger_price_source
from .trigger_price_source import TriggerPriceSourceKind, TriggerPriceSourceJSON
from . import trigger_order
from .trigger_order import TriggerOrder, TriggerOrderJSON
from . import trigger_order_args
from .trigger_order_args import TriggerOrderArgs, TriggerOrderArgsJSON
