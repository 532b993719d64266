-- Whether a case's limit was counted partly in a year without an imported holiday notice.
alter table cases add column provisional boolean not null default false;
