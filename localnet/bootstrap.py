"""Stand up an exchange on a local chain: collateral mint, exchange, markets and funded users.

Used by the tests, the benchmarks and the demo. Quote amounts are in the collateral mint's 6 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers import instructions as ix
from keepers.pdas import collateral_vault_pda, exchange_pda, insurance_vault_pda, market_pda, user_pda
from localnet.svm import LocalSvm
from programs_client.perp.accounts import Exchange, Market, User
from programs_client.perp.types import oracle_kind
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig

QUOTE = 1_000_000  # one unit of collateral (USDC-like, 6 decimals)
BASE = 1_000_000_000  # one unit of base asset (1e9)
PRICE = 1_000_000  # one quote per base (1e6)


def default_market_params(**overrides: int) -> MarketParams:
    """Return sane parameters for a localnet market (10x initial, 20x maintenance leverage)."""
    values = dict(
        tick_size=PRICE // 100,  # 0.01
        lot_size=BASE // 1000,  # 0.001
        min_order_size=BASE // 100,  # 0.01
        max_open_interest=1_000_000 * BASE,
        funding_period_secs=3600,
        oracle_max_staleness_slots=150,
        initial_margin_bps=1000,
        maintenance_margin_bps=500,
        liquidation_fee_bps=250,
        insurance_share_bps=5000,
        taker_fee_bps=10,
        maker_rebate_bps=2,
        oracle_max_confidence_bps=200,
        oracle_max_divergence_bps=500,
        max_funding_rate_bps=100,
        padding=[0] * 6,
    )
    values.update(overrides)
    return MarketParams(**values)  # type: ignore[arg-type]


def oracle_config(primary: Pubkey, primary_program: Pubkey, kind: oracle_kind.OracleKindKind | None = None) -> OracleConfig:
    """Return an oracle configuration with a single source (no fallback)."""
    return OracleConfig(
        primary=primary,
        primary_program=primary_program,
        primary_feed_id=[0] * 32,
        fallback=Pubkey.default(),
        fallback_program=Pubkey.default(),
        fallback_feed_id=[0] * 32,
        primary_kind=kind or oracle_kind.PythLegacy(),
        fallback_kind=oracle_kind.None_(),
        padding=[0] * 6,
    )


@dataclass
class LocalUser:
    """A funded user: its keypair, collateral token account and margin account."""

    keypair: Keypair
    token_account: Pubkey
    sub_id: int
    program_id: Pubkey

    @property
    def authority(self) -> Pubkey:
        return self.keypair.pubkey()

    @property
    def address(self) -> Pubkey:
        return user_pda(self.authority, self.sub_id, self.program_id)


@dataclass
class LocalExchange:
    """An initialised exchange on a ``LocalSvm`` and the users created through it."""

    svm: LocalSvm
    admin: Keypair
    mint: Pubkey
    mint_authority: Keypair
    users: list[LocalUser] = field(default_factory=list)

    @classmethod
    def create(cls, svm: LocalSvm) -> "LocalExchange":
        """Create the collateral mint and initialise the exchange with a fresh admin."""
        admin = svm.funded_keypair(100)
        mint_authority = Keypair()
        mint = svm.create_mint(mint_authority.pubkey(), decimals=6)
        svm.send_ok([ix.initialize_exchange(admin.pubkey(), mint, svm.program_id)], [admin], payer=admin)
        return cls(svm, admin, mint, mint_authority)

    @property
    def program_id(self) -> Pubkey:
        return self.svm.program_id

    @property
    def address(self) -> Pubkey:
        return exchange_pda(self.program_id)

    @property
    def collateral_vault(self) -> Pubkey:
        return collateral_vault_pda(self.program_id)

    @property
    def insurance_vault(self) -> Pubkey:
        return insurance_vault_pda(self.program_id)

    def state(self) -> Exchange:
        """Return the decoded exchange account."""
        return self.svm.decode(Exchange, self.address)

    def add_market(
        self,
        name: str,
        oracle: OracleConfig | None = None,
        params: MarketParams | None = None,
    ) -> int:
        """Create the next market and return its index. Without ``oracle``, a placeholder Pyth source."""
        index = self.state().market_count
        oracle = oracle or oracle_config(Pubkey.new_unique(), Pubkey.new_unique())
        self.svm.send_ok(
            [ix.initialize_market(self.admin.pubkey(), index, name, oracle, params or default_market_params(), self.program_id)],
            [self.admin],
        )
        return index

    def market_address(self, index: int) -> Pubkey:
        return market_pda(index, self.program_id)

    def add_user(self, tokens: int = 10_000 * QUOTE, deposit: int = 0, sub_id: int = 0, keypair: Keypair | None = None) -> LocalUser:
        """Create a user with ``tokens`` collateral tokens in its wallet and ``deposit`` of them deposited."""
        kp = keypair or self.svm.funded_keypair(10)
        token_account = self.svm.token_account(kp.pubkey(), self.mint)
        if tokens:
            self.svm.mint_to(self.mint, self.mint_authority, token_account, tokens)
        self.svm.send_ok([ix.initialize_user(kp.pubkey(), sub_id, None, self.program_id)], [kp], payer=kp)
        user = LocalUser(kp, token_account, sub_id, self.program_id)
        self.users.append(user)
        if deposit:
            self.svm.send_ok([ix.deposit(kp.pubkey(), token_account, deposit, sub_id, self.program_id)], [kp], payer=kp)
        return user

    def user_state(self, user: LocalUser) -> User:
        return self.svm.decode(User, user.address)

    def conservation(self) -> tuple[int, int, int]:
        """Return (collateral vault balance, exchange total collateral, claims on the vault).

        Claims: every known user's collateral plus every market's PnL pool. The three are equal to the
        unit whenever every user of the exchange was created through this object.
        """
        vault = self.svm.token_balance(self.collateral_vault)
        state = self.state()
        users = sum(self.user_state(u).collateral for u in self.users)
        pools = sum(self.svm.decode(Market, self.market_address(i)).pnl_pool for i in range(state.market_count))
        return vault, state.total_collateral, users + pools


__all__ = ["BASE", "PRICE", "QUOTE", "LocalExchange", "LocalUser", "default_market_params", "oracle_config"]
