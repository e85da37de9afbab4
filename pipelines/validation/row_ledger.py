"""What a layer's pass records of each mapped row, so that rows unchanged since an earlier layer
can be told apart after the pass (pipelines.validation.import_chain).

Per row, in file order: a key for its ext_id, its byte length in the CSV and the row number of
the record it belongs to (an enclosed entity's parent, a link row's owner); per entity row also
a fingerprint of everything its load would write: the ext_id, the import digest and, for an
owner of links, its set of link targets. Compact arrays, not Python objects: a layer has
millions of rows and the worker's memory stays bounded.

The key is the ext_id's crc32 and adler32 side by side: the same in every process, since a chain
is saved beside a layer's mapped rows and resumed by the next process (chain_store), and cheap
(a fraction of a microsecond a row on the worker). Two ext_ids with one key are harmless: the
fingerprint holds the ext_id, so a row compared with another row's fingerprint is never taken
for unchanged; it is only staged when it need not be.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Final
from zlib import adler32, crc32

from pipelines.contract.declarations import Entity

FINGERPRINT_BYTES: Final = 16
NO_ROW: Final = -1  # a row whose parent record was not written (an invalid layer only)
_UNSET: Final = bytes(FINGERPRINT_BYTES)


@dataclass
class TableLedger:
    """The recorded rows of one mapped table, in the order its CSV holds them."""

    lengths: array = field(default_factory=lambda: array("Q"))  # bytes of each CSV row
    parents: array = field(default_factory=lambda: array("q"))  # row number of the parent or owner
    keys: array = field(default_factory=lambda: array("Q"))  # entities only
    fingerprints: bytearray = field(default_factory=bytearray)  # entities only, 16 bytes a row


@dataclass(frozen=True)
class Shape:
    """How the tables of the declarations hang together: each entity's parent table (enclosing),
    each link table's owner table; entities parents first."""

    entities: tuple[str, ...]
    parent: dict[str, str]
    owner: dict[str, str]

    @classmethod
    def of(cls, entities: Iterable[Entity]) -> Shape:
        listed = tuple(entities)
        return cls(
            tuple(e.table for e in listed),
            {e.table: e.enclosing.entity for e in listed if e.enclosing is not None},
            {link.table: e.table for e in listed for link in e.links},
        )


def ext_key(ext: str) -> int:
    """The ext_id's 64-bit key, the same in every process (see the module's docstring)."""
    data = ext.encode()
    return crc32(data) << 32 | adler32(data)


class RowLedger:
    """One layer's recording; the mapper calls ``entity_row``, ``link_row`` and ``owner_fingerprint``."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.tables = {table: TableLedger() for table in (*shape.entities, *shape.owner)}

    def entity_row(
        self, table: str, ext: str, digest: str, length: int, parent_row: int, owns_links: bool
    ) -> None:
        """A row written. An owner of links gets its fingerprint once they are known
        (``owner_fingerprint``); any other row gets it now."""
        ledger = self.tables[table]
        ledger.lengths.append(length)
        ledger.parents.append(parent_row)
        ledger.keys.append(ext_key(ext))
        if owns_links:
            ledger.fingerprints += _UNSET
        else:
            ledger.fingerprints += blake2b(
                f"{ext}\x1f{digest}".encode(), digest_size=FINGERPRINT_BYTES
            ).digest()

    def owner_fingerprint(self, table: str, row: int, ext: str, digest: str, targets: Iterable[str]) -> None:
        """What the owner's load would write: its ext_id, digest and sorted link targets."""
        text = "\x1f".join((ext, digest, "\x1e".join(sorted(targets))))
        at = row * FINGERPRINT_BYTES
        self.tables[table].fingerprints[at : at + FINGERPRINT_BYTES] = blake2b(
            text.encode(), digest_size=FINGERPRINT_BYTES
        ).digest()

    def link_row(self, table: str, length: int, owner_row: int) -> None:
        ledger = self.tables[table]
        ledger.lengths.append(length)
        ledger.parents.append(owner_row)
