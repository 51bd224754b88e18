"""`perpkeep paper`: paper trading against a local node, oracle prices following a file or a websocket feed.

Mounted by ``perpkeep_cli`` beside ``sim.cli``'s commands; imports the simulator only when it runs.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from keepers.cli import CliError, Mount, _bot_list, positive_int


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return v


def _time(text: str) -> float:
    """Unix seconds, or an ISO 8601 time (no zone: UTC)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a Unix time or ISO 8601 time: {text!r}") from None
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()


def _cmd_paper(args: argparse.Namespace) -> int:
    import asyncio

    from keepers.observability.logs import setup_logging
    from sim.paper import PaperError, PaperOptions, run_paper

    setup_logging("warning", "text")  # feed and keeper warnings; progress and the summary go to stdout

    opts = PaperOptions(deployment=Path(args.deployment), source=args.source, market=args.market, fmt=args.format,
                        speed=args.speed, start=args.start, hold=args.hold, duration_s=args.duration,
                        cadence_slots=args.cadence, keeper=not args.no_keeper,
                        keeper_config=Path(args.keeper_config) if args.keeper_config else None,
                        bots=args.bots, progress_s=args.progress)
    try:
        summary = asyncio.run(run_paper(opts))
    except PaperError as e:
        raise CliError(str(e)) from None
    for line in summary.lines():
        print(line, flush=True)
    return 1 if summary.error else 0


def add_paper(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep paper`."""
    p = sub.add_parser("paper", help="run the keepers live on a local node, oracle prices following a file or a feed",
                       description="Paper trading: the keeper's bots run against the node of `perpkeep localnet up "
                                   "--price-path external --out DIR`, and the oracle of one market follows SOURCE "
                                   "in wall-clock time: a price file (Binance kline or aggTrades CSV, "
                                   "timestamp,price[,volume] CSV, Parquet) replayed at --speed, or a ws:// feed of "
                                   "JSON messages ({\"p\": \"190.1\"} as Binance's @aggTrade/@trade streams send, "
                                   "{\"k\": {\"c\": ...}} klines, or {\"price\": 190.1}). Ctrl-C stops with a summary.")
    p.add_argument("source", help="price file, or ws:// / wss:// feed URL")
    p.add_argument("--deployment", required=True, metavar="DIR",
                   help="the --out folder of `perpkeep localnet up` (deployment.json, keeper.toml, wallets)")
    p.add_argument("--market", default=None, help="market whose oracle follows the source (default: the first)")
    p.add_argument("--format", default=None, choices=("kline", "aggtrades", "plain", "parquet"),
                   help="format of a price file (default: detected)")
    p.add_argument("--speed", type=_positive_float, default=1.0, help="recorded seconds per wall second (default: 1)")
    p.add_argument("--start", type=_time, default=None, metavar="TIME",
                   help="recorded time to start a file at (Unix seconds or ISO 8601; default: its first row)")
    p.add_argument("--hold", action="store_true", help="keep running at the last price when a file ends")
    p.add_argument("--duration", type=_positive_float, default=None, metavar="SECONDS",
                   help="stop after this many wall seconds")
    p.add_argument("--cadence", type=positive_int, default=1, metavar="SLOTS",
                   help="publish prices every SLOTS slots (default: 1)")
    p.add_argument("--no-keeper", action="store_true", help="only publish prices, run no keeper")
    p.add_argument("--keeper-config", default=None, metavar="FILE", help="keeper configuration (default: DIR/keeper.toml)")
    p.add_argument("--bots", type=_bot_list, default=None, help="comma-separated bots to run (default: the configuration's)")
    p.add_argument("--progress", type=_positive_float, default=5.0, metavar="SECONDS",
                   help="seconds between progress lines (default: 5)")
    p.set_defaults(func=_cmd_paper)


COMMANDS: dict[str, Mount] = {"paper": add_paper}

__all__ = ["COMMANDS", "add_paper"]
