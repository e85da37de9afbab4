"""The ``strata`` command: where the environment becomes settings, and each sub-command is a few
lines around an engine call. Its launch path (``strata load``) is the only place under
``pipelines/`` that reaches Dagster, through ``assets.launch``.
"""
