"""Loading one validated layer in one transaction: order checked inside the import lock, the mapped
CSVs copied into staging, the set-based upsert statements composed from the declarations, foreign
keys checked once per key, and validating the next layer while this one loads.
"""
