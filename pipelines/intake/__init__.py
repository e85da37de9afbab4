"""Getting an export in: open a ``.json`` or ``.7z`` as one byte stream, notice files settled in
the drop folder, register them (sha256 while archiving the original, refuse the same bytes twice),
split the document once into one JSON-lines spool per layer, and know which registered layers are
newest and still to load.
"""
