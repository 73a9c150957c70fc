"""Benchmark, load test and fault test of logeer (scripts/bench); not part of the test suite."""
