"""The venue emulator on 127.0.0.1 with a flat crowd (no size noise): its book is worked out by hand in the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from localnet.venue.matching import Crowd
from localnet.venue.server import VenueServer

FLAT_CROWD = Crowd(levels=5, half_spread_bps=2.0, step_bps=2.0, qty_per_level=Decimal("2"), qty_noise=0.0)


@pytest.fixture
async def server() -> AsyncIterator[VenueServer]:
    async with VenueServer.default(seed=3, crowd=FLAT_CROWD) as s:
        yield s
