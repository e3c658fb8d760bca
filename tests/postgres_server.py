"""A throwaway PostgreSQL server for the test session, started from the machine's packages.

``initdb`` and ``pg_ctl`` run as the ``postgres`` user when the tests run as root (PostgreSQL
refuses to run as root), in a temporary directory, on a free loopback port, with fsync off.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for directory in reversed(candidates):
        if (Path(directory) / "initdb").exists():
            return Path(directory)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found; install Debian's `postgresql`"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    as_user: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{Path(args[0]).name} failed: {(result.stderr or result.stdout).strip()[-500:]}"
            )

    def start(self) -> None:
        data = self.root / "data"
        self._run(str(self.bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U",
                  "postgres", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"),
             "-m", "immediate", "-w", "stop"],
            capture_output=True, check=False, timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_throwaway_server() -> PostgresServer:
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="opslens-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("running as root but `runuser` is missing")
        try:
            shutil.chown(root, user="postgres")
        except (LookupError, PermissionError) as exc:
            raise PostgresUnavailable(f"cannot hand {root} to the postgres user: {exc}") from exc
        as_user = [runuser, "-u", "postgres", "--"]
    server = PostgresServer(bin_dir=bin_dir, root=root, port=_free_port(), as_user=as_user)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
