-- Staff leave (请假/外出), registered by the window head: while it runs, the window's B post
-- covers the A post's open cases (AB岗), and hands them back when A returns.
create table staff_leave (
    id bigint generated always as identity primary key,
    staff_id text not null references staff (id),
    window_code text not null,
    cover_staff text not null references staff (id),  -- the B post who takes over
    from_day date not null,
    to_day date not null,
    reason text not null,
    registered_by text not null references staff (id),
    registered_at timestamptz not null default now(),
    idempotency_key text,
    request_hash text,
    -- A back before to_day: the day, and who said so.
    returned_on date,
    returned_by text references staff (id),
    started_at timestamptz,  -- every open case taken over
    ended_at timestamptz,    -- every case taken over handed back, kept or skipped
    check (to_day >= from_day),
    unique (registered_by, idempotency_key)
);

create index staff_leave_staff on staff_leave (staff_id, from_day desc);
create index staff_leave_running on staff_leave (from_day) where ended_at is null;

-- One row per case the B post took over during a leave.
create table leave_takeovers (
    leave_id bigint not null references staff_leave (id),
    case_id text not null,
    takeover_seq integer,  -- seq of the takeover's case.reassigned; null until it is known
    taken_at timestamptz not null default now(),
    -- null while the B post holds it; then handed_back | kept (B acted) | closed | moved
    -- (reassigned by someone else meanwhile) | not_taken (the takeover itself was refused)
    outcome text check (outcome in ('handed_back', 'kept', 'closed', 'moved', 'not_taken')),
    why text,
    handback_seq integer,
    settled_at timestamptz,
    primary key (leave_id, case_id)
);
