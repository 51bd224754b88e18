"""A throwaway PostgreSQL server: ``initdb`` into a temporary folder, ``postgres`` on 127.0.0.1 on a free port.

For tests and benchmarks (the keepers' PostgreSQL lease, Optuna's shared storage). The server binaries
are Debian's (``/usr/lib/postgresql/<version>/bin``, installed by ``deploy/system-packages.sh``), or
``$PG_BINDIR``, or on PATH. PostgreSQL refuses to run as root: as root the folder is given to the
``postgres`` user and every binary runs through ``runuser -u postgres --``. Durability is off (``fsync``,
``synchronous_commit``): the data lives as long as the test.

    with running_postgres() as pg:
        connect(pg.dsn)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
SERVICE_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def server_bindir() -> Path:
    """The folder holding ``initdb`` and ``postgres`` (raises ``PostgresUnavailable`` when none does)."""
    candidates = [Path(os.environ["PG_BINDIR"])] if os.environ.get("PG_BINDIR") else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                         if p.parent.name.isdigit() else 0, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for d in candidates:
        if (d / "initdb").exists() and (d / "postgres").exists():
            return d
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, postgres) not found: install them with "
                              "`bash deploy/system-packages.sh` (Debian's postgresql) or set PG_BINDIR")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """A running server: its DSN (user ``postgres``, trust authentication on 127.0.0.1), folder and process."""

    dsn: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def log_path(self) -> Path:
        return self.folder / "postgres.log"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log (for failing tests)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _as_service_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *argv] if os.geteuid() == 0 else argv


def start_postgres(timeout_s: float = READY_TIMEOUT_S) -> PostgresServer:
    """Create a cluster in a new temporary folder and start it; return once it accepts connections."""
    import psycopg

    bindir = server_bindir()
    folder = Path(tempfile.mkdtemp(prefix="perpkeep-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, SERVICE_USER, SERVICE_USER)
    try:
        subprocess.run(_as_service_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                         "-E", "UTF8", "--no-sync", "--no-instructions"]),
                       check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {e.stderr.decode(errors='replace')[-2000:]}") from None
    port = free_port()
    log = open(folder / "postgres.log", "wb")  # noqa: SIM115 - the server writes it until stopped
    if os.geteuid() == 0:
        shutil.chown(folder / "postgres.log", SERVICE_USER, SERVICE_USER)
    process = subprocess.Popen(_as_service_user([
        str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(folder),
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=50"]),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    server = PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", port, folder, process)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(server.dsn, connect_timeout=2):
                return server
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = server.log_tail()
                stop_postgres(server)
                raise RuntimeError(f"postgres did not accept connections within {timeout_s} s:\n{tail}") from None
            time.sleep(0.1)


def _postmaster_pid(server: PostgresServer) -> int | None:
    try:
        return int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_postgres(server: PostgresServer) -> None:
    """Fast shutdown (SIGINT to the postmaster this module started), SIGKILL after ``STOP_TIMEOUT_S``; remove the folder."""
    pid = _postmaster_pid(server)
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid if pid is not None else server.process.pid, signal.SIGINT)
        try:
            server.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)  # its own session: the postmaster and its backends
            server.process.wait(STOP_TIMEOUT_S)
    shutil.rmtree(server.folder, ignore_errors=True)


@contextlib.contextmanager
def running_postgres(timeout_s: float = READY_TIMEOUT_S) -> Iterator[PostgresServer]:
    """A server for the duration of the ``with`` block."""
    server = start_postgres(timeout_s)
    try:
        yield server
    finally:
        stop_postgres(server)


__all__ = ["PostgresServer", "PostgresUnavailable", "free_port", "running_postgres", "server_bindir", "start_postgres",
           "stop_postgres"]
