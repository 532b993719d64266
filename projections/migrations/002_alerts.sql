-- Alerts to supervisors, one per warning, breach and escalation event of a case.
create table alerts (
    alert_id text primary key,
    case_id text not null,
    seq integer not null,
    kind text not null check (kind in ('warning', 'overdue', 'escalation')),
    level text not null check (level in ('window_head', 'director', 'discipline')),
    window_code text not null,
    raised_at timestamptz not null,
    acked_at timestamptz,
    acked_by text,
    unique (case_id, seq)
);

create index alerts_open on alerts (raised_at desc) where acked_at is null;
create index alerts_level on alerts (level, raised_at desc);
