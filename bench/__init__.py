"""Benchmarks of the store-balance service: `make bench` (python -m bench.run).

Measurement only: nothing here is asserted by the tests. Every figure goes to
bench/results/bench.json (git-ignored) and is printed as plain-text tables.
"""
