from .exchange import Exchange, ExchangeJSON
from .market import Market, MarketJSON
from .user import User, UserJSON
