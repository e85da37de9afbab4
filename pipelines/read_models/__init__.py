"""Read models: denormalized, queryable tables kept one-way in sync with canonical sources.

Each row carries ``canonical_source`` and ``canonical_pk``. `sync` holds what all read
models share (set-based apply under an advisory lock, drift detection); each model's
module says how its expected rows are computed from its sources.
"""
