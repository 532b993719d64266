-- The province (省级) viewer: reads every center's figures, acts on none. Such staff are listed
-- in one center's file (the province's own service center's) like any other.
alter table staff drop constraint staff_role_check;
alter table staff add constraint staff_role_check
    check (role in ('clerk', 'window_head', 'director', 'ops', 'discipline', 'province'));
