"""The CLI's operations commands run against the operations tests' center."""

from tests.ops.conftest import center

__all__ = ["center"]
