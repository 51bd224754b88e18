"""The console's HTTP server: uvicorn serving ``keepers.console.app`` inside the keeper's event loop.

``ConsoleServer(keeper).start()`` loads the token file (refusing to start without one: ``ConfigError``),
opens the audit log, starts the sampler of the dashboard's series and ``uvicorn.Server.serve()`` as a task
of the running loop, and returns once the socket listens (``port`` is then the bound port, also when
``console.port = 0``). uvicorn's own signal handling is left out: the keeper's SIGINT, SIGTERM and SIGHUP
handlers stay in charge, and ``stop`` ends the server when the keeper stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from keepers.config import ConfigError
from keepers.console.app import create_app
from keepers.console.audit import AuditLog
from keepers.console.auth import TokenFileError, TokenStore
from keepers.console.service import ConsoleService

if TYPE_CHECKING:
    from keepers.runtime import Keeper

log = logging.getLogger("perpkeep.console")
START_TIMEOUT_S = 10.0


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers (the keeper's own stay in charge)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn before 0.29
        return None


class ConsoleServer:
    """See the module docstring."""

    def __init__(self, keeper: Keeper) -> None:
        c = keeper.config.console
        if c.token_file is None:
            raise ConfigError("console.token_file: missing (required when console.enabled; create it with "
                              "`perpkeep console token add`)", "console.token_file")
        try:
            self.tokens = TokenStore(c.token_file)
        except TokenFileError as e:
            raise ConfigError(f"console.token_file: {e}", "console.token_file") from None
        self.keeper = keeper
        self.audit = AuditLog(c.audit_log_path)
        self.service = ConsoleService(keeper)
        self.app = create_app(self.service, self.tokens, self.audit, c)
        self.server = _Server(uvicorn.Config(self.app, host=c.host, port=c.port, log_level="warning", access_log=False,
                                             lifespan="off", timeout_graceful_shutdown=2, server_header=False))
        self._task: asyncio.Task[None] | None = None
        self._sampler: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.port = c.port

    @property
    def url(self) -> str:
        return f"http://{self.keeper.config.console.host}:{self.port}"

    async def start(self) -> None:
        """Listen (see the module docstring); raises ``ConfigError`` when the address cannot be bound."""
        c = self.keeper.config.console
        # Bound here, not by uvicorn: it exits the process (SystemExit) when it cannot bind.
        sock = socket.socket(socket.AF_INET6 if ":" in c.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((c.host, c.port))
        except OSError as e:
            sock.close()
            raise ConfigError(f"console.port: cannot listen on {c.host}:{c.port}: {e.strerror or e}", "console.port") from None
        sock.set_inheritable(True)
        self.port = sock.getsockname()[1]
        self._task = asyncio.create_task(self.server.serve(sockets=[sock]), name="console")
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        while not self.server.started:
            if self._task.done() or asyncio.get_running_loop().time() > deadline:
                raise OSError(f"console did not start listening on {self.url}")
            await asyncio.sleep(0.01)
        self._sampler = asyncio.create_task(self.service.run_sampler(self._stop), name="console-sampler")
        log.info("console on %s (%d tokens)", self.url, len(self.tokens))

    async def stop(self) -> None:
        """Stop serving (open streams end) and close the audit log."""
        self._stop.set()
        self.service.closing = True
        self.server.should_exit = True
        for task in (self._task, self._sampler):
            if task is not None:
                try:
                    await asyncio.wait_for(task, 5.0)
                except (TimeoutError, asyncio.CancelledError, SystemExit):
                    task.cancel()
        self.audit.close()


__all__ = ["ConsoleServer"]
