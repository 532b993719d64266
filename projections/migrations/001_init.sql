-- The center: windows, staff, tokens, the service catalog.
create table windows (
    code text primary key,
    name text not null
);

create table staff (
    id text primary key,
    name text not null,
    role text not null check (role in ('clerk', 'window_head', 'director', 'ops')),
    window_code text references windows (code),
    post text check (post in ('A', 'B')),
    active boolean not null default true
);

-- Opaque bearer tokens, stored as SHA-256 hashes only.
create table tokens (
    token_hash text primary key,
    staff_id text not null references staff (id),
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

create table services (
    code text primary key,
    name text not null,
    window_code text not null references windows (code),
    kind text not null check (kind in ('immediate', 'promised', 'joint', 'upward')),
    promised_days integer not null check (promised_days >= 0),
    legal_days integer not null check (legal_days >= 0),
    legal_basis text not null default '',
    materials jsonb not null,
    departments text[] not null default '{}'
);

create table center (
    key text primary key,
    value jsonb not null
);

-- The case read model: one row per case, written only by the projection.
create table cases (
    case_id text primary key,
    service_code text not null,
    service_name text not null,
    window_code text not null,
    kind text not null,
    status text not null,
    outcome text,
    urgent boolean not null,
    received_at timestamptz not null,
    due_at timestamptz,
    warn_at timestamptz,
    paused boolean not null,
    suspended boolean not null,
    overdue boolean not null,
    warned boolean not null,
    assignee text not null,
    first_receiver text not null,
    applicant_name text not null,
    applicant_id_number text not null,
    applicant_phone text not null,
    materials text[] not null,
    materials_missing text[] not null,
    signoffs jsonb not null,
    completed_at timestamptz,
    last_seq integer not null,
    projected_at timestamptz not null default now()
);

create index cases_received on cases (received_at desc, case_id desc);
create index cases_status on cases (status, received_at desc);
create index cases_window on cases (window_code, status);
create index cases_assignee on cases (assignee, status);
create index cases_open_due on cases (due_at) where status <> 'completed';

create table case_events (
    case_id text not null,
    seq integer not null check (seq >= 1),
    type text not null,
    at timestamptz not null,
    actor text not null,
    data jsonb not null,
    schema_version integer not null,
    primary key (case_id, seq)
);

create index case_events_type_at on case_events (type, at);
