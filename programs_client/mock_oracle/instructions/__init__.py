from .initialize import initialize, InitializeAccounts
from .write_pyth_legacy import (
    write_pyth_legacy,
    WritePythLegacyArgs,
    WritePythLegacyAccounts,
)
from .write_price_update_v2 import (
    write_price_update_v2,
    WritePriceUpdateV2Args,
    WritePriceUpdateV2Accounts,
)
from .write_switchboard_v2 import (
    write_switchboard_v2,
    WriteSwitchboardV2Args,
    WriteSwitchboardV2Accounts,
)
from .write_switchboard_on_demand import (
    write_switchboard_on_demand,
    WriteSwitchboardOnDemandArgs,
    WriteSwitchboardOnDemandAccounts,
)
