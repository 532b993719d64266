"""Printable documents: the applicant's notices, the ops dossier, the timeline, PDF, masking."""
