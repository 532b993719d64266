"""Rate limits of the public pages: a token bucket per client address and one per case link.

The pages need no account, so a script could try tokens or flood one case with ratings; each
bucket refills at a steady rate up to its burst, and a request finding its bucket empty is
``429 rate_limited``. The buckets are this process's own (one API replica counts its own
requests): enough to stop a flood, no coordination needed. Behind a proxy, run uvicorn with
``--proxy-headers`` so that the client's address is the applicant's, not the proxy's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from api.errors import ApiError

# Past this many buckets, the full ones (idle long enough to refill) are forgotten.
_KEEP_AT_MOST = 10_000


@dataclass
class _Bucket:
    level: float
    at: float


class TokenBuckets:
    """``burst`` requests at once per key, then one every ``1 / per_second`` seconds."""

    def __init__(
        self, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._burst, self._rate, self._clock = float(burst), per_second, clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> bool:
        """Spend one request from ``key``'s bucket; False when it is empty."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _KEEP_AT_MOST:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        bucket.level = min(self._burst, bucket.level + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.level < 1:
            return False
        bucket.level -= 1
        return True

    def _forget_full(self, now: float) -> None:
        for key, b in list(self._buckets.items()):
            if b.level + (now - b.at) * self._rate >= self._burst:
                del self._buckets[key]


@dataclass
class PublicLimits:
    # An address (a family's phones behind one router, a hall's Wi-Fi) may make many requests
    # at once, then two a second.
    by_address: TokenBuckets
    # One case's link: enough for the page, its progress and two ratings, then one a minute.
    by_token: TokenBuckets

    @classmethod
    def default(cls) -> PublicLimits:
        return cls(TokenBuckets(120, 2.0), TokenBuckets(12, 1 / 60))


def rate_limited() -> ApiError:
    return ApiError(429, "rate_limited", "too many requests; try again in a minute")


def check_public_limits(request: Request, token: str) -> None:
    """Spend one request of the client's address and one of the link's; 429 when either is out.

    The limits are the app's own (``app.state``), so each app counts its own requests."""
    limits: PublicLimits | None = getattr(request.app.state, "public_limits", None)
    if limits is None:
        limits = request.app.state.public_limits = PublicLimits.default()
    address = request.client.host if request.client is not None else "unknown"
    if not limits.by_address.take(address) or not limits.by_token.take(token):
        raise rate_limited()
