-- Many centers, one deployment. Each center's settings (name, time zone, office hours, clock
-- policy) are a row of ``centers``, keyed by its code; every table with a center's data gets
-- ``center_code``, backfilled with the code of the one center the deployment held until now
-- (the empty string when none was ever applied: then the tables are empty too). Keys and the
-- indexes that lists and dashboards read lead with it. Case ids stay unique across the
-- deployment (the case tables keep case_id as their key); staff ids, windows and service
-- items are unique per center. The holiday notices are the State Council's, national: their
-- calendar_days rows have center_code '' and a center's closures its own code.
create table centers (
    code text primary key check (code <> '' and code !~ '[/\s]'),
    name text not null,
    settings jsonb not null,  -- the file's ``center`` section: timezone, office_hours, ...
    -- Cases received before centers shared a deployment have the bare case id as their
    -- workflow id; later ones '<center>/<case id>'. True for the center that held them.
    bare_workflow_ids boolean not null default false,
    created_at timestamptz not null default now()
);

insert into centers (code, name, settings, bare_workflow_ids)
select value ->> 'code', coalesce(value ->> 'name', value ->> 'code'), value, true
from center
where key = 'center' and coalesce(value ->> 'code', '') <> '';

drop table center;

do $$
declare
    legacy text := coalesce((select code from centers order by code limit 1), '');
    t text;
begin
    foreach t in array array[
        'windows', 'staff', 'services', 'tokens', 'alert_channels', 'alert_deliveries',
        'cases', 'case_events', 'alerts', 'dash_cases', 'dash_received', 'dash_completed',
        'dash_handling', 'score_deductions', 'staff_leave', 'leave_takeovers',
        'idempotency_keys', 'case_archive', 'case_links', 'ratings', 'rectifications',
        'rectification_events', 'inquiries', 'complaints', 'complaint_events',
        'followup_samples', 'followups', 'applicant_events'
    ] loop
        -- A constant default fills the existing rows without rewriting the table; new rows
        -- must name their center.
        execute format('alter table %I add column center_code text not null default %L',
                       t, legacy);
        execute format('alter table %I alter column center_code drop default', t);
    end loop;
    alter table calendar_days add column center_code text not null default '';
    update calendar_days set center_code = legacy where origin = 'closure';
    alter table calendar_days alter column center_code drop default;
end
$$;

-- Windows, staff and service items are a center's: their keys, and the references to them.
alter table services drop constraint services_window_code_fkey;
alter table staff drop constraint staff_window_code_fkey;
alter table tokens drop constraint tokens_staff_id_fkey;
alter table staff_leave drop constraint staff_leave_staff_id_fkey;
alter table staff_leave drop constraint staff_leave_cover_staff_fkey;
alter table staff_leave drop constraint staff_leave_registered_by_fkey;
alter table staff_leave drop constraint staff_leave_returned_by_fkey;
alter table followups drop constraint followups_month_fkey;

alter table windows drop constraint windows_pkey;
alter table windows add primary key (center_code, code);
alter table staff drop constraint staff_pkey;
alter table staff add primary key (center_code, id);
alter table services drop constraint services_pkey;
alter table services add primary key (center_code, code);

alter table services add foreign key (center_code, window_code)
    references windows (center_code, code);
alter table staff add foreign key (center_code, window_code) references windows (center_code, code);
alter table tokens add foreign key (center_code, staff_id) references staff (center_code, id);
alter table staff_leave add foreign key (center_code, staff_id) references staff (center_code, id);
alter table staff_leave add foreign key (center_code, cover_staff)
    references staff (center_code, id);
alter table staff_leave add foreign key (center_code, registered_by)
    references staff (center_code, id);
alter table staff_leave add foreign key (center_code, returned_by)
    references staff (center_code, id);
