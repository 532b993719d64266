-- The working-day calendar as operations keep it: each imported holiday notice
-- (国务院办公厅关于XXXX年部分节假日安排的通知), and one row per day that a notice
-- or the center itself says something about.
create table calendar_notices (
    year integer primary key,
    source text not null,
    imported_at timestamptz not null default now(),
    imported_by text not null,
    body jsonb not null  -- the notice in its JSON import shape
);

-- A day may carry both a notice row and a closure row (say, the center stays shut on a
-- make-up Saturday), hence the key on (day, origin); the closure wins when the calendar
-- is built. ``year`` is the notice's year, which for a New Year's break starting in
-- December is not the day's own; for a closure it is the day's.
create table calendar_days (
    day date not null,
    working boolean not null,
    name text not null,  -- the holiday, the holiday a make-up day is for, or the closure reason
    origin text not null check (origin in ('notice', 'closure')),
    year integer not null,
    recorded_by text not null,
    recorded_at timestamptz not null default now(),
    primary key (day, origin),
    check (origin = 'notice' or not working)
);

create index calendar_days_notice_year on calendar_days (year) where origin = 'notice';
