-- The applicant's side of a case (好差评): the per-case public link, the ratings given through it,
-- and the rectification a bad rating opens, with its events and its alerts.

-- One unguessable token per case: the last segment of the applicant's link (rating, progress).
create table case_links (
    case_id text primary key,
    token text not null unique,
    created_at timestamptz not null default now()
);

-- Cases received before links were issued get theirs now (two random UUIDs: 244 random bits).
insert into case_links (case_id, token)
select case_id, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
from cases
on conflict do nothing;

-- One rating per case and stage: at receipt, at completion, and once more after a
-- rectification (追评).
create table ratings (
    id text primary key,
    case_id text not null,
    stage text not null check (stage in ('received', 'completed', 'followup')),
    level smallint not null check (level between 1 and 5),
    tags text[] not null default '{}',
    comment text,
    window_code text not null,
    rated_at timestamptz not null,
    rectification_id text,
    unique (case_id, stage)
);

create index ratings_window_rated on ratings (window_code, rated_at desc);
create index ratings_rated on ratings (rated_at desc);

-- The rectification a bad rating opens: its current state, guarded by last_seq like a case's row.
create table rectifications (
    id text primary key,
    rating_id text not null unique,
    case_id text not null,
    window_code text not null,
    status text not null check (status in ('open', 'done')),
    level smallint not null,
    opened_at timestamptz not null,
    contact_due_at timestamptz not null,
    rectify_due_at timestamptz not null,
    contacted_at timestamptz,
    contact_note text,
    rectified_at timestamptz,
    action text,
    answered_at timestamptz,
    answer text,
    contact_overdue boolean not null default false,
    overdue boolean not null default false,
    on_time boolean,
    last_seq integer not null
);

create index rectifications_status on rectifications (status, opened_at desc);
create index rectifications_case on rectifications (case_id);

create table rectification_events (
    rectification_id text not null,
    seq integer not null,
    type text not null,
    at timestamptz not null,
    actor text not null,
    data jsonb not null,
    schema_version integer not null,
    primary key (rectification_id, seq)
);

-- A rectification's alerts name its case, have kind 'rectification', and say which threshold
-- (warning, overdue, escalation) of which clock (contact, rectify) raised them.
alter table alerts add column threshold text;
alter table alerts drop constraint alerts_kind_check;
alter table alerts add constraint alerts_kind_check
    check (kind in ('warning', 'overdue', 'escalation', 'notice_missing', 'rectification'));
