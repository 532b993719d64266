-- A service item's own thresholds, over the center's (center.value -> 'clock_policy'):
-- {"warn_days": 2, "ladder": [{"level": "director", "after_days": 1}], "on_supply": "restart",
--  "signoff_days": 5}; any key left out takes the center's value.
alter table services add column clock_policy jsonb not null default '{}';
