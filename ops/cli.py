"""`perpkeep ops`: admin changes through a Squads v4 multisig.

    perpkeep ops propose ACTION ARGS   simulate, print the state diff and checklist, create the proposal
    perpkeep ops approve|reject|cancel INDEX
    perpkeep ops execute INDEX
    perpkeep ops status

Common flags: --rpc-url (env PERPKEEP_RPC_URL, or a keeper config's with --config), --multisig (env PERPKEEP_MULTISIG), --keypair (the member's
solana CLI keypair; env PERPKEEP_OPS_KEYPAIR) or --member PUBKEY for dry runs and status, --dry-run, --json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from keepers.cli import CliError, Mount

DEFAULT_RPC_URL = "http://127.0.0.1:8899"
DEFAULT_MAX_CHANGE = 0.25  # ops.params.DEFAULT_MAX_CHANGE (not imported: mounting the command stays cheap)


def _common(p: argparse.ArgumentParser) -> None:
    from ops.actions import pubkey

    p.add_argument("--rpc-url", default=os.environ.get("PERPKEEP_RPC_URL"),
                   help=f"JSON-RPC endpoint (env PERPKEEP_RPC_URL; else the --config file's; else {DEFAULT_RPC_URL})")
    p.add_argument("--config", help="a keeper config file: its cluster.rpc_url and program.program_id are the defaults")
    p.add_argument("--multisig", type=pubkey, default=os.environ.get("PERPKEEP_MULTISIG"),
                   help="the Squads multisig account (env PERPKEEP_MULTISIG)")
    p.add_argument("--keypair", default=os.environ.get("PERPKEEP_OPS_KEYPAIR"),
                   help="the member's keypair file (env PERPKEEP_OPS_KEYPAIR)")
    p.add_argument("--member", type=pubkey, help="the member's public key, when no keypair is given (dry runs, status)")
    p.add_argument("--vault-index", type=int, default=0, help="the multisig vault that holds the admin role (default 0)")
    p.add_argument("--program-id", type=pubkey, help="the perp program (default: the IDL's address)")
    p.add_argument("--squads-program", type=pubkey, help="the Squads v4 program (default: SQDS4ep…)")
    p.add_argument("--program-binary", type=Path,
                   help="perp program ELF to simulate with when the cluster serves none (default: build programs/perp)")
    p.add_argument("--allow-insecure-keypair", action="store_true", help="accept a keypair file readable by others")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--dry-run", action="store_true", help="check and simulate, send nothing")


def _config(args: argparse.Namespace):  # noqa: ANN202 - ops is imported lazily
    from keepers.config import KeypairError, load_keypair
    from ops.proposals import OpsConfig
    from solders.pubkey import Pubkey

    if args.multisig is None:
        raise CliError("--multisig (or PERPKEEP_MULTISIG) is required")
    multisig = args.multisig if isinstance(args.multisig, Pubkey) else Pubkey.from_string(args.multisig)
    keypair = None
    if args.keypair:
        try:
            keypair = load_keypair(Path(args.keypair), args.allow_insecure_keypair)
        except KeypairError as e:
            raise CliError(str(e)) from None
    member = keypair.pubkey() if keypair else args.member
    if member is None:
        raise CliError("give --keypair (or --member PUBKEY for a dry run or status)")
    rpc_url, program_id = args.rpc_url, args.program_id
    if args.config:
        from keepers.config import ConfigError, load_config

        try:
            keeper = load_config(Path(args.config))
        except ConfigError as e:
            raise CliError(f"config {args.config}: {e}") from None
        rpc_url, program_id = rpc_url or keeper.cluster.rpc_url, program_id or keeper.program.program_id

    def local_program() -> bytes:
        if args.program_binary:
            return args.program_binary.read_bytes()
        from localnet.build import build_program

        return Path(build_program("perp")).read_bytes()

    cfg = OpsConfig(rpc_url or DEFAULT_RPC_URL, multisig, member, keypair, args.vault_index, local_program=local_program,
                    max_change=getattr(args, "max_change", DEFAULT_MAX_CHANGE))
    if program_id:
        cfg.perp_program = program_id
    if args.squads_program:
        cfg.squads_program = args.squads_program
    return cfg


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        json.dump(report, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    from ops.report import render

    sys.stdout.write(render(report))


def _run(fn: Any, args: argparse.Namespace, *a: Any, **kw: Any) -> int:
    from ops.chain import OpsError

    try:
        report = fn(_config(args), *a, **kw)
    except OpsError as e:
        if args.json:
            json.dump({"ok": False, "error": str(e)}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        raise CliError(str(e)) from None
    _print(report, args.json)
    return 0


def _cmd_propose(args: argparse.Namespace) -> int:
    from ops.proposals import propose

    return _run(propose, args, args.action, args, dry_run=args.dry_run, accept_warnings=args.accept_warnings)


def _cmd_vote(args: argparse.Namespace) -> int:
    from ops.proposals import vote

    return _run(vote, args, args.ops_command, args.index, dry_run=args.dry_run, memo=args.memo)


def _cmd_execute(args: argparse.Namespace) -> int:
    from ops.proposals import execute

    return _run(execute, args, args.index, dry_run=args.dry_run)


def _cmd_status(args: argparse.Namespace) -> int:
    from ops.proposals import status

    return _run(status, args, limit=args.limit)


def add_ops(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep ops`."""
    from ops.actions import ACTIONS

    ops = sub.add_parser("ops", help="admin changes through the Squads multisig: propose, approve, execute, status")
    cmds = ops.add_subparsers(dest="ops_command", required=True, metavar="STEP")
    propose = cmds.add_parser("propose", help="simulate an admin action and propose it")
    actions = propose.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in ACTIONS.values():
        p = actions.add_parser(action.name, help=f"{action.help} ({action.instruction})")
        action.add_args(p)
        _common(p)
        p.add_argument("--max-change", type=float, default=DEFAULT_MAX_CHANGE,
                       help="warn when a margin ratio moves by more than this fraction (default 0.25)")
        p.add_argument("--accept-warnings", action="store_true", help="propose despite large-change warnings")
        p.set_defaults(func=_cmd_propose)
    for step, text in (("approve", "re-run the simulation and approve"), ("reject", "reject an active proposal"),
                       ("cancel", "cancel an approved proposal")):
        p = cmds.add_parser(step, help=text)
        p.add_argument("index", type=int, help="the transaction index")
        p.add_argument("--memo", help="a memo recorded with the vote")
        _common(p)
        p.set_defaults(func=_cmd_vote)
    p = cmds.add_parser("execute", help="execute an approved proposal after its time lock")
    p.add_argument("index", type=int, help="the transaction index")
    _common(p)
    p.set_defaults(func=_cmd_execute)
    p = cmds.add_parser("status", help="the multisig's proposals, approvals against the threshold, time locks")
    p.add_argument("--limit", type=int, default=20, help="how many of the last transactions (default 20)")
    _common(p)
    p.set_defaults(func=_cmd_status)


COMMANDS: dict[str, Mount] = {"ops": add_ops}

__all__ = ["COMMANDS", "add_ops"]
