"""PostgreSQL and Temporal run from their PyPI wheels as child processes."""

from banjian.embedded.postgres import DATABASE, PG_SYSTEM_USER, EmbeddedPostgres
from banjian.embedded.process import EmbeddedServerError, PortInUse, ensure_port_free, free_port
from banjian.embedded.supervise import Supervised
from banjian.embedded.temporal import (
    RETENTION_DAYS,
    TemporalDevServer,
    temporal_cli_path,
    test_server_path,
)

__all__ = [
    "DATABASE",
    "PG_SYSTEM_USER",
    "RETENTION_DAYS",
    "EmbeddedPostgres",
    "EmbeddedServerError",
    "PortInUse",
    "Supervised",
    "TemporalDevServer",
    "ensure_port_free",
    "free_port",
    "temporal_cli_path",
    "test_server_path",
]
