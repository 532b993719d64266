"""Masking an applicant's personal data (ID numbers, phones) wherever it is shown."""

from __future__ import annotations


def mask(value: str) -> str:
    """Keep the first three and last four characters (enough to confirm, not to reuse)."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
