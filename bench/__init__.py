"""Benchmarks (`make bench`): bench/run.py measures Redline against bench/bare.py."""
