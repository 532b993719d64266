"""Temporal activities: the I/O and calendar lookups the case workflow delegates."""
