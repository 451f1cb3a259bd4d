"""A real PostgreSQL for integration tests: Debian's server binaries, a throw-away cluster in
a temporary directory on a free loopback port, and a streaming replica of it made with
`pg_basebackup`. Both are started once per test session and stopped at its end.

PostgreSQL refuses to run as root, so as root the server programs run as the `postgres`
user that Debian's package creates, in a directory that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.support.seaweed import HOST, free_ports

START_TIMEOUT = 60.0
SERVER_USER = "postgres"
# throw-away data: durability off; enough connections for several API and worker processes
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
)


@dataclass(frozen=True)
class PostgresServer:
    port: int
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SERVER_USER}@{HOST}:{self.port}/{database}"


def bin_dir() -> Path:
    """The newest server installed the Debian way (`/usr/lib/postgresql/<major>/bin`)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if not found:
        pytest.fail("PostgreSQL is not installed: scripts/test.sh installs Debian's package")
    return found[-1].parent


def server_command(*args: str) -> list[str]:
    """A server program run as a user PostgreSQL accepts (`postgres` when we are root)."""
    command = [str(bin_dir() / args[0]), *args[1:]]
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return command


def owned_directory(prefix: str) -> Path:
    """A new directory the server user owns (outside pytest's root-only temporary tree)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(path, user.pw_uid, user.pw_gid)
    return path


def run(*args: str) -> None:
    done = subprocess.run(server_command(*args), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args[:2])} failed:\n{done.stdout}\n{done.stderr}")


def start(root: Path, port: int) -> PostgresServer:
    """Start the cluster in `root/data` on `port`; return once it accepts connections."""
    server = PostgresServer(port=port, data=root / "data")
    options = f"-c listen_addresses={HOST} -p {port} -k {root} {SERVER_OPTIONS}"
    run("pg_ctl", "-D", str(server.data), "-l", str(root / "server.log"), "-o", options, "-w",
        "-t", str(int(START_TIMEOUT)), "start")  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            psycopg.connect(server.url(), connect_timeout=5).close()
            return server
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(server: PostgresServer) -> None:
    run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")
    shutil.rmtree(server.data.parent, ignore_errors=True)


def start_primary() -> PostgresServer:
    root = owned_directory("mpr-pg-primary-")
    run("initdb", "-D", str(root / "data"), "-A", "trust", "-U", SERVER_USER, "--no-sync")
    [port] = free_ports(1)
    return start(root, port)


def start_replica(primary: PostgresServer) -> PostgresServer:
    """A hot standby streaming from `primary` (`pg_basebackup -R` writes its settings)."""
    root = owned_directory("mpr-pg-replica-")
    run("pg_basebackup", "-h", HOST, "-p", str(primary.port), "-U", SERVER_USER,
        "-D", str(root / "data"), "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
    [port] = free_ports(1)
    return start(root, port)


def create_database(server: PostgresServer) -> str:
    """A new empty database on `server`; its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.url(), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return name


def wait_replayed(primary: PostgresServer, replica: PostgresServer) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with psycopg.connect(primary.url(), autocommit=True) as db:
        row = db.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    assert row is not None
    deadline = time.monotonic() + START_TIMEOUT
    with psycopg.connect(replica.url(), autocommit=True) as db:
        while True:
            caught_up = db.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [row[0]]
            ).fetchone()
            if caught_up is not None and caught_up[0]:
                return
            if time.monotonic() > deadline:
                pytest.fail("the replica did not catch up with the primary")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL primary on 127.0.0.1."""
    server = start_primary()
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture(scope="session")
def postgres_replica(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """A hot standby of `postgres_server`, streaming its writes."""
    replica = start_replica(postgres_server)
    try:
        yield replica
    finally:
        stop(replica)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database for one test."""
    return postgres_server.url(create_database(postgres_server))
