-- The legal limit (行政许可法 Art. 42) beside the promised one, and alerts that are not a case's:
-- a department's late sign-off is alerted to that department's window; a missing holiday
-- notice is alerted to ops, once per year, with no case.
alter table cases add column legal_due_at timestamptz;
alter table cases add column legal_overdue boolean not null default false;
create index cases_open_legal_due on cases (legal_due_at) where status <> 'completed';

alter table alerts add column clock text not null default 'promised';
alter table alerts alter column case_id drop not null;
alter table alerts alter column seq drop not null;
alter table alerts drop constraint alerts_kind_check;
alter table alerts add constraint alerts_kind_check
    check (kind in ('warning', 'overdue', 'escalation', 'notice_missing'));
alter table alerts drop constraint alerts_level_check;
alter table alerts add constraint alerts_level_check
    check (level in ('window_head', 'director', 'discipline', 'ops'));
alter table alerts alter column window_code drop not null;
