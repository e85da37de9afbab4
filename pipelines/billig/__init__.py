"""billig: another team's ticket and payment database, which Strata reads and never writes.

Reads go through `reader.BilligReader` on a read-only connection (`connection`),
one query per level for any number of events (`prefetch`). `mirror` builds the
development stand-in from `sql/billig/`, `our_events` links Strata's events to it.
"""