alter table staff_leave drop constraint staff_leave_registered_by_idempotency_key_key;
alter table staff_leave add unique (center_code, registered_by, idempotency_key);
drop index tokens_staff;
create index tokens_staff on tokens (center_code, staff_id);
alter table alert_channels add foreign key (center_code) references centers (code);
create index alert_channels_center on alert_channels (center_code, level) where active;

-- An Idempotency-Key is its caller's, and a caller is a staff member of a center.
alter table idempotency_keys drop constraint idempotency_keys_pkey;
alter table idempotency_keys add primary key (center_code, staff_id, key);

-- A center's closures beside the national notices.
alter table calendar_days drop constraint calendar_days_pkey;
alter table calendar_days add primary key (center_code, day, origin);
alter table calendar_days add check ((origin = 'notice') = (center_code = ''));

-- The case lists, each within a center.
drop index cases_received;
drop index cases_status;
drop index cases_window;
drop index cases_assignee;
drop index cases_urgent_first;
drop index cases_open_overdue;
drop index cases_open_overdue_window;
drop index cases_open_at_risk;
drop index cases_open_at_risk_window;
create index cases_received on cases (center_code, received_at desc, case_id desc);
create index cases_status on cases (center_code, status, received_at desc);
create index cases_window on cases (center_code, window_code, status);
create index cases_assignee on cases (center_code, assignee, status);
create index cases_urgent_first on cases (center_code, urgent desc, received_at desc, case_id desc);
create index cases_open_overdue on cases (center_code, due_at, case_id)
    where status <> 'completed' and overdue;
create index cases_open_overdue_window on cases (center_code, window_code, due_at, case_id)
    where status <> 'completed' and overdue;
create index cases_open_at_risk on cases (center_code, due_at, case_id)
    where status <> 'completed' and warned and not overdue;
create index cases_open_at_risk_window on cases (center_code, window_code, due_at, case_id)
    where status <> 'completed' and warned and not overdue;

-- Alerts within a center.
drop index alerts_open;
drop index alerts_level;
drop index alerts_open_level;
drop index alerts_open_window;
create index alerts_open on alerts (center_code, raised_at desc) where acked_at is null;
create index alerts_level on alerts (center_code, level, raised_at desc);
create index alerts_open_level on alerts (center_code, raised_at) include (level, window_code)
    where acked_at is null;
create index alerts_open_window on alerts (center_code, window_code, raised_at) include (level)
    where acked_at is null;

-- The dashboard's rollups, one set per center.
alter table dash_received drop constraint dash_received_pkey;
alter table dash_received add primary key
    (center_code, grain, period, window_code, kind, status, assignee, paused, warned, overdue);
alter table dash_completed drop constraint dash_completed_pkey;
alter table dash_completed add primary key (center_code, grain, period, window_code, kind, assignee);
alter table dash_handling drop constraint dash_handling_pkey;
alter table dash_handling add primary key (center_code, grain, period, window_code, kind, tenths);
create index dash_cases_center on dash_cases (center_code, window_code);

drop index score_deductions_month;
create index score_deductions_month on score_deductions (center_code, month, window_code);

-- The applicant's side, within a center.
drop index ratings_window_rated;
drop index ratings_rated;
create index ratings_window_rated on ratings (center_code, window_code, rated_at desc);
create index ratings_rated on ratings (center_code, rated_at desc);
drop index rectifications_status;
create index rectifications_status on rectifications (center_code, status, opened_at desc);
drop index inquiries_day;
create index inquiries_day on inquiries (center_code, on_day, window_code);
drop index complaints_received;
drop index complaints_window;
create index complaints_received on complaints (center_code, received_at desc);
create index complaints_window on complaints (center_code, window_code, received_at desc);
alter table followup_samples drop constraint followup_samples_pkey;
alter table followup_samples add primary key (center_code, month);
alter table followups add foreign key (center_code, month)
    references followup_samples (center_code, month);
alter table followups drop constraint followups_month_case_id_key;
alter table followups add unique (center_code, month, case_id);
drop index followups_month;
create index followups_month on followups (center_code, month, window_code, status);
