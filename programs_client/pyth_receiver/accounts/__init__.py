from .price_update_v2 import PriceUpdateV2, PriceUpdateV2JSON
