"""Errors Strata reports to people, split the way retries need them.

A ``TerminalError`` will fail again on retry (bad input, analyst errors, a refused
operation); a ``TransientError`` may succeed (connection lost, serialization
failure). Retry policies look only at this split, never at messages.
"""

from __future__ import annotations


class StrataError(Exception):
    """Anything Strata explains to a person instead of showing a traceback."""


class TerminalError(StrataError):
    """Retrying cannot help: the input or the request must change first."""


class TransientError(StrataError):
    """The same call may succeed later (the database was away, a lock conflicted)."""


class ExportFormatError(TerminalError):
    """An export file that breaks the contract of docs/export-format.md.

    ``position`` says where: a byte offset (``"byte 1234"``) or a layer
    (``"layer 3 (2026-03)"``), so a person can find the spot in a 3 GB file.
    """

    def __init__(self, file: str, position: str, detail: str) -> None:
        self.file, self.position, self.detail = file, position, detail
        super().__init__(f"{file}: {position}: {detail}")


class DuplicateFileError(TerminalError):
    """The same bytes were registered before; registering them again would change nothing."""


class DiskSpaceError(TerminalError):
    """A step would write more than the disk has free."""


class SeedError(TerminalError):
    """A reference CSV that cannot be seeded; names file, line and column."""

    def __init__(self, file: str, line: int, column: str, detail: str) -> None:
        self.file, self.line, self.column, self.detail = file, line, column, detail
        super().__init__(f"{file}: line {line}, column {column}: {detail}")
