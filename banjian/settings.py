"""All configuration, read once from ``BANJIAN_*`` environment variables.

An unset database URL or Temporal address means "the embedded stack that
``banjian run`` started from the same data folder".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANJIAN_", extra="ignore")

    data_dir: Path = Path(".banjian")
    database_url: str | None = None
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    task_queue: str = "banjian-cases"
    # Keys of Temporal payloads, "id:base64key" items, the current one first (privacy.keys).
    # Unset: the embedded stack's key file in the data folder; required with temporal_address.
    payload_keys: SecretStr | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Embedded servers' ports (ignored when the addresses above are set).
    postgres_port: int = 5433
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    # A worker run on its own (``banjian worker``) serves its metrics here when set.
    worker_metrics_port: int | None = None

    # Where staff open the API's pages: alert messages link to a case's page under it
    # (unset: http://<api_host>:<api_port>).
    public_url: str | None = None

    # A staff action answers once the read model shows it, waiting at most this long.
    read_model_wait_seconds: float = 3.0

    timezone: str = "Asia/Shanghai"
    office_hours: str = "08:30-11:30,14:30-17:30"
    # Alerts reach people only in office hours unless this is set.
    notify_outside_office_hours: bool = False

    # Cases are started with their center as the Keyword search attribute ``BanjianCenter``,
    # which the namespace must have (the embedded dev server registers it; the sandbox's
    # time-skipping server has none, and its cases go without).
    center_search_attribute: bool = True

    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    def pages_url(self) -> str:
        """The base of the pages' links, without a trailing slash."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
