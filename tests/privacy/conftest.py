"""The privacy tests run on the API's and the operations tests' centers."""

from tests.api.conftest import api
from tests.ops.conftest import center

__all__ = ["api", "center"]
