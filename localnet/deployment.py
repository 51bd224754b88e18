"""What `perpkeep localnet up` stands up and hands to keepers: an exchange, its markets, wallets.

``BootstrapPlan`` says what to create; ``bootstrap_local`` creates it in-process on a LiteSVM
(recording every address it touches, since LiteSVM cannot enumerate accounts) and
``localnet.rpc_bootstrap.bootstrap_over_rpc`` creates the same through JSON-RPC (for
solana-test-validator). ``write_deployment`` writes the wallets (mode 600), a keeper
configuration and a JSON description into a directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from keepers.pdas import collateral_vault_pda, exchange_pda, insurance_vault_pda
from keepers.results import Outcome
from localnet.bootstrap import QUOTE, LocalExchange, oracle_config
from localnet.svm import LocalSvm

LAMPORTS_PER_SOL = 1_000_000_000


@dataclass(frozen=True)
class BootstrapPlan:
    """The exchange to create: markets by name, funded users, a funded keeper wallet."""

    markets: tuple[str, ...] = ("SOL-PERP", "BTC-PERP")
    users: int = 2
    user_tokens: int = 10_000 * QUOTE
    user_deposit: int = 1_000 * QUOTE
    keeper_sol: int = 10


@dataclass(frozen=True)
class MarketInfo:
    """A created market."""

    index: int
    name: str
    address: Pubkey
    oracle: Pubkey


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

    @property
    def exchange(self) -> Pubkey:
        return exchange_pda(self.program_id)

    def addresses(self) -> list[Pubkey]:
        """Every address of the deployment (for the node's account index)."""
        out = [self.exchange, self.mint, collateral_vault_pda(self.program_id), insurance_vault_pda(self.program_id)]
        out += [m.address for m in self.markets] + [kp.pubkey() for kp in self.wallets.values()]
        return out + list(self.user_accounts.values())


class RecordingSvm(LocalSvm):
    """A ``LocalSvm`` that remembers every address its transactions, airdrops and writes touched."""

    def __init__(self, program: Path | bytes, program_id: Pubkey | None = None) -> None:
        self.touched: set[Pubkey] = set()
        if program_id is None:
            super().__init__(program)
        else:
            super().__init__(program, program_id)
        self.touched.add(self.payer.pubkey())

    def send(self, ixs: Sequence[Instruction], signers: Iterable[Keypair] = (), payer: Keypair | None = None) -> Outcome:
        signers = list(signers)
        self.touched.add((payer or self.payer).pubkey())
        for ix in ixs:
            self.touched.add(ix.program_id)
            self.touched.update(m.pubkey for m in ix.accounts)
        return super().send(ixs, signers, payer)

    def funded_keypair(self, sol: int = 10) -> Keypair:
        kp = super().funded_keypair(sol)
        self.touched.add(kp.pubkey())
        return kp

    def set_account(self, address: Pubkey, account: Account) -> None:
        self.touched.add(address)
        super().set_account(address, account)


def bootstrap_local(svm: LocalSvm, plan: BootstrapPlan, rpc_url: str = "", ws_url: str = "") -> Deployment:
    """Create the plan's exchange, markets and users in-process on ``svm``."""
    ex = LocalExchange.create(svm)
    markets = []
    for name in plan.markets:
        oracle = oracle_config(Pubkey.new_unique(), Pubkey.new_unique())
        index = ex.add_market(name, oracle)
        markets.append(MarketInfo(index, name, ex.market_address(index), oracle.primary))
    wallets = {"admin": ex.admin, "mint-authority": ex.mint_authority, "keeper": svm.funded_keypair(plan.keeper_sol)}
    user_accounts = {}
    for i in range(plan.users):
        user = ex.add_user(tokens=plan.user_tokens, deposit=plan.user_deposit)
        wallets[f"user-{i}"] = user.keypair
        user_accounts[f"user-{i}"] = user.address
        user_accounts[f"user-{i}-tokens"] = user.token_account
    return Deployment(rpc_url, ws_url, svm.program_id, ex.mint, markets, wallets, user_accounts)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def keeper_config_toml(dep: Deployment, keypair_path: Path) -> str:
    """Return a keeper configuration (TOML) for the deployment."""
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
    ]
    for m in dep.markets:
        lines += ["", "[[markets]]", f"index = {m.index}", f'name = "{m.name}"', f'address = "{m.address}"',
                  f'oracle = "{m.oracle}"']
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
    config.write_text(keeper_config_toml(dep, paths["keeper"]))
    paths["keeper-config"] = config
    description = {
        "rpc_url": dep.rpc_url, "ws_url": dep.ws_url, "program_id": str(dep.program_id), "exchange": str(dep.exchange),
        "collateral_mint": str(dep.mint),
        "markets": [{"index": m.index, "name": m.name, "address": str(m.address), "oracle": str(m.oracle)} for m in dep.markets],
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


__all__ = ["BootstrapPlan", "Deployment", "MarketInfo", "RecordingSvm", "bootstrap_local", "keeper_config_toml",
           "read_keypair", "write_deployment"]
