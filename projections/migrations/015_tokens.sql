-- Tokens over their lifetime: a public id to list and revoke one by (the start of its hash,
-- which reveals nothing of the token), and an optional expiry.
alter table tokens add column id text;
update tokens set id = left(token_hash, 12);
alter table tokens alter column id set not null;
alter table tokens add constraint tokens_id_key unique (id);
alter table tokens add column expires_at timestamptz;
create index tokens_staff on tokens (staff_id);
