-- Two late departments of one joint case are two deductions, each from its own window.
drop index score_deductions_from_case;
create unique index score_deductions_from_case on score_deductions (case_id, kind, window_code)
    where recorded_by = 'system';
