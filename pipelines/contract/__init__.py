"""The import contract: what the registry export means and where each part of it goes in our
tables. The declarations (one per entity) name fields, converters and target columns; the
converters turn one export value into one mapped cell or an analyst error with one of the closed
list of codes; the catalog check proves the declarations match the migrated database; the pydantic
export models are generated from ``schema/export.schema.json``.
"""
