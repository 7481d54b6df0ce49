"""agentjobs benchmarks: start latency, relay, throughput, waiting jobs, fan-out and resume.

Run them all with ``python -m bench`` (or ``./scripts/bench``); ``--quick`` is the seconds-long
smoke version CI runs, ``--only NAME`` picks benchmarks. Results: a table and a JSON file.
"""
