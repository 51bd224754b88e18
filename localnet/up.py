"""`perpkeep localnet up`: a local chain with the perp exchange, served over JSON-RPC and websocket.

Default: the LiteSVM-backed node (``localnet.rpc``), bootstrapped in-process. With
``--validator solana-test-validator``: that validator with the programs loaded, bootstrapped
through RPC. Both print the endpoints, the program id and the paths of the wallets and keeper
configuration, then run until Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from localnet.deployment import (
    BootstrapPlan,
    Deployment,
    RecordingSvm,
    bootstrap_local,
    write_deployment,
)
from localnet.rpc import ConfigError, FaultConfig, NodeConfig, RpcNode


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
    markets: tuple[str, ...] = ("SOL-PERP", "BTC-PERP")
    users: int = 2
    out_dir: Path | None = None
    faults_file: Path | None = None
    fault_seed: int | None = None
    validator: str | None = None


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


def _print_summary(dep: Deployment, paths: dict[str, Path], kind: str, elapsed_s: float) -> None:
    print(f"perpkeep localnet: {kind} ready in {elapsed_s:.1f} s")
    print(f"  rpc            {dep.rpc_url}")
    print(f"  websocket      {dep.ws_url}")
    print(f"  program        perp {dep.program_id}")
    print(f"  exchange       {dep.exchange}")
    print(f"  collateral     {dep.mint}")
    for m in dep.markets:
        print(f"  market {m.index}       {m.name} {m.address} (oracle {m.oracle})")
    for name in dep.wallets:
        print(f"  wallet         {name:<15} {paths[name]}")
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


def _program_path() -> Path:
    from localnet.build import BuildError, build_program

    try:
        return Path(build_program("perp"))
    except BuildError as e:
        raise UpError(f"building the perp program failed:\n{e}") from None


async def _run_litesvm(opts: UpOptions, out_dir: Path, started: float) -> None:
    faults = load_faults(opts.faults_file, opts.fault_seed)
    try:
        config = NodeConfig(host=opts.host, rpc_port=opts.rpc_port, ws_port=opts.ws_port, slot_ms=opts.slot_ms,
                            finalized_depth_slots=opts.finalized_depth_slots, faults=faults)
    except ConfigError as e:
        raise UpError(str(e)) from None
    svm = RecordingSvm(_program_path().read_bytes())
    dep = bootstrap_local(svm, BootstrapPlan(markets=opts.markets, users=opts.users))
    node = RpcNode(svm, config)
    node.chain.note_addresses(svm.touched | set(dep.addresses()))
    try:
        await node.start()
    except OSError as e:
        raise UpError(f"cannot listen on {opts.host}:{opts.rpc_port}/{config.resolved_ws_port}: {e.strerror or e}") from None
    try:
        dep.rpc_url, dep.ws_url = node.rpc_url, node.ws_url
        paths = write_deployment(dep, out_dir)
        _print_summary(dep, paths, "LiteSVM node", time.monotonic() - started)
        if faults.active:
            print(f"  faults         {faults.to_dict()}", flush=True)
        await _wait_for_signal()
    finally:
        await node.stop()


async def _run_validator(opts: UpOptions, out_dir: Path, started: float) -> None:
    from solana.rpc.async_api import AsyncClient

    from localnet.rpc_bootstrap import BootstrapError, bootstrap_over_rpc
    from localnet.validator import ValidatorProcess, ValidatorSpec, find_validator
    from programs_client.perp.program_id import PROGRAM_ID

    binary = find_validator(opts.validator or "solana-test-validator")
    if binary is None:
        raise UpError(f"{opts.validator} not found on PATH (install the Solana CLI tool suite, or omit --validator)")
    spec = ValidatorSpec(ledger=out_dir / "ledger", programs=((PROGRAM_ID, _program_path()),), binary=binary,
                         rpc_port=opts.rpc_port, bind_address=opts.host)
    proc = ValidatorProcess(spec, out_dir / "validator.log").start()
    try:
        try:
            await asyncio.to_thread(proc.wait_healthy)
        except RuntimeError as e:
            raise UpError(str(e)) from None
        client = AsyncClient(spec.rpc_url)
        try:
            dep = await bootstrap_over_rpc(client, PROGRAM_ID, BootstrapPlan(markets=opts.markets, users=opts.users),
                                           spec.rpc_url, spec.ws_url, poll_s=0.25)
        except BootstrapError as e:
            raise UpError(f"bootstrap through RPC failed: {e}") from None
        finally:
            await client.close()
        paths = write_deployment(dep, out_dir)
        _print_summary(dep, paths, f"solana-test-validator (log {proc.log_path})", time.monotonic() - started)
        await _wait_for_signal()
    finally:
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


__all__ = ["UpError", "UpOptions", "load_faults", "run_up"]
