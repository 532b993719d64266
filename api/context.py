"""What the API process holds: the Temporal client, the read-model pool, and the centers'
directories.

Every request is one center's: the authenticated staff member's (``api.deps.get_staff`` sets
it), or, on the public pages, the center of the case the link names. ``ctx.directory``,
``ctx.directory_tz`` and ``ctx.calendar`` are that center's (a context variable, like the
log's bound fields), so a handler never reads another center's catalog, staff or calendar.

The directories (catalog, staff) are kept in memory and refreshed from PostgreSQL. Every
request's token is checked in PostgreSQL (one primary-key read), so a revoked or expired
token, or a deactivated staff member's, is refused at once on every replica; the last
answer for a token is kept only for when PostgreSQL is briefly down, so staff actions,
which go to Temporal only, keep working meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from contextvars import ContextVar
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
from projections.center import Directory, StaffMember, load_directories, staff_for_token
from projections.db import DB_ERRORS
from workflows.model import OfficeCalendar

log = structlog.get_logger(__name__)

# While PostgreSQL is down, a token verified this recently is still trusted.
TOKEN_OFFLINE_SECONDS = 15 * 60.0
DIRECTORY_REFRESH_SECONDS = 30.0


# The code of the center the current request is about.
_CENTER: ContextVar[str | None] = ContextVar("banjian_center", default=None)


class DatabaseUnavailable(Exception):
    pass


class UnknownCenter(LookupError):
    """A request's center that this process has no directory for (yet)."""


@dataclass
class AppContext:
    settings: Settings
    client: Client
    pool: asyncpg.Pool
    directories: dict[str, Directory]
    task_queue: str
    sandbox: WorkflowEnvironment | None = None
    # In the sandbox, the workflow ids of every case (complaint, rectification) received and
    # the leaves registered by this process: the clock waits for them to settle.
    sandbox_cases: set[str] = field(default_factory=set)
    sandbox_leaves: set[int] = field(default_factory=set)
    _tokens: dict[str, tuple[StaffMember, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.alerts = AlertHub(self.pool)
        self.projections = ProjectionWatch(self.pool, self.settings.read_model_wait_seconds)

    @staticmethod
    def use_center(code: str) -> None:
        """The current request is about center ``code`` from here on."""
        _CENTER.set(code)

    @property
    def center(self) -> str:
        code = _CENTER.get()
        if code is None:
            raise UnknownCenter("no center chosen for this request")
        return code

    @property
    def directory(self) -> Directory:
        """The current request's center's directory."""
        found = self.directories.get(self.center)
        if found is None:
            raise UnknownCenter(f"no directory of center {self.center!r}")
        return found

    @property
    def directory_tz(self) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone)

    @property
    def calendar(self) -> OfficeCalendar:
        """The current center's calendar: its own time zone and office hours (the settings'
        when its file gives none); cases carry it, so their activities count in it."""
        s, own = self.settings, self.directory.settings
        return OfficeCalendar(
            str(own.get("timezone") or s.timezone),
            str(own.get("office_hours") or s.office_hours),
            bool(own.get("notify_outside_office_hours", s.notify_outside_office_hours)),
            center=self.center,
        )

    @property
    def center_attribute(self) -> bool:
        """Whether cases are started with the ``BanjianCenter`` search attribute."""
        return self.settings.center_search_attribute and self.sandbox is None

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
        except DB_ERRORS as err:
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
            self.directories = await load_directories(self.pool)
        except DB_ERRORS as err:
            log.warning("directory.refresh_failed", error=type(err).__name__)

    async def keep_directory_fresh(self) -> None:
        while True:
            await asyncio.sleep(DIRECTORY_REFRESH_SECONDS)
            await self.refresh_directory()
