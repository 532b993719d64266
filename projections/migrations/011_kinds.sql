-- 不管件: an orphan matter the center takes in; the director assigns a window and a limit.
alter table services drop constraint services_kind_check;
alter table services add constraint services_kind_check
    check (kind in ('immediate', 'promised', 'joint', 'upward', 'orphan'));

-- An upward case's higher authority and its decision; a returned case's review.
alter table cases add column upward jsonb;
alter table cases add column review jsonb;
alter table cases add column return_by timestamptz;
-- Urgent cases come first in every list.
create index cases_urgent_first on cases (urgent desc, received_at desc, case_id desc);
