import typing
from . import price_feed_message
from .price_feed_message import PriceFeedMessage, PriceFeedMessageJSON
from . import verification_level
from .verification_level import VerificationLevelKind, VerificationLevelJSON
