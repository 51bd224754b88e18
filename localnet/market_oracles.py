"""The mock-oracle price accounts of localnet markets: which accounts, their layouts, their first price.

Each market that `perpkeep localnet up` creates reads a Pyth legacy price account (the primary) and,
by default, a Pyth ``PriceUpdateV2`` account (the fallback, with a feed id derived from the market
name), both owned by the mock oracle program (``localnet.mock_oracle``). ``BootstrapPlan.steps``
(``localnet.deployment``) creates them for both bootstraps (in-process and over RPC); the price
publisher (``localnet.price_service``) writes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.exchange import instructions as ix
from keepers.exchange.oracles import OracleKind
from localnet import mock_oracle as mo
from localnet.price_publisher import OracleFeed
from programs_client.perp.constants import BPS
from programs_client.perp.program_id import PROGRAM_ID
from programs_client.perp.types.oracle_config import OracleConfig

# Quote per base: the price a market's oracles start at (and its price path starts from).
DEFAULT_PRICES = {"SOL-PERP": 150.0, "BTC-PERP": 60_000.0, "ETH-PERP": 3_000.0}
OTHER_MARKET_PRICE = 100.0
PRICE_EXPONENT = -8        # of both Pyth layouts: raw = price * 10^8
CONFIDENCE_BPS = 10.0      # published confidence, well inside the markets' 200 bps limit
ORACLE_AUTHORITY_SOL = 100  # the mock oracle authority pays for every price update


def default_price(market: str) -> float:
    """The starting price of ``market`` (quote per base)."""
    return DEFAULT_PRICES.get(market, OTHER_MARKET_PRICE)


def feed_id_for(market: str) -> bytes:
    """The Pyth feed id of the market's PriceUpdateV2 fallback (a hash of the market name)."""
    return hashlib.sha256(b"perpkeep localnet feed " + market.encode()).digest()


def kind_name(kind: OracleKind) -> str:
    """``OracleKind.PYTH_PULL_V2`` -> ``"pyth_pull_v2"`` (as written to deployment.json and keeper.toml)."""
    return kind.name.lower()


@dataclass(frozen=True)
class MarketOracles:
    """A market's price accounts in the mock oracle: the primary and an optional fallback."""

    primary: OracleFeed
    fallback: OracleFeed | None = None
    program_id: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID

    @property
    def feeds(self) -> tuple[OracleFeed, ...]:
        """Every feed the publisher writes, primary first."""
        return (self.primary,) if self.fallback is None else (self.primary, self.fallback)

    def config(self) -> OracleConfig:
        """The market's OracleConfig naming these accounts, owned by the mock oracle program."""
        fb = self.fallback
        return mo.mock_oracle_config(
            self.primary.kind, self.primary.address,
            fb.kind if fb else OracleKind.NONE, fb.address if fb else None,
            primary_feed_id=self.primary.feed_id, fallback_feed_id=fb.feed_id if fb else bytes(32),
            program_id=self.program_id,
        )

    def write_ixs(self, authority: Pubkey, price: float, confidence_bps: float = CONFIDENCE_BPS) -> list[Instruction]:
        """Mock oracle writes of ``price`` (quote per base) to every feed, stamped with the current slot."""
        conf = price * confidence_bps / BPS
        return [f.write_ix(authority, price, conf) for f in self.feeds]

    def update_prices_ix(self, market_index: int, program_id: Pubkey = PROGRAM_ID) -> Instruction:
        """The perp program's update_prices crank for the market, with these accounts."""
        return ix.update_prices(market_index, self.primary.address,
                                self.fallback.address if self.fallback else None, program_id)

    def describe(self) -> dict[str, object]:
        """JSON description: each source's kind, address, exponent and (Pyth pull) feed id."""
        def one(f: OracleFeed) -> dict[str, object]:
            out: dict[str, object] = {"kind": kind_name(f.kind), "address": str(f.address), "exponent": f.exponent}
            if f.kind == OracleKind.PYTH_PULL_V2:
                out["feed_id"] = f.feed_id.hex()
            return out

        return {"program_id": str(self.program_id), "primary": one(self.primary),
                "fallback": one(self.fallback) if self.fallback else None}


@dataclass(frozen=True)
class NewMarketOracles:
    """Price accounts still to be created: the plan and the keypairs that sign their creation."""

    oracles: MarketOracles
    keypairs: tuple[Keypair, ...]

    def create_ixs(self, payer: Pubkey) -> list[Instruction]:
        """System-program creations of every account (each keypair signs), owned by the mock oracle."""
        return [mo.create_price_account_ix(payer, kp.pubkey(), f.kind, self.oracles.program_id)
                for kp, f in zip(self.keypairs, self.oracles.feeds, strict=True)]


def plan_market_oracles(market: str, with_fallback: bool = True,
                        program_id: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID,
                        keys: Callable[[str], Keypair] | None = None) -> NewMarketOracles:
    """Fresh accounts for ``market``: Pyth legacy primary and (``with_fallback``) PriceUpdateV2 fallback.
    ``keys(role)`` ("primary", "fallback") gives their keypairs (default: new ones)."""
    keys = keys or (lambda _role: Keypair())
    primary_kp = keys("primary")
    primary = OracleFeed(OracleKind.PYTH_LEGACY, primary_kp.pubkey(), exponent=PRICE_EXPONENT)
    if not with_fallback:
        return NewMarketOracles(MarketOracles(primary, None, program_id), (primary_kp,))
    fallback_kp = keys("fallback")
    fallback = OracleFeed(OracleKind.PYTH_PULL_V2, fallback_kp.pubkey(), exponent=PRICE_EXPONENT,
                          feed_id=feed_id_for(market))
    return NewMarketOracles(MarketOracles(primary, fallback, program_id), (primary_kp, fallback_kp))


__all__ = [
    "CONFIDENCE_BPS",
    "DEFAULT_PRICES",
    "ORACLE_AUTHORITY_SOL",
    "PRICE_EXPONENT",
    "MarketOracles",
    "NewMarketOracles",
    "default_price",
    "feed_id_for",
    "kind_name",
    "plan_market_oracles",
]
