"""The applicant's side of a center, beside the cases: what is decided, with no I/O."""
