"""The console's worker process: uvicorn serving the console's application, away from the keeper's loop.

Started by the keeper (``keepers.console.server``) as ``python -m keepers.console.worker --link-fd N
--listen-fd M``: ``N`` is its end of the socket pair to the keeper (``keepers.console.protocol``), ``M`` the
listening socket the keeper bound. It reads ``init`` (the ``[console]`` section) and the first snapshot,
opens the token file and the audit log, serves, says ``ready`` with the port, and from then on applies what
the keeper pushes and answers. It ends when the keeper says ``stop`` or closes the link (the keeper exited,
however it exited); a failure before it serves is told to the keeper as ``failed`` with the reason.

Requests, authentication, rate limits, the audit log's fsyncs and the JSON of every reply cost this
process's CPU, not the keeper's: the liquidation path does not wait behind a dashboard.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from keepers.config import ConfigError, ConsoleConfig, rebuild_section
from keepers.console.app import create_app
from keepers.console.audit import AuditLog
from keepers.console.auth import TokenFileError, TokenStore
from keepers.console.protocol import MESSAGE_LIMIT, encode, read_message
from keepers.console.remote import RemoteService

log = logging.getLogger("perpkeep.console")
INIT_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the worker ends when the keeper says so, not on the terminal's
    Ctrl-C (which reaches the keeper, that then stops the worker)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn before 0.29
        return None


def console_config(values: dict[str, Any]) -> ConsoleConfig:
    """The ``[console]`` section the keeper sent, checked again by the config file's rules."""
    return rebuild_section(ConsoleConfig(), values, "console", Path.cwd())


async def serve(link_fd: int, listen_fd: int) -> int:
    """Serve until the keeper stops the worker (see the module docstring); the exit status."""
    reader, writer = await asyncio.open_unix_connection(sock=socket.socket(fileno=link_fd), limit=MESSAGE_LIMIT)

    async def fail(reason: str) -> int:
        writer.write(encode({"failed": reason}))
        await writer.drain()
        writer.close()
        return 1

    try:
        init = await asyncio.wait_for(read_message(reader), INIT_TIMEOUT_S)
        first = await asyncio.wait_for(read_message(reader), INIT_TIMEOUT_S)
    except (TimeoutError, ValueError) as e:
        return await fail(f"the keeper's first messages did not come: {e!r}")
    if not init or "init" not in init or not first or "push" not in first:
        return await fail("the keeper's first messages were not init and a snapshot")
    try:
        config = console_config(init["init"])
        if config.token_file is None:
            raise ConfigError("console.token_file: missing", "console.token_file")
        tokens = TokenStore(config.token_file)
        audit = AuditLog(config.audit_log_path)
    except (ConfigError, TokenFileError, OSError) as e:
        return await fail(str(e))
    remote = RemoteService(writer.write, config.stream_interval_s, config.risk_refresh_s)
    remote.on_snapshot(first["push"], stale=True)  # taken while the keeper was starting its bots
    app = create_app(remote, tokens, audit, config)
    listener = socket.socket(fileno=listen_fd)
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                    timeout_graceful_shutdown=2, server_header=False))
    task = asyncio.create_task(server.serve(sockets=[listener]), name="console-http")
    try:
        while not server.started:
            if task.done():
                return await fail(f"uvicorn did not start: {task.exception()!r}" if not task.cancelled() else "cancelled")
            await asyncio.sleep(0.01)
        writer.write(encode({"ready": listener.getsockname()[1]}))
        while True:
            try:
                message = await read_message(reader)
            except (ValueError, ConnectionError) as e:
                log.error("console link broken: %s", e)
                break
            if message is None or message.get("stop"):
                break
            remote.on_message(message)
    finally:
        remote.on_closed()
        server.should_exit = True
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT_S)
        except (TimeoutError, asyncio.CancelledError, SystemExit):
            task.cancel()
        audit.close()
        writer.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the worker (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--link-fd", type=int, required=True)
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s [console worker] %(message)s")
    return asyncio.run(serve(args.link_fd, args.listen_fd))


if __name__ == "__main__":
    sys.exit(main())
