"""What an analyst reads and edits to make a blocked layer pass: the error files (``errors.json``,
``errors.csv``) and their preview, ``profiles_to_create.json`` and ``mappings.sql`` to review, and
creating the profiles an analyst approved.
"""
