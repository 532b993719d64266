"""The applicant's side of a center, beside the cases: inquiries, complaints, follow-up visits,
ratings (好差评) and their rectification, the public link; what is decided, with no I/O."""
