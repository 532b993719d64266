-- Where each level of alert is delivered, and every delivery attempt made.
create table alert_channels (
    id serial primary key,
    level text not null check (level in ('window_head', 'director', 'discipline')),
    kind text not null check (kind in ('webhook', 'wecom', 'dingtalk')),
    url text not null,
    secret text,
    active boolean not null default true,
    created_at timestamptz not null default now()
);

create table alert_deliveries (
    id bigserial primary key,
    alert_id text not null,
    channel_id integer not null references alert_channels (id),
    ok boolean not null,
    status integer,
    error text,
    retryable boolean not null,
    at timestamptz not null
);

create index alert_deliveries_alert on alert_deliveries (alert_id, channel_id);
