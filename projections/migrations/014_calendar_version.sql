-- Every change to the center's calendar bumps one counter, in the change's own transaction,
-- holding the calendar's advisory lock (0x62616E63) until it commits. A case's limits are
-- counted with the version the deadline activity read; the case's first projection takes the
-- same lock shared, then reads the version again. Either the change committed first, and the
-- case sees a newer version and recounts itself, or the projection committed first, and the
-- change's recount of open cases finds the case in the read model. (An advisory lock, not a
-- row lock: it writes nothing, and projections only share it.)
create table calendar_version (
    only_row boolean primary key default true check (only_row),
    -- 0 is the package's calendar alone, before PostgreSQL's was ever read.
    version bigint not null
);

insert into calendar_version (only_row, version) values (true, 1);

create function bump_calendar_version() returns trigger language plpgsql as $$
begin
    perform pg_advisory_xact_lock(1650552419);  -- 0x62616E63, shared by first projections
    update calendar_version set version = version + 1;
    return null;
end
$$;

create trigger calendar_days_changed after insert or update or delete or truncate
    on calendar_days for each statement execute function bump_calendar_version();
create trigger calendar_notices_changed after insert or update or delete or truncate
    on calendar_notices for each statement execute function bump_calendar_version();
