"""Benchmarks, run with ``make bench`` (``python -m benchmarks``).

Each benchmark measures an approach against a baseline run in the same process
and reports the ratio, since absolute figures on a shared machine are noise.
Results and the machine they came from are recorded in ``BENCHMARKS.md``.
"""
