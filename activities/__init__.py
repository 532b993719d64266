"""Temporal activities: the I/O the workflows delegate (projection, deadlines, notifications)."""
