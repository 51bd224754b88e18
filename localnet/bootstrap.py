"""Stand up an exchange on a local chain: collateral mint, exchange, markets and funded users.

The instruction groups here (``exchange_ixs``, ``user_ixs``) are the one way the project creates an
exchange and a funded margin account: ``LocalExchange`` (the program tests' harness) sends them one at
a time into a ``LocalSvm``, and ``BootstrapPlan.steps`` (``localnet.deployment``) orders them into the
whole bootstrap that ``localnet up``, the simulator and the RPC bootstrap carry out.
Quote amounts are in the collateral mint's 6 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID
from spl.token.instructions import (
    MintToParams,
    create_idempotent_associated_token_account,
    get_associated_token_address,
    mint_to,
)

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import collateral_vault_pda, exchange_pda, insurance_vault_pda, market_pda, user_pda
from localnet.svm import LocalSvm, create_mint_ixs
from programs_client.perp.accounts import Exchange, Market, User
from programs_client.perp.constants import BASE_PRECISION as BASE, PRICE_PRECISION as PRICE, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import oracle_kind
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig


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
        min_order_notional=QUOTE // 10,  # 0.1 quote: a resting order costs margin, so a full book side does
        trigger_fee_quote=QUOTE // 20,  # 0.05 quote to the keeper that fires a trigger order
        delegate_price_band_bps=50,  # a delegate's IOC within 0.5% of the mark
        max_orders_per_user=32,
        padding=[0] * 3,
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


def exchange_ixs(admin: Pubkey, mint: Pubkey, mint_authority: Pubkey, mint_rent: int, program_id: Pubkey) -> list[Instruction]:
    """Create the collateral mint (``mint`` signs, ``admin`` pays ``mint_rent``) and initialise the exchange on it."""
    return [*create_mint_ixs(admin, mint, mint_authority, mint_rent),
            ix.initialize_exchange(admin, mint, program_id)]


def user_ixs(owner: Pubkey, mint: Pubkey, mint_authority: Pubkey, tokens: int, deposit: int, sub_id: int,
             program_id: Pubkey) -> list[Instruction]:
    """A margin account for ``owner`` (who pays and signs): its collateral token account (kept if it exists),
    ``tokens`` minted to it (``mint_authority`` signs when ``tokens``), ``deposit`` of them deposited."""
    ata = get_associated_token_address(owner, mint)
    out = [create_idempotent_associated_token_account(owner, owner, mint)]
    if tokens:
        out.append(mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint, dest=ata, mint_authority=mint_authority,
                                        amount=tokens)))
    out.append(ix.initialize_user(owner, sub_id, None, program_id))
    if deposit:
        out.append(ix.deposit(owner, ata, deposit, sub_id, program_id))
    return out


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
        """Create the collateral mint and initialise the exchange with a fresh admin (made the program's
        upgrade authority first, as the deployer of the program would be)."""
        admin, mint_authority, mint = svm.funded_keypair(100), Keypair(), Keypair()
        svm.set_upgrade_authority(admin.pubkey())  # the deployer initialises the exchange
        rent = svm.rent_exempt_balance(MINT_LEN)
        svm.send_ok(exchange_ixs(admin.pubkey(), mint.pubkey(), mint_authority.pubkey(), rent, svm.program_id), [mint],
                    payer=admin)
        return cls(svm, admin, mint.pubkey(), mint_authority)

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
        self.svm.send_ok(user_ixs(kp.pubkey(), self.mint, self.mint_authority.pubkey(), tokens, deposit, sub_id, self.program_id),
                         [self.mint_authority] if tokens else [], payer=kp)
        user = LocalUser(kp, get_associated_token_address(kp.pubkey(), self.mint), sub_id, self.program_id)
        self.users.append(user)
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


__all__ = ["LocalExchange", "LocalUser", "default_market_params", "exchange_ixs", "oracle_config",
           "user_ixs"]
