"""`banjian run` as a user starts it: the stack, the CLI beside it, a restart keeping data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from banjian.embedded import ensure_port_free, free_port

BANJIAN = str(Path(sys.executable).parent / "banjian")


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BANJIAN_DATA_DIR": str(tmp_path / "data"),
        "BANJIAN_API_PORT": str(free_port()),
        "BANJIAN_POSTGRES_PORT": str(free_port()),
        "BANJIAN_TEMPORAL_PORT": str(free_port()),
        "BANJIAN_TEMPORAL_UI_PORT": str(free_port()),
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BANJIAN, *args], env=env, capture_output=True, text=True, timeout=60)


class Running:
    """``banjian run`` (with ``args``), its logs written to ``log`` when given."""

    def __init__(self, env: dict[str, str], *args: str, log: Path | None = None) -> None:
        self.env = env
        with open(log, "ab") if log is not None else open(os.devnull, "wb") as err:
            self.proc = subprocess.Popen(
                [BANJIAN, "run", *args], env=env, stdout=subprocess.PIPE, stderr=err, text=True
            )
        self.banner: list[str] = []
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 90
        for line in self.proc.stdout:
            self.banner.append(line)
            if "Stop with Ctrl-C" in line or time.monotonic() > deadline:
                break
        assert any("banjian is running" in x for x in self.banner), "".join(self.banner)
        self.url = f"http://127.0.0.1:{env['BANJIAN_API_PORT']}/api/v1"

    @property
    def tokens(self) -> dict[str, str]:
        """The demo tokens the banner lists, by staff id."""
        return dict(
            line.split()
            for line in self.banner
            if line.startswith("    ") and len(line.split()) == 2
        )

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


@pytest.fixture
def running(stack_env: dict[str, str]) -> Iterator[Running]:
    stack = Running(stack_env)
    yield stack
    if stack.proc.poll() is None:
        stack.stop()


def test_run_serves_the_api_and_the_cli_works_beside_it(running: Running) -> None:
    env = running.env
    staff = json.loads(cli(env, "staff", "list", "--json").stdout)
    assert {"id": "mz-a", "role": "clerk", "window": "minzheng", "post": "A"}.items() <= {
        k: v for s in staff if s["id"] == "mz-a" for k, v in s.items()
    }.items()
    added = cli(
        env,
        "channels",
        "add",
        "--level",
        "director",
        "--kind",
        "dingtalk",
        "--url",
        "https://oapi.dingtalk.com/robot/send?access_token=x",
        "--secret",
        "SECx",
    )
    assert added.returncode == 0, added.stderr
    listed = cli(env, "channels", "list").stdout
    assert "director" in listed and "dingtalk" in listed and "signed" in listed
    assert "SECx" not in listed and "access_token" not in listed
    imported = cli(env, "calendar", "import", "tests/workdays/notice_2027.ics")
    assert imported.returncode == 0, imported.stderr
    assert "open cases recounted" in imported.stdout
    bad = cli(env, "calendar", "import", "pyproject.toml")
    assert bad.returncode == 1 and "error:" in bad.stderr
    made = cli(env, "token", "create", "--staff", "mz-a")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    h = {"Authorization": f"Bearer {token}"}
    body = {
        "service_code": "MZ-003",
        "applicant": {"name": "赵六", "id_number": "11010519491231002X", "phone": "13912345678"},
        "materials": ["id_card", "hukou_book", "photo", "bank_card"],
    }
    case = httpx.post(f"{running.url}/cases", json=body, headers=h, timeout=30).json()
    assert case["status"] == "received"
    assert running.stop() == 0
    for port in ("BANJIAN_API_PORT", "BANJIAN_POSTGRES_PORT", "BANJIAN_TEMPORAL_PORT"):
        ensure_port_free(int(env[port]), port)
    assert not (Path(env["BANJIAN_DATA_DIR"]) / "stack.json").exists()

    again = Running(env)  # the same data folder: the case is still there
    try:
        r = httpx.get(f"{again.url}/cases/{case['case_id']}?consistent=true", headers=h, timeout=30)
        assert r.status_code == 200 and r.json()["case_id"] == case["case_id"]
    finally:
        assert again.stop() == 0


def test_run_refuses_a_busy_port_with_a_clear_message(stack_env: dict[str, str]) -> None:
    port = int(stack_env["BANJIAN_API_PORT"])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = subprocess.run(
            [BANJIAN, "run"], env=stack_env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "already in use" in result.stderr


def test_cli_says_clearly_when_no_stack_is_running(stack_env: dict[str, str]) -> None:
    result = cli(stack_env, "staff", "list")
    assert result.returncode == 1
    assert "no running banjian stack" in result.stderr


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``, with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue  # gone meanwhile
        if ppid == pid:
            found[int(stat.parent.name)] = cmdline
    return found


def test_a_killed_temporal_server_is_restarted_and_the_stack_serves_again(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "stack.log"
    stack = Running({**stack_env, "BANJIAN_LOG_FORMAT": "json"}, log=log)
    try:
        h = {"Authorization": f"Bearer {stack.tokens['mz-a']}"}
        body = {
            "service_code": "MZ-003",
            "applicant": {
                "name": "赵六",
                "id_number": "11010519491231002X",
                "phone": "13912345678",
            },
            "materials": ["id_card", "hukou_book", "photo", "bank_card"],
        }
        earlier = httpx.post(f"{stack.url}/cases", json=body, headers=h, timeout=30)
        assert earlier.status_code == 201, earlier.text
        [temporal] = [p for p, cmd in children(stack.proc.pid).items() if "start-dev" in cmd]
        os.kill(temporal, signal.SIGKILL)

        readyz = stack.url.removesuffix("/api/v1") + "/readyz"
        deadline = time.monotonic() + 120
        while httpx.get(readyz, timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "the stack did not become ready again"
            time.sleep(0.5)
        [again] = [p for p, cmd in children(stack.proc.pid).items() if "start-dev" in cmd]
        assert again != temporal

        later = httpx.post(f"{stack.url}/cases", json=body, headers=h, timeout=60)
        assert later.status_code == 201, later.text
        case_id = earlier.json()["case_id"]
        live = httpx.get(f"{stack.url}/cases/{case_id}?consistent=true", headers=h, timeout=60)
        assert live.status_code == 200 and live.json()["status"] == "received"
    finally:
        assert stack.stop() == 0
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    died = [e for e in events if e["event"] == "embedded.died"]
    assert [(e["server"], e["pid"]) for e in died] == [("temporal", temporal)]
    assert [e["server"] for e in events if e["event"] == "embedded.restarted"] == ["temporal"]
