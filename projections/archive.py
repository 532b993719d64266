"""The case archive: closed cases' histories on a hash chain, appended one writer at a time.

An entry's content is its case id, instants, and the SHA-256 of its history
and of its events; its chain hash is the SHA-256 of the previous entry's chain
hash and that content. ``verify_chain`` recomputes every link, so an edited
entry (content or hashes) or a deleted one shows at the position where the
chain breaks. Removing the newest entries leaves a shorter valid chain: that
is caught only against a copy of the head kept elsewhere (the archiver logs
each new head, the dossier prints it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from projections.db import Conn

GENESIS = "0" * 64
# Any constant works; it only keeps two archivers from appending at once.
_LOCK_KEY = 0x62616E6B


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def chain_hash(
    prev_hash: str,
    position: int,
    case_id: str,
    closed_at: datetime,
    archived_at: datetime,
    history_sha256: str,
    events_sha256: str,
) -> str:
    content = [
        prev_hash,
        str(position),
        case_id,
        _instant(closed_at),
        _instant(archived_at),
        history_sha256,
        events_sha256,
    ]
    return sha256("\n".join(content))


@dataclass(frozen=True)
class ArchiveEntry:
    position: int
    case_id: str
    closed_at: datetime
    archived_at: datetime
    history: str
    history_sha256: str
    events: str
    events_sha256: str
    prev_hash: str
    chain_hash: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ArchiveEntry:
        """The entry of a row; the row's center (``center_code``) is outside the chain."""
        return cls(**{k: v for k, v in dict(row).items() if k != "center_code"})


async def archive_entry(conn: asyncpg.Pool | Conn, case_id: str) -> ArchiveEntry | None:
    row = await conn.fetchrow("select * from case_archive where case_id = $1", case_id)
    return ArchiveEntry.from_row(row) if row is not None else None


async def archived_case_ids(conn: asyncpg.Pool | Conn) -> list[str]:
    rows = await conn.fetch("select case_id from case_archive order by position")
    return [r["case_id"] for r in rows]


async def append(
    pool: asyncpg.Pool, case_id: str, closed_at: datetime, history: str, events: str
) -> ArchiveEntry | None:
    """Add a case at the head of the chain; None when it is archived already."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", _LOCK_KEY)
        if await conn.fetchval("select 1 from case_archive where case_id = $1", case_id):
            return None
        head = await conn.fetchrow(
            "select position, chain_hash from case_archive order by position desc limit 1"
        )
        position = head["position"] + 1 if head else 1
        prev = head["chain_hash"] if head else GENESIS
        archived_at = datetime.now(UTC)
        history_sha, events_sha = sha256(history), sha256(events)
        entry = ArchiveEntry(
            position,
            case_id,
            closed_at,
            archived_at,
            history,
            history_sha,
            events,
            events_sha,
            prev,
            chain_hash(prev, position, case_id, closed_at, archived_at, history_sha, events_sha),
        )
        await conn.execute(
            # The case's center, as the read model has it (not part of the chain's hashes).
            "insert into case_archive (position, case_id, closed_at, archived_at, history,"
            " history_sha256, events, events_sha256, prev_hash, chain_hash, center_code)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
            " coalesce((select center_code from cases where case_id = $2), ''))",
            entry.position,
            entry.case_id,
            entry.closed_at,
            entry.archived_at,
            entry.history,
            entry.history_sha256,
            entry.events,
            entry.events_sha256,
            entry.prev_hash,
            entry.chain_hash,
        )
    return entry


def entry_problems(entry: ArchiveEntry) -> list[str]:
    """What is wrong with one entry on its own (its hashes against its content)."""
    problems = []
    if sha256(entry.history) != entry.history_sha256:
        problems.append("the history does not match its SHA-256")
    if sha256(entry.events) != entry.events_sha256:
        problems.append("the events do not match their SHA-256")
    expected = chain_hash(
        entry.prev_hash,
        entry.position,
        entry.case_id,
        entry.closed_at,
        entry.archived_at,
        entry.history_sha256,
        entry.events_sha256,
    )
    if expected != entry.chain_hash:
        problems.append("the chain hash does not match the entry's content")
    return problems


@dataclass(frozen=True)
class ChainBreak:
    position: int
    case_id: str
    problem: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head_position: int
    head_hash: str
    breaks: list[ChainBreak]

    @property
    def intact(self) -> bool:
        return not self.breaks


async def verify_chain(conn: Conn, page: int = 500) -> ChainReport:
    """Recompute every link, oldest first, reading the archive a page at a time."""
    breaks: list[ChainBreak] = []
    prev_position, prev_hash, count = 0, GENESIS, 0
    while True:
        rows = await conn.fetch(
            "select * from case_archive where position > $1 order by position limit $2",
            prev_position,
            page,
        )
        for row in rows:
            entry = ArchiveEntry.from_row(row)
            count += 1
            if entry.position != prev_position + 1:
                missing = f"{prev_position + 1}..{entry.position - 1}"
                breaks.append(ChainBreak(entry.position, entry.case_id, f"entries {missing} gone"))
            if entry.prev_hash != prev_hash:
                breaks.append(
                    ChainBreak(
                        entry.position,
                        entry.case_id,
                        "does not link to the previous entry's chain hash",
                    )
                )
            breaks += [ChainBreak(entry.position, entry.case_id, p) for p in entry_problems(entry)]
            prev_position, prev_hash = entry.position, entry.chain_hash
        if len(rows) < page:
            return ChainReport(count, prev_position, prev_hash, breaks)
