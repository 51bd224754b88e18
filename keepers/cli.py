"""The `perpkeep` command line.

Subcommands import what they need when they run, so that the keeper runtime never imports the local
chain tooling (`localnet`) unless a local-chain command was asked for.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Callable, Sequence


STATUS_WIDTH = 140  # columns the full status tables need


class CliError(Exception):
    """An error to print as one clear message (exit status 1), without a traceback."""


def _cmd_build(args: argparse.Namespace) -> int:
    from localnet.build import BuildError, build_program

    try:
        path = build_program(
            args.program, root=Path(args.root) if args.root else None, out_dir=Path(args.out) if args.out else None
        )
    except BuildError as e:
        raise CliError(str(e)) from None
    data = path.read_bytes()
    print(f"{path}  {len(data):,} bytes  sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


def _cmd_codegen(args: argparse.Namespace) -> int:
    from localnet.codegen import IdlLayoutError, generate, stale_outputs

    try:
        if args.check:
            stale = stale_outputs()
            if stale:
                raise CliError("generated files are stale (run `perpkeep codegen`):\n  " + "\n  ".join(stale))
            print("generated files are current")
            return 0
        for p in generate():
            print(f"wrote {p}")
    except IdlLayoutError as e:
        raise CliError(f"IDL layout error: {e}") from None
    except ModuleNotFoundError as e:
        raise CliError(f"code generation needs the dev extra (pip install -e '.[dev]'): {e}") from None
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from sim.demo import run_demo

    return run_demo(users=args.users, seed=args.seed, slots=args.slots, live=False if args.no_live else None)


def _load_config(path: str):  # noqa: ANN202 - keepers.config is imported lazily
    from keepers.config import ConfigError, load_config

    try:
        return load_config(Path(path))
    except ConfigError as e:  # errors reading the file already start with its path
        message = str(e)
        raise CliError(message if message.startswith(f"{path}: ") else f"config {path}: {message}") from None


def _bot_list(text: str) -> tuple[str, ...]:
    from keepers.runtime import ALL_BOTS

    names = tuple(b.strip() for b in text.split(",") if b.strip())
    unknown = [b for b in names if b not in ALL_BOTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown bot(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(ALL_BOTS)}")
    return names


def _cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from keepers.chain.base import ChainError
    from keepers.config import ConfigError, KeypairError, load_keypair
    from keepers.logs import setup_logging
    from keepers.runtime import run_from_config

    config = _load_config(args.config)
    if args.dry_run:
        import dataclasses

        config = dataclasses.replace(config, keeper=dataclasses.replace(config.keeper, dry_run=True))
    setup_logging(config.logging.level, config.logging.format)
    try:
        keypair = load_keypair(config.keeper.keypair_path, config.keeper.allow_insecure_keypair)
    except KeypairError as e:
        raise CliError(str(e)) from None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_from_config(config, keypair, args.bots, stop)

    try:
        asyncio.run(main())
    except ChainError as e:
        raise CliError(f"cannot reach the cluster at {config.cluster.rpc_url}: {e}") from None
    except ConfigError as e:  # a [[markets]] entry the chain does not have
        raise CliError(f"config {args.config}: {e}") from None
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console
    from solders.pubkey import Pubkey

    from keepers.chain.base import ChainError
    from keepers.chain.rpc import RpcChain
    from keepers.status import gather_status, status_tables
    from programs_client.perp.program_id import PROGRAM_ID

    if args.config:
        config = _load_config(args.config)
        url, ws, program_id = config.cluster.rpc_url, config.cluster.ws_url, config.program.program_id
    else:
        url, ws = args.rpc_url, None
        try:
            program_id = Pubkey.from_string(args.program_id) if args.program_id else PROGRAM_ID
        except ValueError:
            raise CliError(f"--program-id {args.program_id!r} is not a base58 public key") from None

    async def gather():  # noqa: ANN202
        chain = RpcChain(url, ws, request_timeout_s=args.timeout)
        try:
            return await gather_status(chain, program_id, args.top)
        finally:
            await chain.close()

    try:
        report = asyncio.run(gather())
    except ChainError as e:
        raise CliError(f"cannot read the exchange from {url}: {e}") from None
    if not report.markets:
        raise CliError(f"no exchange accounts of program {program_id} at {url}")
    console = Console()
    if not console.is_terminal:  # a file or a pipe: full width rather than rich's default of 80 columns
        console = Console(width=STATUS_WIDTH)
    for table in status_tables(report, compact=console.width < STATUS_WIDTH):
        console.print(table)
    return 0


def _cmd_localnet_up(args: argparse.Namespace) -> int:
    from localnet.price_service import PriceOptions
    from localnet.up import UpError, UpOptions, run_up

    markets = tuple(m.strip() for m in args.markets.split(",") if m.strip())
    opts = UpOptions(
        host=args.host, rpc_port=args.rpc_port, ws_port=args.ws_port, slot_ms=args.slot_ms,
        finalized_depth_slots=args.finalized_depth, markets=markets, users=args.users,
        out_dir=Path(args.out) if args.out else None, faults_file=Path(args.faults) if args.faults else None,
        fault_seed=args.fault_seed, validator=args.validator,
        prices=PriceOptions(path=args.price_path, cadence_slots=args.price_cadence, seed=args.price_seed),
    )
    try:
        return run_up(opts)
    except UpError as e:
        raise CliError(str(e)) from None


def _port(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"{v} is not a port number (0-65535)")
    return v


def _price_path(text: str) -> str:
    from localnet.price_service import PriceOptions, PriceOptionsError

    try:
        PriceOptions(path=text)
    except PriceOptionsError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _add_localnet(sub: argparse._SubParsersAction) -> None:
    ln = sub.add_parser("localnet", help="run a local chain with the exchange (JSON-RPC + websocket)")
    lsub = ln.add_subparsers(dest="localnet_command", required=True, metavar="ACTION")
    up = lsub.add_parser("up", help="start a node, bootstrap an exchange, print endpoints and wallets; Ctrl-C stops")
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    up.add_argument("--rpc-port", type=_port, default=8899, help="JSON-RPC port (default: 8899)")
    up.add_argument("--ws-port", type=_port, default=None, help="websocket port (default: rpc port + 1)")
    up.add_argument("--slot-ms", type=_positive_int, default=400, help="slot time in ms (default: 400)")
    up.add_argument("--finalized-depth", type=_positive_int, default=32,
                    help="slots until a slot is finalized (default: 32)")
    up.add_argument("--markets", default="SOL-PERP,BTC-PERP", help="comma-separated market names")
    up.add_argument("--users", type=int, default=2, help="funded users to create (default: 2)")
    up.add_argument("--out", help="fresh directory for wallets and keeper config (default: a new temp dir)")
    up.add_argument("--faults", help="fault injection settings (TOML or JSON file)")
    up.add_argument("--fault-seed", type=int, default=None, help="seed of the fault streams")
    up.add_argument("--validator", metavar="BINARY", default=None,
                    help="run this solana-test-validator instead of the LiteSVM node")
    up.add_argument("--price-path", type=_price_path, default="gbm", metavar="gbm|jumps|crash|replay:FILE.csv",
                    help="how oracle prices move (default: gbm); a replay CSV has a column per market name or a "
                         "'price' column")
    up.add_argument("--price-cadence", type=_positive_int, default=1, metavar="SLOTS",
                    help="publish prices every SLOTS slots (default: 1)")
    up.add_argument("--price-seed", type=int, default=0, help="seed of the price paths (default: 0)")
    up.set_defaults(func=_cmd_localnet_up)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="perpkeep", description="Keepers and local chain tooling for the perp exchange.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="compile and link an on-chain program to an SBF shared object")
    b.add_argument("--program", default="perp", help="folder under programs/ (default: perp)")
    b.add_argument("--out", help="output folder (default: build/programs)")
    b.add_argument("--root", help="source tree holding programs/ (default: this checkout)")
    b.set_defaults(func=_cmd_build)

    c = sub.add_parser("codegen", help="regenerate the C header and Python client from idl/")
    c.add_argument("--check", action="store_true", help="only report generated files that are stale")
    c.set_defaults(func=_cmd_codegen)

    r = sub.add_parser("run", help="run the keeper bots against the cluster named in a config file")
    r.add_argument("--config", required=True, help="keeper configuration (TOML; see keepers/example.toml)")
    r.add_argument("--bots", type=_bot_list, default=None,
                   help="comma-separated bots to run (default: keeper.bots of the config)")
    r.add_argument("--dry-run", action="store_true", help="simulate every action instead of sending it")
    r.set_defaults(func=_cmd_run)

    st = sub.add_parser("status", help="show markets, the insurance fund and the riskiest users")
    src = st.add_mutually_exclusive_group()
    src.add_argument("--config", help="read the cluster and program from this keeper configuration")
    src.add_argument("--rpc-url", default="http://127.0.0.1:8899", help="JSON-RPC endpoint (default: http://127.0.0.1:8899)")
    st.add_argument("--program-id", default=None, help="perp program id (default: the IDL's)")
    st.add_argument("--top", type=_positive_int, default=10, help="riskiest users to list (default: 10)")
    st.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default: 10)")
    st.set_defaults(func=_cmd_status)

    d = sub.add_parser("demo", help="run the exchange on an embedded local chain and print a summary")
    d.add_argument("--users", type=_positive_int, default=40, help="leveraged takers (default: 40)")
    d.add_argument("--slots", type=_positive_int, default=1800, help="slots to run, 5 s of chain time each (default: 1800)")
    d.add_argument("--seed", type=int, default=7, help="seed of prices and traders (default: 7)")
    d.add_argument("--no-live", action="store_true", help="print progress lines instead of the live view")
    d.set_defaults(func=_cmd_demo)

    _add_localnet(sub)
    return p


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{v} must be positive")
    return v


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit status."""
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CliError as e:
        print(f"perpkeep: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("perpkeep: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
