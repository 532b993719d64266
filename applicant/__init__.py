"""The applicant's side of a case: ratings (好差评), their rectification, the public link."""
