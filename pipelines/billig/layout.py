"""Which generation of billig's schema we read, and where it is.

billig renamed its event table ("billig.event" became "billig.event_lim_web") and
opened purchases and tickets to readers in the same newer versions; the name of the
event table is the one setting that tells the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pipelines.core.exceptions import TerminalError
from pipelines.core.settings import StrataHome
from pipelines.db.sql_text import read_sql

OLD_EVENT_TABLE: Final = "billig.event"
NEW_EVENT_TABLE: Final = "billig.event_lim_web"
GENERATIONS: Final[dict[str, str]] = {"old": OLD_EVENT_TABLE, "new": NEW_EVENT_TABLE}
DEFAULT_EVENT_TABLE: Final = NEW_EVENT_TABLE

TICKET_GROUP_TABLE: Final = "billig.ticket_group"
PRICE_GROUP_TABLE: Final = "billig.price_group"
PURCHASE_TABLE: Final = "billig.purchase"
TICKET_TABLE: Final = "billig.ticket"

DEFAULT_CHUNK_SIZE: Final = 5000  # ids per statement: bounds statement size, not the number of levels


@dataclass(frozen=True)
class BilligLayout:
    """The tables of one schema generation."""

    event_table: str

    def __post_init__(self) -> None:
        if self.event_table not in GENERATIONS.values():
            raise TerminalError(
                f"billig event table {self.event_table!r} is neither "
                f"{OLD_EVENT_TABLE!r} nor {NEW_EVENT_TABLE!r}"
            )

    @classmethod
    def for_generation(cls, generation: str) -> BilligLayout:
        if generation not in GENERATIONS:
            raise TerminalError(f"billig generation {generation!r} is neither 'old' nor 'new'")
        return cls(GENERATIONS[generation])

    @property
    def generation(self) -> str:
        return "new" if self.event_table == NEW_EVENT_TABLE else "old"

    @property
    def has_tickets(self) -> bool:
        """Purchases and tickets are readable only in the newer generation."""
        return self.event_table == NEW_EVENT_TABLE

    def schema_sql(self) -> str:
        """The mirror DDL of this generation (sql/billig/schema_<generation>.sql)."""
        return read_sql(f"billig/schema_{self.generation}")


@dataclass(frozen=True)
class BilligConfig:
    """Everything needed to open a reader: where billig is and which generation it has."""

    url: str
    layout: BilligLayout
    chunk_size: int = DEFAULT_CHUNK_SIZE


def dev_path(home: StrataHome) -> Path:
    """The development mirror `strata billig seed` writes by default."""
    return home.root / "billig" / "billig.sqlite3"


def dev_url(home: StrataHome) -> str:
    return f"sqlite://{dev_path(home)}"
