"""The keepers' commands of `perpkeep` (`run`, `status`), and what every package's commands share.

Each package owns its commands (``keepers.cli``, ``localnet.cli``, ``sim.cli``) and offers them as
``COMMANDS``, a mount function per command name; ``perpkeep_cli`` mounts them all under `perpkeep`.
Commands raise ``CliError`` for a clear one-line message, and import what they need when they run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable


STATUS_WIDTH = 140  # columns the full status tables need
Mount = Callable[[argparse._SubParsersAction], None]  # adds one command to `perpkeep`'s subcommands


class CliError(Exception):
    """An error to print as one clear message (exit status 1), without a traceback."""


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
    from keepers.observability.logs import setup_logging
    from keepers.reload import reload_config
    from keepers.runtime import Keeper, run_from_config

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

        def on_keeper(keeper: Keeper) -> None:  # SIGHUP: validate the file again, apply what can change live
            loop.add_signal_handler(signal.SIGHUP, reload_config, keeper, Path(args.config))

        await run_from_config(config, keypair, args.bots, stop, on_keeper=on_keeper)

    try:
        asyncio.run(main())
    except ChainError as e:
        raise CliError(f"cannot reach the cluster at {config.cluster.rpc_url}: {e}") from None
    except ConfigError as e:  # a [[markets]] entry the chain does not have
        raise CliError(f"config {args.config}: {e}") from None
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    import asyncio
    from dataclasses import replace

    from rich.console import Console
    from solders.pubkey import Pubkey

    from keepers.chain.base import ChainError
    from keepers.chain.rpc import RpcChain
    from keepers.config import ClusterConfig
    from keepers.status import gather_status, status_tables
    from programs_client.perp.program_id import PROGRAM_ID

    if args.config:
        config = _load_config(args.config)
        cluster, program_id = replace(config.cluster, request_timeout_s=args.timeout), config.program.program_id
    else:
        cluster = ClusterConfig(rpc_url=args.rpc_url, request_timeout_s=args.timeout)
        try:
            program_id = Pubkey.from_string(args.program_id) if args.program_id else PROGRAM_ID
        except ValueError:
            raise CliError(f"--program-id {args.program_id!r} is not a base58 public key") from None

    async def gather():  # noqa: ANN202
        chain = RpcChain(cluster)
        try:
            return await gather_status(chain, program_id, args.top)
        finally:
            await chain.close()

    try:
        report = asyncio.run(gather())
    except ChainError as e:
        raise CliError(f"cannot read the exchange from {cluster.rpc_url}: {e}") from None
    if not report.markets:
        raise CliError(f"no exchange accounts of program {program_id} at {cluster.rpc_url}")
    console = Console()
    if not console.is_terminal:  # a file or a pipe: full width rather than rich's default of 80 columns
        console = Console(width=STATUS_WIDTH)
    for table in status_tables(report, compact=console.width < STATUS_WIDTH):
        console.print(table)
    return 0


def positive_int(text: str) -> int:
    """An argparse type: a whole number above zero."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{v} must be positive")
    return v


def add_run(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep run`."""
    r = sub.add_parser("run", help="run the keeper bots against the cluster named in a config file")
    r.add_argument("--config", required=True, help="keeper configuration (TOML; see keepers/example.toml)")
    r.add_argument("--bots", type=_bot_list, default=None,
                   help="comma-separated bots to run (default: keeper.bots of the config)")
    r.add_argument("--dry-run", action="store_true", help="simulate every action instead of sending it")
    r.set_defaults(func=_cmd_run)


def add_status(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep status`."""
    st = sub.add_parser("status", help="show markets, the insurance fund and the riskiest users")
    src = st.add_mutually_exclusive_group()
    src.add_argument("--config", help="read the cluster and program from this keeper configuration")
    src.add_argument("--rpc-url", default="http://127.0.0.1:8899", help="JSON-RPC endpoint (default: http://127.0.0.1:8899)")
    st.add_argument("--program-id", default=None, help="perp program id (default: the IDL's)")
    st.add_argument("--top", type=positive_int, default=10, help="riskiest users to list (default: 10)")
    st.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default: 10)")
    st.set_defaults(func=_cmd_status)


COMMANDS: dict[str, Mount] = {"run": add_run, "status": add_status}

__all__ = ["COMMANDS", "CliError", "Mount", "add_run", "add_status", "positive_int"]
