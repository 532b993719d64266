-- The applicant's side beside the cases: inquiries (咨询件), complaints (投诉) with their events,
-- alerts and score deductions, the monthly follow-up visits (回访), and discipline inspection
-- (纪检监察) as a role of its own.
alter table staff drop constraint staff_role_check;
alter table staff add constraint staff_role_check
    check (role in ('clerk', 'window_head', 'director', 'ops', 'discipline'));

-- An inquiry logged at a window: answered on the spot or referred to another window.
create table inquiries (
    id bigserial primary key,
    asked_at timestamptz not null,
    on_day date not null,  -- the center's day it was asked
    window_code text not null,
    staff_id text not null,
    topic text not null,
    service_code text,
    outcome text not null check (outcome in ('answered', 'referred')),
    referred_to text,
    note text not null default '',
    check ((outcome = 'referred') = (referred_to is not null))
);
create index inquiries_day on inquiries (on_day, window_code);

-- A complaint's current state, guarded by last_seq like a case's row. The complainant's name and
-- phone are kept here only: never in an event, an alert or a log line.
create table complaints (
    id text primary key,
    channel text not null check (channel in ('window', 'phone', 'letter', 'online')),
    about_window text,
    about_staff text,
    about_case text,
    window_code text,  -- the window that answers for it; an upheld finding costs it points
    units text[] not null,
    complicated boolean not null,
    limit_days integer not null,
    text text not null,
    complainant_name text not null,
    complainant_phone text not null,
    status text not null check (status in ('open', 'answered')),
    received_at timestamptz not null,
    received_by text not null,
    due_at timestamptz,
    warned boolean not null default false,
    overdue boolean not null default false,
    finding text check (finding in ('upheld', 'not_upheld')),
    answer text,
    answered_at timestamptz,
    answered_by text,
    on_time boolean,
    last_seq integer not null
);
create index complaints_received on complaints (received_at desc);
create index complaints_window on complaints (window_code, received_at desc);

create table complaint_events (
    complaint_id text not null,
    seq integer not null,
    type text not null,
    at timestamptz not null,
    actor text not null,
    data jsonb not null,
    schema_version integer not null,
    primary key (complaint_id, seq)
);

-- A complaint's alerts have no case: they name the complaint, have kind 'complaint', and say
-- which threshold (warning, overdue, escalation) raised them.
alter table alerts add column complaint_id text;
alter table alerts add column if not exists threshold text;
alter table alerts drop constraint alerts_kind_check;
alter table alerts add constraint alerts_kind_check check (
    kind in ('warning', 'overdue', 'escalation', 'notice_missing', 'rectification', 'complaint')
);

-- An upheld complaint deducts its points once, recorded by the director who answered it.
alter table score_deductions add column complaint_id text;
create unique index score_deductions_from_complaint on score_deductions (complaint_id)
    where complaint_id is not null;

-- The follow-up visits of a month (回访制度): one draw per month, reproducible from its seed.
create table followup_samples (
    month date primary key check (extract(day from month) = 1),
    rate double precision,
    per_window integer,
    seed bigint not null,
    bad_ratings boolean not null,  -- whether cases rated badly were read (the ratings table)
    drawn_by text not null,
    drawn_at timestamptz not null
);

create table followups (
    id text primary key,
    month date not null references followup_samples (month),
    case_id text not null,
    window_code text not null,
    reason text not null check (reason in ('sample', 'bad_rating')),
    status text not null check (status in ('open', 'done')),
    reached boolean,
    level smallint check (level between 1 and 5),
    note text,
    recorded_by text,
    recorded_at timestamptz,
    unique (month, case_id)
);
create index followups_month on followups (month, window_code, status);
