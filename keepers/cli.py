"""The keepers' commands of `perpkeep` (`run`, `status`, `journal`), and what every package's commands share.

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
    from keepers.execution.journal import JournalError
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
    except JournalError as e:  # unusable at start, or failed while running (full disk, corrupt file)
        raise CliError(f"keeper stopped: {e}") from None
    return 0


def _journal_path(args: argparse.Namespace) -> tuple[Path, float]:
    """The journal a `perpkeep journal` command works on, and the retention in hours that applies to it."""
    from keepers.execution.journal import DEFAULT_RETENTION_HOURS

    hours = getattr(args, "retention_hours", None)
    if args.journal:
        return Path(args.journal), hours or DEFAULT_RETENTION_HOURS
    config = _load_config(args.config)
    return config.keeper.journal_path, hours or config.keeper.journal_retention_hours


def _cmd_journal_backup(args: argparse.Namespace) -> int:
    from keepers.execution.journal import JournalError, backup

    path, _ = _journal_path(args)
    try:
        done = backup(path, Path(args.dest))
    except JournalError as e:
        raise CliError(str(e)) from None
    print(f"backed up {path} to {done.path}: {done.actions} actions, {done.bytes} bytes, {done.seconds:.2f} s")
    return 0


def _cmd_journal_compact(args: argparse.Namespace) -> int:
    import time

    from keepers.execution.journal import Journal, JournalError

    path, hours = _journal_path(args)
    if not path.is_file():
        raise CliError(f"journal {path}: no such file")
    try:
        with Journal(path) as journal:
            incremental = journal.incremental
            done = journal.compact(time.time() - hours * 3600, vacuum=args.vacuum)
    except JournalError as e:
        raise CliError(str(e)) from None
    print(f"compacted {path}: deleted {done.deleted} finished actions older than {hours:g} hours; "
          f"{done.bytes_before} -> {done.bytes_after} bytes" + (" (rewritten)" if done.vacuumed else ""))
    if not incremental and not args.vacuum:
        print("this journal predates incremental auto-vacuum: its free pages are reused but not handed back; "
              "run once with --vacuum, with the keeper stopped")
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


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number, zero or more."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{v} must be 0 or more")
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


def add_journal(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep journal backup` and `perpkeep journal compact`."""
    j = sub.add_parser("journal", help="back up or compact the keeper's SQLite journal (also while it runs)")
    jsub = j.add_subparsers(dest="journal_command", required=True, metavar="ACTION")

    def source(p: argparse.ArgumentParser) -> None:
        src = p.add_mutually_exclusive_group(required=True)
        src.add_argument("--config", help="the keeper configuration naming the journal (keeper.journal_path)")
        src.add_argument("--journal", help="the journal file itself")

    b = jsub.add_parser("backup", help="copy the journal with SQLite's online backup API (the keeper may run)")
    b.add_argument("dest", metavar="DEST", help="the backup file to write (must not exist), or a folder for a timestamped one")
    source(b)
    b.set_defaults(func=_cmd_journal_backup)
    c = jsub.add_parser("compact", help="delete finished actions older than the retention and shrink the file")
    source(c)
    c.add_argument("--retention-hours", type=float, default=None,
                   help="keep finished actions this many hours (default: keeper.journal_retention_hours, 168)")
    c.add_argument("--vacuum", action="store_true",
                   help="rewrite the whole file (VACUUM): for journals from before incremental auto-vacuum; "
                        "holds the write lock throughout, so stop the keeper first")
    c.set_defaults(func=_cmd_journal_compact)


def add_console(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep console` (``keepers.console.cli``)."""
    from keepers.console.cli import add_console as mount

    mount(sub)


COMMANDS: dict[str, Mount] = {"run": add_run, "status": add_status, "journal": add_journal, "console": add_console}

__all__ = ["COMMANDS", "CliError", "Mount", "add_journal", "add_run", "add_status", "positive_int"]
