"""What the API process holds: the Temporal client, the read-model pool, and the center's directory.

The directory (catalog, staff) is kept in memory and refreshed from PostgreSQL. Every
request's token is checked in PostgreSQL (one primary-key read), so a revoked or expired
token, or a deactivated staff member's, is refused at once on every replica; the last
answer for a token is kept only for when PostgreSQL is briefly down, so staff actions,
which go to Temporal only, keep working meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.alert_hub import AlertHub
from api.read_your_writes import ProjectionWatch
from banjian.settings import Settings
from projections.center import Directory, StaffMember, load_directory, staff_for_token
from workflows.model import OfficeCalendar

log = structlog.get_logger(__name__)

# While PostgreSQL is down, a token verified this recently is still trusted.
TOKEN_OFFLINE_SECONDS = 15 * 60.0
DIRECTORY_REFRESH_SECONDS = 30.0


class DatabaseUnavailable(Exception):
    pass


@dataclass
class AppContext:
    settings: Settings
    client: Client
    pool: asyncpg.Pool
    directory: Directory
    task_queue: str
    sandbox: WorkflowEnvironment | None = None
    # In the sandbox, every case received and leave registered by this process: the clock
    # waits for them to settle.
    sandbox_cases: set[str] = field(default_factory=set)
    sandbox_leaves: set[int] = field(default_factory=set)
    _tokens: dict[str, tuple[StaffMember, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.alerts = AlertHub(self.pool)
        self.projections = ProjectionWatch(self.pool, self.settings.read_model_wait_seconds)

    @property
    def directory_tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @property
    def calendar(self) -> OfficeCalendar:
        s = self.settings
        return OfficeCalendar(s.timezone, s.office_hours, s.notify_outside_office_hours)

    async def now(self) -> datetime:
        """The current instant: the sandbox's clock in the sandbox."""
        if self.sandbox is not None:
            return await self.sandbox.get_current_time()
        return datetime.now(UTC)

    async def staff_for_token(self, token: str) -> StaffMember | None:
        """The token's staff member as PostgreSQL says now; while it is down, as it said in
        the last quarter of an hour."""
        try:
            staff = await staff_for_token(self.pool, token)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            cached = self._tokens.get(token)
            if cached is not None and time.monotonic() - cached[1] < TOKEN_OFFLINE_SECONDS:
                return cached[0]
            raise DatabaseUnavailable from err
        if staff is None:
            self._tokens.pop(token, None)
        else:
            self._tokens[token] = (staff, time.monotonic())
        return staff

    async def refresh_directory(self) -> None:
        try:
            self.directory = await load_directory(self.pool)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("directory.refresh_failed", error=type(err).__name__)

    async def keep_directory_fresh(self) -> None:
        while True:
            await asyncio.sleep(DIRECTORY_REFRESH_SECONDS)
            await self.refresh_directory()
