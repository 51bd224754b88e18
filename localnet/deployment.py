"""What `perpkeep localnet up` stands up and hands to keepers: an exchange, its markets, wallets.

``BootstrapPlan`` says what to create and ``BootstrapPlan.steps`` turns it, once, into fresh keypairs,
airdrops and transactions: initialise the mock oracle, create the mint and the exchange, give every
market mock-oracle price accounts (``localnet.market_oracles``) with a first price, create the market
and crank ``update_prices`` once (so each market has an index and a mark price), fund the margin
accounts. Two thin transports carry the steps out: ``bootstrap_local`` into an in-process LiteSVM
(recording every address it touches, since LiteSVM cannot enumerate accounts) and
``localnet.rpc_bootstrap.bootstrap_over_rpc`` through JSON-RPC (for solana-test-validator).
``write_deployment`` writes the wallets (mode 600), a keeper configuration and a JSON description into
a directory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from solana.constants import LAMPORTS_PER_SOL
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import MINT_LEN
from spl.token.instructions import get_associated_token_address

from keepers.exchange import instructions as ix
from keepers.exchange.pdas import collateral_vault_pda, exchange_pda, insurance_vault_pda, market_pda, orderbook_pda, user_pda
from keepers.execution.results import Failed, Outcome
from localnet import mock_oracle as mo
from localnet.bootstrap import default_market_params, exchange_ixs, user_ixs
from localnet.market_oracles import (
    CONFIDENCE_BPS,
    ORACLE_AUTHORITY_SOL,
    MarketOracles,
    default_price,
    kind_name,
    plan_market_oracles,
)
from localnet.svm import LocalSvm
from programs_client.perp.constants import QUOTE_PRECISION as QUOTE


ADMIN_SOL = 100  # the admin pays for the mint and every market
USER_SOL = 10  # each margin account's owner pays for its token account and margin account


@dataclass(frozen=True)
class BootstrapPlan:
    """The exchange to create: markets by name (with their oracles' first price), funded users, a funded keeper wallet."""

    markets: tuple[str, ...] = ("SOL-PERP", "BTC-PERP")
    users: int = 2
    user_tokens: int = 10_000 * QUOTE
    user_deposit: int = 1_000 * QUOTE
    keeper_sol: int = 10
    prices: dict[str, float] = field(default_factory=dict)  # first oracle price by market (default: default_price)
    fallback_oracles: bool = True  # give every market a PriceUpdateV2 fallback besides its Pyth legacy primary
    confidence_bps: float = CONFIDENCE_BPS
    makers: int = 0  # market-making users with maker_deposit each (wallets "maker-i")
    maker_deposit: int = 1_000_000 * QUOTE
    keeper_tokens: int = 0  # collateral tokens for the keeper; with keeper_deposit, its margin account (sub id 0)
    keeper_deposit: int = 0
    market_params: dict[str, int] = field(default_factory=dict)  # overrides of default_market_params for every market
    params_by_market: dict[str, dict[str, int]] = field(default_factory=dict)  # further overrides, by market name
    fallback_by_market: dict[str, bool] = field(default_factory=dict)  # fallback_oracles, by market name
    key_seed: bytes | None = None  # keypairs derived from this seed and their names (a reproducible exchange)

    def keypair(self, name: str) -> Keypair:
        """A fresh keypair, or with ``key_seed`` the one derived from the seed and ``name``."""
        if self.key_seed is None:
            return Keypair()
        return Keypair.from_seed(hashlib.sha256(self.key_seed + b"/" + name.encode()).digest())

    def margin_accounts(self) -> list[tuple[str, int, int]]:
        """(wallet name, collateral tokens, deposit) of every margin account to create: the keeper's (when
        funded), the makers', the users'."""
        out = []
        if self.keeper_tokens or self.keeper_deposit:
            out.append(("keeper", max(self.keeper_tokens, self.keeper_deposit), self.keeper_deposit))
        out += [(f"maker-{i}", self.maker_deposit, self.maker_deposit) for i in range(self.makers)]
        return out + [(f"user-{i}", self.user_tokens, self.user_deposit) for i in range(self.users)]

    def price_of(self, market: str) -> float:
        """The first price published for ``market`` (quote per base)."""
        return self.prices.get(market, default_price(market))

    def steps(self, program_id: Pubkey, mint_rent: int, oracle_program: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID,
              admin: Keypair | None = None) -> BootstrapSteps:
        """Fresh keypairs, and the airdrops and transactions that create this exchange with them, in order.

        ``mint_rent``: the rent-exempt balance of a mint account (the chain's to say). The mock oracle
        program must be loaded at ``oracle_program``. ``admin`` (default: a fresh keypair) must be the perp
        program's upgrade authority (``BootstrapSteps.upgrade_authority``): only it may initialise the exchange.
        """
        admin = admin or self.keypair("admin")
        mint_authority, keeper, mint, authority = map(self.keypair, ("mint-authority", "keeper", "mint", "oracle-authority"))
        wallets = {"admin": admin, "mint-authority": mint_authority, "keeper": keeper, "oracle-authority": authority}
        accounts = self.margin_accounts()
        owners = {name: keeper if name == "keeper" else self.keypair(name) for name, _, _ in accounts}
        airdrops = [(admin.pubkey(), ADMIN_SOL), (keeper.pubkey(), self.keeper_sol), (authority.pubkey(), ORACLE_AUTHORITY_SOL)]
        airdrops += [(kp.pubkey(), USER_SOL) for name, kp in owners.items() if name != "keeper"]
        txs = [BootstrapTx("mock oracle initialize", [mo.initialize_ix(authority.pubkey(), oracle_program)], authority),
               BootstrapTx("creating the mint and the exchange",
                           exchange_ixs(admin.pubkey(), mint.pubkey(), mint_authority.pubkey(), mint_rent, program_id),
                           admin, (mint,))]
        markets = []
        for index, name in enumerate(self.markets):
            fallback = self.fallback_by_market.get(name, self.fallback_oracles)
            keys = None if self.key_seed is None else (lambda role, name=name: self.keypair(f"{name}/{role}"))
            new, price = plan_market_oracles(name, fallback, oracle_program, keys), self.price_of(name)
            txs.append(BootstrapTx(
                f"creating the {name} price accounts",
                new.create_ixs(authority.pubkey()) + new.oracles.write_ixs(authority.pubkey(), price, self.confidence_bps),
                authority, new.keypairs))
            txs.append(BootstrapTx(f"initialize_market and update_prices of {name}", [
                ix.initialize_market(admin.pubkey(), index, name, new.oracles.config(),
                                     default_market_params(**self.market_params | self.params_by_market.get(name, {})), program_id),
                new.oracles.update_prices_ix(index, program_id),
            ], admin))
            markets.append(MarketInfo(index, name, market_pda(index, program_id), new.oracles, price))
        user_accounts: dict[str, Pubkey] = {}
        for name, tokens, deposit in accounts:
            owner = owners[name]
            txs.append(BootstrapTx(f"the margin account of {name}",
                                   user_ixs(owner.pubkey(), mint.pubkey(), mint_authority.pubkey(), tokens, deposit, 0, program_id),
                                   owner, (mint_authority,) if tokens else ()))
            wallets[name] = owner
            user_accounts[name] = user_pda(owner.pubkey(), 0, program_id)
            user_accounts[f"{name}-tokens"] = get_associated_token_address(owner.pubkey(), mint.pubkey())
        deployment = Deployment("", "", program_id, mint.pubkey(), markets, wallets, user_accounts, oracle_program)
        return BootstrapSteps([(address, sol * LAMPORTS_PER_SOL) for address, sol in airdrops], txs, deployment,
                              admin.pubkey())


@dataclass(frozen=True)
class BootstrapTx:
    """One transaction of a bootstrap: what it does (named in errors), its instructions, who pays, who else signs."""

    what: str
    ixs: list[Instruction]
    payer: Keypair
    signers: tuple[Keypair, ...] = ()


@dataclass(frozen=True)
class BootstrapSteps:
    """A bootstrap for a transport to carry out: the airdrops (address, lamports; in any order), then the
    transactions in order. ``deployment`` is what they create, without endpoints."""

    airdrops: list[tuple[Pubkey, int]]
    transactions: list[BootstrapTx]
    deployment: Deployment
    upgrade_authority: Pubkey  # the perp program's, which initialize_exchange requires of the admin


@dataclass(frozen=True)
class MarketInfo:
    """A created market."""

    index: int
    name: str
    address: Pubkey
    oracles: MarketOracles
    initial_price: float

    @property
    def oracle(self) -> Pubkey:
        """The primary price account."""
        return self.oracles.primary.address

    @property
    def fallback_oracle(self) -> Pubkey | None:
        """The fallback price account, None without one."""
        return self.oracles.fallback.address if self.oracles.fallback else None


@dataclass
class Deployment:
    """Everything created by a bootstrap, with the endpoints that serve it."""

    rpc_url: str
    ws_url: str
    program_id: Pubkey
    mint: Pubkey
    markets: list[MarketInfo]
    wallets: dict[str, Keypair]
    user_accounts: dict[str, Pubkey] = field(default_factory=dict)
    oracle_program: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID

    @property
    def exchange(self) -> Pubkey:
        return exchange_pda(self.program_id)

    @property
    def oracle_authority(self) -> Keypair:
        """The mock oracle's authority (the only key that writes prices)."""
        return self.wallets["oracle-authority"]

    def addresses(self) -> list[Pubkey]:
        """Every address of the deployment (for the node's account index)."""
        out = [self.exchange, self.mint, collateral_vault_pda(self.program_id), insurance_vault_pda(self.program_id)]
        out += [m.address for m in self.markets] + [orderbook_pda(m.index, self.program_id) for m in self.markets]
        out += [f.address for m in self.markets for f in m.oracles.feeds]
        out += [self.oracle_program, mo.config_pda(self.oracle_program)]
        out += [kp.pubkey() for kp in self.wallets.values()]
        return out + list(self.user_accounts.values())


class RecordingSvm(LocalSvm):
    """A ``LocalSvm`` that remembers every address its transactions, airdrops and writes touched.

    ``mock_oracle``: the mock oracle program's bytes (or path), loaded at ``mock_oracle_id``.
    """

    def __init__(self, program: Path | bytes, program_id: Pubkey | None = None, mock_oracle: Path | bytes | None = None,
                 mock_oracle_id: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID) -> None:
        self.touched: set[Pubkey] = set()
        if program_id is None:
            super().__init__(program)
        else:
            super().__init__(program, program_id)
        if mock_oracle is not None:
            self.add_program(mock_oracle_id, mock_oracle)

    def add_program(self, program_id: Pubkey, program: Path | bytes) -> None:
        self.touched.add(program_id)
        super().add_program(program_id, program)

    def send(self, ixs: Sequence[Instruction], signers: Iterable[Keypair] = (), payer: Keypair | None = None) -> Outcome:
        signers = list(signers)
        self.touched.add((payer or self.payer).pubkey())
        for instruction in ixs:
            self.touched.add(instruction.program_id)
            self.touched.update(m.pubkey for m in instruction.accounts)
        return super().send(ixs, signers, payer)

    def airdrop(self, to: Pubkey, lamports: int) -> None:
        self.touched.add(to)
        super().airdrop(to, lamports)

    def set_account(self, address: Pubkey, account: Account) -> None:
        self.touched.add(address)
        super().set_account(address, account)


class BootstrapError(RuntimeError):
    """A bootstrap step failed (a transaction failed or did not confirm, a program is missing)."""


def _ok(out: Outcome, what: str) -> None:
    if isinstance(out, Failed):
        raise BootstrapError(f"{what} failed: {out.error}\n" + "\n".join(out.logs))


def bootstrap_local(svm: LocalSvm, plan: BootstrapPlan, rpc_url: str = "", ws_url: str = "",
                    oracle_program: Pubkey = mo.MOCK_ORACLE_PROGRAM_ID) -> Deployment:
    """Carry out the plan's steps (``BootstrapPlan.steps``) in-process on ``svm``; return the deployment.

    The mock oracle program must be loaded at ``oracle_program`` (``LocalSvm.add_program``).
    """
    program = svm.account(oracle_program)
    if program is None or not program.executable:
        raise BootstrapError(f"the mock oracle program is not loaded at {oracle_program} (build_program('mock_oracle'))")
    steps = plan.steps(svm.program_id, svm.rent_exempt_balance(MINT_LEN), oracle_program)
    send_steps_local(svm, steps)
    return replace(steps.deployment, rpc_url=rpc_url, ws_url=ws_url)


def send_steps_local(svm: LocalSvm, steps: BootstrapSteps) -> None:
    """The in-process transport of a bootstrap: the program's upgrade authority (a deployment's ProgramData),
    every airdrop, then every transaction in order, into ``svm``."""
    svm.set_upgrade_authority(steps.upgrade_authority)
    for address, lamports in steps.airdrops:
        svm.airdrop(address, lamports)
    for tx in steps.transactions:
        _ok(svm.send(tx.ixs, tx.signers, payer=tx.payer), tx.what)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def keeper_config_toml(dep: Deployment, keypair_path: Path, oracle_authority_path: Path | None = None) -> str:
    """Return a keeper configuration (TOML) for the deployment.

    Each ``[[markets]]`` entry names the accounts ``update_prices`` takes: ``oracle`` (the primary)
    and ``fallback_oracle`` (absent without one); ``[oracle]`` names the mock oracle program.
    """
    lines = [
        "# perpkeep keeper configuration for a local node (written by `perpkeep localnet up`)",
        "[cluster]",
        f'rpc_url = "{dep.rpc_url}"',
        f'ws_url = "{dep.ws_url}"',
        'commitment = "confirmed"',
        "",
        "[program]",
        f'program_id = "{dep.program_id}"',
        f'exchange = "{dep.exchange}"',
        f'collateral_mint = "{dep.mint}"',
        "",
        "[keeper]",
        f'keypair_path = "{keypair_path}"',
        "",
        "[oracle]",
        f'program_id = "{dep.oracle_program}"',
        f'config = "{mo.config_pda(dep.oracle_program)}"',
    ]
    if oracle_authority_path is not None:
        lines.append(f'authority_keypair_path = "{oracle_authority_path}"')
    for m in dep.markets:
        p = m.oracles.primary
        lines += ["", "[[markets]]", f"index = {m.index}", f'name = "{m.name}"', f'address = "{m.address}"',
                  f'oracle = "{p.address}"', f'oracle_kind = "{kind_name(p.kind)}"']
        f = m.oracles.fallback
        if f is not None:
            lines += [f'fallback_oracle = "{f.address}"', f'fallback_oracle_kind = "{kind_name(f.kind)}"',
                      f'fallback_feed_id = "{f.feed_id.hex()}"']
        lines.append(f"initial_price = {m.initial_price!r}")
    return "\n".join(lines) + "\n"


def write_deployment(dep: Deployment, out_dir: Path) -> dict[str, Path]:
    """Write wallets (solana CLI JSON keypairs, mode 600), keeper.toml and deployment.json; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(out_dir, 0o700)
    paths: dict[str, Path] = {}
    for name, kp in dep.wallets.items():
        path = out_dir / f"{name}.json"
        _write_private(path, json.dumps(list(bytes(kp))))
        paths[name] = path
    config = out_dir / "keeper.toml"
    config.write_text(keeper_config_toml(dep, paths["keeper"], paths.get("oracle-authority")))
    paths["keeper-config"] = config
    description = {
        "rpc_url": dep.rpc_url, "ws_url": dep.ws_url, "program_id": str(dep.program_id), "exchange": str(dep.exchange),
        "collateral_mint": str(dep.mint),
        "oracle_program": {
            "program_id": str(dep.oracle_program), "config": str(mo.config_pda(dep.oracle_program)),
            "authority": str(dep.oracle_authority.pubkey()) if "oracle-authority" in dep.wallets else None,
            "authority_path": str(paths["oracle-authority"]) if "oracle-authority" in paths else None,
        },
        "markets": [{"index": m.index, "name": m.name, "address": str(m.address), "oracle": str(m.oracle),
                     "fallback_oracle": str(m.fallback_oracle) if m.fallback_oracle else None,
                     "oracles": m.oracles.describe(), "initial_price": m.initial_price} for m in dep.markets],
        "wallets": {name: {"pubkey": str(kp.pubkey()), "path": str(paths[name])} for name, kp in dep.wallets.items()},
        "user_accounts": {k: str(v) for k, v in dep.user_accounts.items()},
    }
    info = out_dir / "deployment.json"
    info.write_text(json.dumps(description, indent=2) + "\n")
    paths["deployment"] = info
    return paths


def read_keypair(path: Path) -> Keypair:
    """Read a solana CLI JSON keypair file."""
    return Keypair.from_bytes(bytes(json.loads(Path(path).read_text())))


__all__ = ["BootstrapError", "BootstrapPlan", "BootstrapSteps", "BootstrapTx", "Deployment", "MarketInfo", "RecordingSvm",
           "bootstrap_local", "keeper_config_toml", "read_keypair", "send_steps_local", "write_deployment"]
