-- The long-term record of closed cases (kept long after Temporal's retention deletes their
-- workflows): each case's full Temporal history and its events, appended to a hash chain.
-- Each entry's chain hash covers the previous entry's, so editing or deleting an entry
-- breaks every link after it (`banjian archive verify`). Written only by the archiver.
create table case_archive (
    position bigint primary key check (position >= 1),
    case_id text not null unique,
    closed_at timestamptz not null,
    archived_at timestamptz not null,
    history text not null,  -- Temporal's JSON history, byte for byte what is hashed
    history_sha256 text not null,
    events text not null,  -- the decided events, canonical JSON, byte for byte what is hashed
    events_sha256 text not null,
    prev_hash text not null,
    chain_hash text not null unique
);
