from .exchange import Exchange, ExchangeJSON
from .market import Market, MarketJSON
from .user import User, UserJSON
from .orderbook import Orderbook, OrderbookJSON
from .event_queue import EventQueue, EventQueueJSON
from .insurance_fund import InsuranceFund, InsuranceFundJSON
from .insurance_stake import InsuranceStake, InsuranceStakeJSON
from .trigger_orders import TriggerOrders, TriggerOrdersJSON
