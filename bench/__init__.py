"""The ivr-acd benchmarks (``python -m bench``, ``make bench``); see docs/benchmarks.md.

Benchmarks are not tests: they never fail, they measure and write ``bench/results/``.
Every figure is paired with a baseline measured in the same run, and the ratio between them.
"""
