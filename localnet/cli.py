"""The local-chain commands of `perpkeep`: `build`, `codegen`, `localnet up` and `localnet venue`.

Each command imports what it needs when it runs, so that mounting these commands (``perpkeep_cli``)
costs nothing to a `perpkeep run`.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from keepers.cli import CliError, Mount, non_negative_int, positive_int


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


def _cmd_localnet_up(args: argparse.Namespace) -> int:
    from localnet.price_service import PriceOptions
    from localnet.up import UpError, UpOptions, run_up

    markets = tuple(m.strip() for m in args.markets.split(",") if m.strip())
    opts = UpOptions(
        host=args.host, rpc_port=args.rpc_port, ws_port=args.ws_port, slot_ms=args.slot_ms,
        finalized_depth_slots=args.finalized_depth, history_slots=args.history_slots, markets=markets, users=args.users,
        out_dir=Path(args.out) if args.out else None, faults_file=Path(args.faults) if args.faults else None,
        fault_seed=args.fault_seed, validator=args.validator,
        prices=PriceOptions(path=args.price_path, cadence_slots=args.price_cadence, seed=args.price_seed),
    )
    try:
        return run_up(opts)
    except UpError as e:
        raise CliError(str(e)) from None


def _cmd_localnet_venue(args: argparse.Namespace) -> int:
    import asyncio

    from localnet.venue.run import serve

    asyncio.run(serve(args.port, args.seed, dict(args.price or []), args.latency_ms, args.rate_limit))
    return 0


def _symbol_price(text: str) -> tuple[str, float]:
    symbol, _, value = text.partition("=")
    try:
        price = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected SYMBOL=PRICE, e.g. BTCUSDT=60000") from None
    from localnet.venue.server import default_instruments

    listed = [i.symbol for i in default_instruments()]
    if symbol.upper() not in listed or not 0 < price < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: the emulator lists {' and '.join(listed)}, at a positive price")
    return symbol.upper(), price


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


def add_build(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep build`."""
    b = sub.add_parser("build", help="compile and link an on-chain program to an SBF shared object")
    b.add_argument("--program", default="perp", help="folder under programs/ (default: perp)")
    b.add_argument("--out", help="output folder (default: build/programs)")
    b.add_argument("--root", help="source tree holding programs/ (default: this checkout)")
    b.set_defaults(func=_cmd_build)


def add_codegen(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep codegen`."""
    c = sub.add_parser("codegen", help="regenerate the C header and Python client from idl/")
    c.add_argument("--check", action="store_true", help="only report generated files that are stale")
    c.set_defaults(func=_cmd_codegen)


def add_localnet(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep localnet` and its actions `up` and `venue`."""
    ln = sub.add_parser("localnet", help="run a local chain with the exchange (JSON-RPC + websocket)")
    lsub = ln.add_subparsers(dest="localnet_command", required=True, metavar="ACTION")
    up = lsub.add_parser("up", help="start a node, bootstrap an exchange, print endpoints and wallets; Ctrl-C stops")
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    up.add_argument("--rpc-port", type=_port, default=8899, help="JSON-RPC port (default: 8899)")
    up.add_argument("--ws-port", type=_port, default=None, help="websocket port (default: rpc port + 1)")
    up.add_argument("--slot-ms", type=positive_int, default=400, help="slot time in ms (default: 400)")
    up.add_argument("--finalized-depth", type=positive_int, default=32,
                    help="slots until a slot is finalized (default: 32)")
    up.add_argument("--history-slots", type=positive_int, default=10_000,
                    help="slots of blocks and signature history kept, older ones pruned (default: 10000)")
    up.add_argument("--markets", default="SOL-PERP,BTC-PERP", help="comma-separated market names")
    up.add_argument("--users", type=int, default=2, help="funded users to create (default: 2)")
    up.add_argument("--out", help="fresh directory for wallets and keeper config (default: a new temp dir)")
    up.add_argument("--faults", help="fault injection settings (TOML or JSON file)")
    up.add_argument("--fault-seed", type=int, default=None, help="seed of the fault streams")
    up.add_argument("--validator", metavar="BINARY", default=None,
                    help="run this solana-test-validator instead of the LiteSVM node")
    up.add_argument("--price-path", type=_price_path, default="gbm", metavar="gbm|jumps|crash|external|replay:FILE.csv",
                    help="how oracle prices move (default: gbm); a replay CSV has a column per market name or a "
                         "'price' column; external: the node publishes none (perpkeep paper does)")
    up.add_argument("--price-cadence", type=positive_int, default=1, metavar="SLOTS",
                    help="publish prices every SLOTS slots (default: 1)")
    up.add_argument("--price-seed", type=int, default=0, help="seed of the price paths (default: 0)")
    up.set_defaults(func=_cmd_localnet_up)
    venue = lsub.add_parser("venue", help="run the exchange-venue emulator (Binance USD-M subset, for ccxt); Ctrl-C stops")
    venue.add_argument("--port", type=_port, default=8890, help="port on 127.0.0.1 (default: 8890)")
    venue.add_argument("--seed", type=int, default=0, help="seed of the crowd's sizes and the latency (default: 0)")
    venue.add_argument("--price", action="append", type=_symbol_price, metavar="SYMBOL=PRICE", help="starting reference price (repeatable)")
    venue.add_argument("--latency-ms", type=non_negative_int, default=0, help="added to every answer (default: 0)")
    venue.add_argument("--rate-limit", type=non_negative_int, default=0, metavar="N",
                       help="requests per second before HTTP 429 (default: 0, no limit)")
    venue.set_defaults(func=_cmd_localnet_venue)


COMMANDS: dict[str, Mount] = {"build": add_build, "codegen": add_codegen, "localnet": add_localnet}

__all__ = ["COMMANDS", "add_build", "add_codegen", "add_localnet"]
