"""Validating one layer before anything is written: a single streaming pass over its spool that
maps every record onto our tables by the declarations, resolves vocabularies, people and parents
against the database, collects every analyst error at once, stores the outcome, and writes the
mapped rows as COPY-ready CSVs for the load. The entry point is ``registered.validate_registered``.
"""
