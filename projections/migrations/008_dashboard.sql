-- The supervisors' dashboard. Each case's contribution is kept in dash_cases; the figures are
-- rolled up by day (grain 'd') and by month (grain 'm') of the center's calendar, maintained in
-- the projection's transaction, so a figure over any range reads a few hundred rows, never every
-- case. A range is answered from whole months plus the odd days at either end.

create table dash_cases (
    case_id text primary key,
    last_seq integer not null,
    window_code text not null,
    kind text not null,
    status text not null,
    assignee text not null,
    received_on date not null,
    paused boolean not null,
    warned boolean not null,
    overdue boolean not null,
    completed_on date,
    on_time boolean,            -- against the promised limit (承诺时限)
    legal_on_time boolean,      -- against the legal limit (法定时限); null: the case has none
    handling_days numeric(10, 3) -- working days from receipt to completion; null: not measured
);

-- Cases by the day they were received, and where they stand now.
create table dash_received (
    grain text not null check (grain in ('d', 'm')),
    period date not null,
    window_code text not null,
    kind text not null,
    status text not null,
    assignee text not null,
    paused boolean not null,
    warned boolean not null,
    overdue boolean not null,
    n bigint not null,
    primary key (grain, period, window_code, kind, status, assignee, paused, warned, overdue)
);

-- Completions by the day they happened.
create table dash_completed (
    grain text not null check (grain in ('d', 'm')),
    period date not null,
    window_code text not null,
    kind text not null,
    assignee text not null,
    n bigint not null,
    on_time bigint not null,
    legal_counted bigint not null,
    legal_on_time bigint not null,
    handled bigint not null,                -- completions with a measured handling time
    handling_days numeric(16, 3) not null,  -- their sum
    primary key (grain, period, window_code, kind, assignee)
);

-- Handling times as a histogram (upper bound of each bucket, in tenths of a working day), for
-- percentiles.
create table dash_handling (
    grain text not null check (grain in ('d', 'm')),
    period date not null,
    window_code text not null,
    kind text not null,
    tenths integer not null,
    n bigint not null,
    primary key (grain, period, window_code, kind, tenths)
);

-- The monthly window score (流动红旗): 100 points a month, less these. Rows with recorded_by
-- 'system' come from the case events (a case gone overdue, a one-time notice breach), one per
-- case and kind; the others are entered by the director (complaints found true, notices of
-- criticism, attendance).
create table score_deductions (
    id bigserial primary key,
    window_code text not null,
    month date not null check (extract(day from month) = 1),
    on_day date not null,
    kind text not null,
    points integer not null check (points > 0),
    case_id text,
    note text not null default '',
    recorded_by text not null,
    recorded_at timestamptz not null default now()
);

create unique index score_deductions_from_case on score_deductions (case_id, kind)
    where recorded_by = 'system';
create index score_deductions_month on score_deductions (month, window_code);

-- The overdue and at-risk lists, over the center and within a window.
create index cases_open_overdue on cases (due_at, case_id)
    where status <> 'completed' and overdue;
create index cases_open_overdue_window on cases (window_code, due_at, case_id)
    where status <> 'completed' and overdue;
create index cases_open_at_risk on cases (due_at, case_id)
    where status <> 'completed' and warned and not overdue;
create index cases_open_at_risk_window on cases (window_code, due_at, case_id)
    where status <> 'completed' and warned and not overdue;

-- Open alerts counted by level from the index alone; all alerts by kind and level for /metrics.
create index alerts_open_level on alerts (raised_at) include (level, window_code)
    where acked_at is null;
create index alerts_open_window on alerts (window_code, raised_at) include (level)
    where acked_at is null;
create index alerts_kind_level on alerts (kind, level) include (acked_at);

-- Cases already projected: their contributions, in the time zone stored with the center.
-- Handling times of cases completed before this migration are not measured.
insert into dash_cases (
    case_id, last_seq, window_code, kind, status, assignee, received_on, paused, warned, overdue,
    completed_on, on_time, legal_on_time, handling_days)
select c.case_id, c.last_seq, c.window_code, c.kind, c.status, c.assignee,
       (c.received_at at time zone z.tz)::date, c.paused, c.warned, c.overdue,
       (c.completed_at at time zone z.tz)::date,
       case when c.completed_at is not null then c.due_at is null or c.completed_at <= c.due_at end,
       case when c.completed_at is not null and c.legal_due_at is not null
            then c.completed_at <= c.legal_due_at end,
       null
from cases c,
     (select coalesce((select value ->> 'timezone' from center where key = 'center'),
                      'Asia/Shanghai') as tz) z;

insert into dash_received
select g.grain, case g.grain when 'd' then d.received_on
                             else date_trunc('month', d.received_on)::date end,
       d.window_code, d.kind, d.status, d.assignee, d.paused, d.warned, d.overdue, count(*)
from dash_cases d, (values ('d'), ('m')) g(grain)
group by 1, 2, 3, 4, 5, 6, 7, 8, 9;

insert into dash_completed
select g.grain, case g.grain when 'd' then d.completed_on
                             else date_trunc('month', d.completed_on)::date end,
       d.window_code, d.kind, d.assignee, count(*),
       count(*) filter (where d.on_time),
       count(*) filter (where d.legal_on_time is not null),
       count(*) filter (where d.legal_on_time),
       0, 0
from dash_cases d, (values ('d'), ('m')) g(grain)
where d.completed_on is not null
group by 1, 2, 3, 4, 5;

insert into score_deductions (window_code, month, on_day, kind, points, case_id, recorded_by)
select c.window_code, date_trunc('month', (e.at at time zone z.tz))::date,
       (e.at at time zone z.tz)::date,
       case when e.type = 'deadline.overdue' then 'case_overdue' else 'notice_breach' end,
       2, e.case_id, 'system'
from case_events e
join cases c using (case_id),
     (select coalesce((select value ->> 'timezone' from center where key = 'center'),
                      'Asia/Shanghai') as tz) z
where e.type in ('deadline.overdue', 'notice.overdue')
   or (e.type = 'materials.requested' and (e.data ->> 'late_notice')::boolean)
order by e.case_id, e.seq
on conflict do nothing;
