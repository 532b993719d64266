-- The applicant's side's event log: every rating (rating.recorded) and every inquiry logged
-- (inquiry.logged), in the order they were appended. The ratings and inquiries tables are read
-- models derived from it (projections.applicant_log) and rebuilt from it.
create table applicant_events (
    seq bigserial primary key,
    type text not null,
    subject_id text not null,  -- the rating's id, or the inquiry's
    at timestamptz not null,
    actor text not null,
    data jsonb not null,
    schema_version integer not null,
    unique (type, subject_id)
);

-- The ratings and inquiries recorded before the log, as its first events, oldest first.
insert into applicant_events (type, subject_id, at, actor, data, schema_version)
select type, subject_id, at, actor, data, 1 from (
    select 'rating.recorded' as type, id as subject_id, rated_at as at, 'applicant' as actor,
           jsonb_build_object(
               'case_id', case_id, 'stage', stage, 'level', level, 'tags', to_jsonb(tags),
               'comment', comment, 'window', window_code,
               'rectification_id', rectification_id) as data
    from ratings
    union all
    select 'inquiry.logged', id::text, asked_at, staff_id,
           jsonb_build_object(
               'day', to_char(on_day, 'YYYY-MM-DD'), 'window', window_code, 'topic', topic,
               'service_code', service_code, 'outcome', outcome, 'referred_to', referred_to,
               'note', note)
    from inquiries
) as old
order by at, type, subject_id;
