"""`perpkeep console token add|list|revoke`: the console's API tokens (``keepers.console.auth``).

``add`` prints the new token once (only its hash is stored, in ``console.token_file`` of the config or the
file given with ``--token-file``); ``list`` shows ids, roles and labels; ``revoke`` removes one by id (a
running console reads the changed file within a second).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _token_file(args: argparse.Namespace) -> Path:
    from keepers.cli import CliError, _load_config

    if args.token_file:
        return Path(args.token_file)
    config = _load_config(args.config)
    if config.console.token_file is None:
        raise CliError(f"config {args.config}: console.token_file is not set")
    return config.console.token_file


def _cmd_add(args: argparse.Namespace) -> int:
    from keepers.cli import CliError
    from keepers.console.auth import TokenFileError, add_token

    path = _token_file(args)
    try:
        token_id, token = add_token(path, args.role, args.label or "")
    except TokenFileError as e:
        raise CliError(str(e)) from None
    print(f"token {token_id} ({args.role}) added to {path}; it is shown only now:")
    print(token)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    import json

    path = _token_file(args)
    entries = json.loads(path.read_text()) if path.exists() else []
    for e in entries:
        print(f"{e['id']}  {e['role']:<8}  {e.get('label', '')}")
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    from keepers.cli import CliError
    from keepers.console.auth import revoke_token

    path = _token_file(args)
    if not revoke_token(path, args.token_id):
        raise CliError(f"no token {args.token_id} in {path}")
    print(f"token {args.token_id} revoked (a running console stops accepting it within a second)")
    return 0


def add_console(sub: argparse._SubParsersAction) -> None:
    """Mount `perpkeep console token ...`."""
    from keepers.console.auth import ROLES

    c = sub.add_parser("console", help="manage the operator console's API tokens")
    csub = c.add_subparsers(dest="console_command", required=True, metavar="ACTION")
    t = csub.add_parser("token", help="add, list or revoke API tokens")
    tsub = t.add_subparsers(dest="token_command", required=True, metavar="ACTION")

    def source(p: argparse.ArgumentParser) -> None:
        src = p.add_mutually_exclusive_group(required=True)
        src.add_argument("--config", help="keeper configuration naming console.token_file")
        src.add_argument("--token-file", help="the token file itself")

    a = tsub.add_parser("add", help="create a token, print it once, store its hash")
    source(a)
    a.add_argument("--role", required=True, choices=ROLES, help="viewer reads; operator steers bots and orders; admin all")
    a.add_argument("--label", default="", help="who or what the token is for (shown in the audit log's whoami)")
    a.set_defaults(func=_cmd_add)
    ls = tsub.add_parser("list", help="list token ids, roles and labels")
    source(ls)
    ls.set_defaults(func=_cmd_list)
    r = tsub.add_parser("revoke", help="remove a token by id")
    source(r)
    r.add_argument("token_id", metavar="ID")
    r.set_defaults(func=_cmd_revoke)


__all__ = ["add_console"]
