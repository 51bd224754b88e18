"""`perpkeep localnet up`: a local chain with the perp exchange, served over JSON-RPC and websocket.

Default: the LiteSVM-backed node (``localnet.rpc``), bootstrapped in-process. With
``--validator solana-test-validator``: that validator with the programs loaded, bootstrapped
through RPC. Both load the perp program and the mock oracle, give every market mock-oracle price
accounts with a first price, and run a price publisher (``localnet.price_service``) that moves
prices along a path (``--price-path``) every ``--price-cadence`` slots. Both print the endpoints,
the program ids, each market's oracle accounts and the paths of the wallets and keeper
configuration, then run until Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from localnet.deployment import (
    BootstrapError,
    BootstrapPlan,
    Deployment,
    RecordingSvm,
    bootstrap_local,
    write_deployment,
)
from localnet.market_oracles import kind_name
from localnet.price_service import (
    NodePriceFeed,
    PriceOptions,
    PriceOptionsError,
    RpcPriceFeed,
    initial_prices,
    load_replay,
)
from localnet.rpc import ConfigError, FaultConfig, NodeConfig, RpcNode
from programs_client.perp.constants import QUOTE_PRECISION

KEEPER_COLLATERAL = 100_000 * QUOTE_PRECISION  # the keeper's margin account, so its liquidator can take positions over

if TYPE_CHECKING:
    from localnet.validator import ValidatorSpec


class UpError(Exception):
    """A start-up problem to report as one clear message."""


@dataclass(frozen=True)
class UpOptions:
    """Options of `localnet up`."""

    host: str = "127.0.0.1"
    rpc_port: int = 8899
    ws_port: int | None = None
    slot_ms: int = 400
    finalized_depth_slots: int = 32
    history_slots: int = 10_000
    markets: tuple[str, ...] = ("SOL-PERP", "BTC-PERP")
    users: int = 2
    out_dir: Path | None = None
    faults_file: Path | None = None
    fault_seed: int | None = None
    validator: str | None = None
    prices: PriceOptions = field(default_factory=PriceOptions)


def load_faults(path: Path | None, seed: int | None) -> FaultConfig:
    """Read a fault configuration (TOML or JSON file; a top-level [faults] table is accepted)."""
    values: dict = {}
    if path is not None:
        try:
            text = path.read_text()
        except OSError as e:
            raise UpError(f"cannot read fault configuration {path}: {e}") from None
        try:
            if path.suffix == ".json":
                import json

                values = json.loads(text)
            else:
                values = tomllib.loads(text)
        except ValueError as e:
            raise UpError(f"{path}: {e}") from None
        values = values.get("faults", values)
    if seed is not None:
        values = {**values, "seed": seed}
    try:
        return FaultConfig.from_mapping(values)
    except (ConfigError, TypeError) as e:
        raise UpError(f"fault configuration: {e}") from None


def _print_summary(dep: Deployment, paths: dict[str, Path], kind: str, elapsed_s: float, prices: PriceOptions) -> None:
    print(f"perpkeep localnet: {kind} ready in {elapsed_s:.1f} s")
    print(f"  rpc            {dep.rpc_url}")
    print(f"  websocket      {dep.ws_url}")
    print(f"  program        perp {dep.program_id}")
    print(f"  oracle program mock-oracle {dep.oracle_program}")
    print(f"  exchange       {dep.exchange}")
    print(f"  collateral     {dep.mint}")
    for m in dep.markets:
        print(f"  market {m.index:<7} {m.name} {m.address} (from {m.initial_price:g})")
        for role, feed in (("primary", m.oracles.primary), ("fallback", m.oracles.fallback)):
            if feed is not None:
                print(f"    {role:<12} {kind_name(feed.kind)} {feed.address}")
    print(f"  prices         {prices.describe()}")
    for name in dep.wallets:
        print(f"  wallet         {name:<16} {paths[name]}")
    print(f"  keeper config  {paths['keeper-config']}")
    print(f"  deployment     {paths['deployment']}")
    print("Ctrl-C to stop", flush=True)


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _program_path(name: str = "perp") -> Path:
    from localnet.build import BuildError, build_program

    try:
        return Path(build_program(name))
    except BuildError as e:
        raise UpError(f"building the {name} program failed:\n{e}") from None


def _price_plan(opts: UpOptions) -> tuple[BootstrapPlan, dict[str, list[float]] | None]:
    """The bootstrap plan (first prices from the replay file, if any) and the replayed prices."""
    try:
        replay = load_replay(opts.prices.replay_file, opts.markets) if opts.prices.replay_file else None
    except PriceOptionsError as e:
        raise UpError(str(e)) from None
    plan = BootstrapPlan(markets=opts.markets, users=opts.users, prices=initial_prices(opts.markets, replay),
                         keeper_tokens=KEEPER_COLLATERAL, keeper_deposit=KEEPER_COLLATERAL)
    return plan, replay


def validator_spec(opts: UpOptions, out_dir: Path, binary: str, upgrade_authority: Pubkey) -> ValidatorSpec:
    """The solana-test-validator run of ``opts``: the perp program upgradeable by ``upgrade_authority`` (the
    admin that initialises the exchange), the mock oracle a --bpf-program."""
    from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID
    from localnet.validator import ValidatorSpec
    from programs_client.perp.program_id import PROGRAM_ID

    return ValidatorSpec(ledger=out_dir / "ledger", programs=((MOCK_ORACLE_PROGRAM_ID, _program_path("mock_oracle")),),
                         upgradeable_programs=((PROGRAM_ID, _program_path("perp"), upgrade_authority),),
                         binary=binary, rpc_port=opts.rpc_port, bind_address=opts.host)


async def _run_litesvm(opts: UpOptions, out_dir: Path, started: float) -> None:
    faults = load_faults(opts.faults_file, opts.fault_seed)
    try:
        config = NodeConfig(host=opts.host, rpc_port=opts.rpc_port, ws_port=opts.ws_port, slot_ms=opts.slot_ms,
                            finalized_depth_slots=opts.finalized_depth_slots, history_slots=opts.history_slots,
                            faults=faults)
    except ConfigError as e:
        raise UpError(str(e)) from None
    plan, replay = _price_plan(opts)
    svm = RecordingSvm(_program_path("perp").read_bytes(), mock_oracle=_program_path("mock_oracle").read_bytes())
    try:
        dep = bootstrap_local(svm, plan)
    except BootstrapError as e:
        raise UpError(f"bootstrap failed: {e}") from None
    node = RpcNode(svm, config)
    node.chain.note_addresses(svm.touched | set(dep.addresses()))
    try:
        await node.start()
    except OSError as e:
        raise UpError(f"cannot listen on {opts.host}:{opts.rpc_port}/{config.resolved_ws_port}: {e.strerror or e}") from None
    feed = None
    try:
        if not opts.prices.external:
            feed = NodePriceFeed.for_node(node, dep, opts.prices, replay).start()
        dep.rpc_url, dep.ws_url = node.rpc_url, node.ws_url
        paths = write_deployment(dep, out_dir)
        _print_summary(dep, paths, "LiteSVM node", time.monotonic() - started, opts.prices)
        if faults.active:
            print(f"  faults         {faults.to_dict()}", flush=True)
        # The world built so far (programs, modules, the bootstrap's objects) lives as long as the
        # node. Frozen, it is no longer walked by the collector's full passes, which took 50-100 ms
        # each among the requests (one in 2,000 sends was ~40 us per send).
        gc.collect()
        gc.freeze()
        await _wait_for_signal()
    finally:
        if feed is not None:
            await feed.stop()
        await node.stop()


async def _run_validator(opts: UpOptions, out_dir: Path, started: float) -> None:
    from solana.rpc.async_api import AsyncClient

    from localnet.rpc_bootstrap import bootstrap_over_rpc
    from localnet.validator import ValidatorProcess, find_validator
    from programs_client.perp.program_id import PROGRAM_ID

    binary = find_validator(opts.validator or "solana-test-validator")
    if binary is None:
        raise UpError(f"{opts.validator} not found on PATH (install the Solana CLI tool suite, or omit --validator)")
    plan, replay = _price_plan(opts)
    admin = Keypair()
    spec = validator_spec(opts, out_dir, binary, admin.pubkey())
    proc = ValidatorProcess(spec, out_dir / "validator.log").start()
    feed = None
    try:
        try:
            await asyncio.to_thread(proc.wait_healthy)
        except RuntimeError as e:
            raise UpError(str(e)) from None
        client = AsyncClient(spec.rpc_url)
        try:
            dep = await bootstrap_over_rpc(client, PROGRAM_ID, plan, spec.rpc_url, spec.ws_url, poll_s=0.25, admin=admin)
        except BootstrapError as e:
            raise UpError(f"bootstrap through RPC failed: {e}") from None
        finally:
            await client.close()
        if not opts.prices.external:
            feed = RpcPriceFeed(spec.rpc_url, dep, opts.prices, replay=replay).start()
        paths = write_deployment(dep, out_dir)
        _print_summary(dep, paths, f"solana-test-validator (log {proc.log_path})", time.monotonic() - started,
                       opts.prices)
        await _wait_for_signal()
    finally:
        if feed is not None:
            feed.stop()
        proc.stop()


def run_up(opts: UpOptions) -> int:
    """Start the local chain and serve until interrupted; return the exit status."""
    started = time.monotonic()
    out_dir = opts.out_dir or Path(tempfile.mkdtemp(prefix="perpkeep-localnet-"))
    if opts.out_dir is not None and out_dir.exists() and any(out_dir.iterdir()):
        raise UpError(f"output directory {out_dir} is not empty (wallets are written to a fresh directory)")
    runner = _run_validator if opts.validator else _run_litesvm
    try:
        asyncio.run(runner(opts, out_dir, started))
    except KeyboardInterrupt:
        pass
    print("perpkeep localnet: stopped", file=sys.stderr)
    return 0


__all__ = ["UpError", "UpOptions", "load_faults", "run_up", "validator_spec"]
