-- Idempotency-Key for the POST routes that write PostgreSQL directly (score deductions, alert
-- channels, calendar notices and closures, staff leave). A key is its caller's: one row per
-- (staff member, key), inserted in the same transaction as the change it stands for, so the
-- primary key also keeps two concurrent requests with one key from both applying.
-- Case actions keep their keys in Temporal (update ids); staff_leave's own idempotency_key and
-- request_hash (010) are no longer written and stay only for the rows that have them.
create table idempotency_keys (
    staff_id text not null,
    key text not null,
    route text not null,         -- method and path, e.g. 'POST /api/v1/alert-channels'
    request_hash text not null,  -- sha256 of the request body (api.cases.request_hash)
    -- What the rest of the request needs after the change is committed (e.g. a leave's id),
    -- so that a retry can finish a request cut short there.
    result json,
    -- The answer: null until it is known. json, not jsonb: a replay keeps the key order.
    status smallint,
    body json,
    created_at timestamptz not null default now(),
    answered_at timestamptz,
    primary key (staff_id, key)
);

create index idempotency_keys_created on idempotency_keys (created_at);
