"""Reference data an analyst gives us once: the reference CSVs (profiles, vocabularies with their
aliases, passports we already had), each line checked before anything is written, then loaded in
one idempotent transaction.
"""
