"""Benchmarks: each ``*_bench.py`` module has ``main()`` and prints ratios vs a baseline."""
