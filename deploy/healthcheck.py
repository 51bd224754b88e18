"""Container health checks (the Dockerfile's HEALTHCHECK, deploy/compose.yml): exit 0 when healthy,
else 1 with the reason on stderr. Standard library only: the slim image has no curl.

  python deploy/healthcheck.py keeper [--port N]   the keeper's /health answers 200 (on 127.0.0.1; port:
                                                   PERPKEEP_METRICS__PORT, else 9464)
  python deploy/healthcheck.py node [--rpc-url URL] [--out DIR]
                                                   the local node answers getHealth with "ok" (default
                                                   http://127.0.0.1:8899) and has written DIR/keeper.toml
                                                   (default /var/lib/perpkeep/localnet)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT_S = 3.0


def check_keeper(port: int) -> str | None:
    """None when the keeper's /health on ``port`` answers 200, else why not."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=TIMEOUT_S) as reply:
            return None if reply.status == 200 else f"/health answered {reply.status}"
    except urllib.error.HTTPError as e:  # 503: the body says which bots or checks failed
        return f"/health answered {e.code}: {e.read(2000).decode(errors='replace')}"
    except OSError as e:
        return f"/health on port {port}: {e}"


def check_node(rpc_url: str, out: Path) -> str | None:
    """None when the node at ``rpc_url`` answers getHealth with "ok" and ``out`` holds its keeper.toml."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getHealth"}).encode()
    request = urllib.request.Request(rpc_url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
            result = json.loads(reply.read(10_000)).get("result")
    except (OSError, ValueError, AttributeError) as e:
        return f"getHealth at {rpc_url}: {e}"
    if result != "ok":
        return f"getHealth at {rpc_url} answered {result!r}"
    if not (out / "keeper.toml").is_file():
        return f"no keeper.toml in {out} yet"
    return None


def main(argv: list[str]) -> int:
    """Run the check ``argv`` names; return the exit status."""
    p = argparse.ArgumentParser(prog="healthcheck.py", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="check", required=True)
    keeper = sub.add_parser("keeper")
    keeper.add_argument("--port", type=int, default=int(os.environ.get("PERPKEEP_METRICS__PORT") or 9464))
    node = sub.add_parser("node")
    node.add_argument("--rpc-url", default="http://127.0.0.1:8899")
    node.add_argument("--out", type=Path, default=Path("/var/lib/perpkeep/localnet"))
    args = p.parse_args(argv)
    problem = check_keeper(args.port) if args.check == "keeper" else check_node(args.rpc_url, args.out)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
