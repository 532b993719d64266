-- A center applied from its file: windows and service items retired from the file stay for the
-- history that names them, inactive; each item counts its versions (a case records the version
-- it was received under), and carries its fees.
alter table windows add column active boolean not null default true;
alter table services add column active boolean not null default true;
alter table services add column version integer not null default 1;
alter table services add column fees jsonb not null default '[]';
