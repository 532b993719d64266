"""The public pages' token buckets: a burst, then a steady refill; idle full buckets forgotten."""

from __future__ import annotations

from api.ratelimit import TokenBuckets


def test_a_bucket_allows_its_burst_then_one_per_refill() -> None:
    now = [0.0]
    buckets = TokenBuckets(3, 0.5, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(4)] == [True, True, True, False]
    assert buckets.take("b")  # another key has its own bucket
    now[0] = 1.9
    assert not buckets.take("a")
    now[0] = 2.0
    assert buckets.take("a") and not buckets.take("a")
    now[0] = 100.0
    assert [buckets.take("a") for _ in range(4)] == [True, True, True, False]
