import typing
from . import switchboard_decimal
from .switchboard_decimal import SwitchboardDecimal, SwitchboardDecimalJSON
from . import hash
from .hash import Hash, HashJSON
from . import aggregator_round
from .aggregator_round import AggregatorRound, AggregatorRoundJSON
