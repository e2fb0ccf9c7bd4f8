"""Fleet health for Babylon-secured Bitcoin L2 infrastructure (``l2kit monitor``).

fleet.py, thresholds.py   the fleet file model (targets, credentials by reference, limits)
adhoc.py, fromspec.py     fleets from command-line flags / a regtest datadir / a stack spec
http.py                   shared aiohttp client; every failure becomes one clear line
bitcoind.py babylon.py gadget.py metrics.py kube.py    probes: I/O -> parsed samples
checks.py, checks_metrics.py                          pure judgement -> CheckResult
poll.py                   the engine: bounded concurrency, per-target timeouts, memory
results.py, render.py     verdicts, exit codes, JSON and the rich table
exporter.py               ``serve``: Prometheus collector over the last completed poll
catalog.py, rules.py      metric contract and shipped alert rules (monitor-rules part)
"""
