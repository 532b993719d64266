"""PostgreSQL and Temporal run from their PyPI wheels as child processes.

The wheels are the `embedded` extra; this package imports without them, and names the extra
(``MissingExtra``) when a server is started without its wheel.
"""

from banjian.embedded.postgres import DATABASE, PG_SYSTEM_USER, EmbeddedPostgres, postgres_bin_path
from banjian.embedded.process import (
    EXTRA_HINT,
    EmbeddedServerError,
    MissingExtra,
    PortInUse,
    ensure_port_free,
    free_port,
)
from banjian.embedded.supervise import Supervised
from banjian.embedded.temporal import (
    RETENTION_DAYS,
    TemporalDevServer,
    temporal_cli_path,
    test_server_path,
)

__all__ = [
    "DATABASE",
    "EXTRA_HINT",
    "PG_SYSTEM_USER",
    "RETENTION_DAYS",
    "EmbeddedPostgres",
    "EmbeddedServerError",
    "MissingExtra",
    "PortInUse",
    "Supervised",
    "TemporalDevServer",
    "ensure_port_free",
    "free_port",
    "postgres_bin_path",
    "temporal_cli_path",
    "test_server_path",
]
