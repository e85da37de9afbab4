"""`make bench`: Strata's stages measured against the practical limit (plain COPY) and a peer (dlt).

Not part of the test suite: it needs minutes and a ≥1 GB export. Every stage runs in a
child process so that its peak RSS is its own (``bench.child``); the figures go to
stdout as a table and to ``bench-data/results-*.json`` (BENCHMARKS.md quotes a run).
"""
