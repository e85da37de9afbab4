"""Create the profiles an analyst reviewed in ``profiles_to_create.json`` (pipelines.fixups.review_files).

The reviewed file comes back from a person, so it is checked at the boundary with
pydantic before anything is written; all entries are inserted in one transaction.
A person who already has a profile (same names, compared trimmed and
case-insensitively) is skipped, so running the job twice creates nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines.core.exceptions import TerminalError
from pipelines.db.sql_text import read_sql


class ProfileToCreate(BaseModel):
    """One reviewed entry; the file's other keys (spelling, references) are ignored."""

    model_config = ConfigDict(extra="ignore")

    last_name: str = Field(min_length=1)
    first_name: str = Field(min_length=1)
    middle_name: str | None = None
    email: str | None = None

    @field_validator("last_name", "first_name", "middle_name", "email", mode="before")
    @classmethod
    def _trimmed(cls, value: object) -> object:
        """Blank is absent: a reviewed "" must not become a profile without a name."""
        if isinstance(value, str):
            return value.strip() or None
        return value


class ReviewedProfiles(BaseModel):
    model_config = ConfigDict(extra="ignore")

    profiles: list[ProfileToCreate]


@dataclass(frozen=True)
class CreatedProfiles:
    created: list[int]
    skipped: int


def read_reviewed(path: Path) -> list[ProfileToCreate]:
    try:
        return ReviewedProfiles.model_validate_json(path.read_bytes()).profiles
    except (OSError, ValidationError) as exc:
        raise TerminalError(f"{path}: not a reviewed profiles_to_create.json: {exc}") from exc


def create_profiles(conn: psycopg.Connection, reviewed_file: Path) -> CreatedProfiles:
    """Insert every reviewed profile that does not exist yet; return the new ids."""
    profiles = read_reviewed(reviewed_file)
    created: list[int] = []
    with conn.transaction():
        for profile in profiles:
            row = conn.execute(read_sql("validation/create_profile"), profile.model_dump()).fetchone()
            if row is not None:
                created.append(row[0])
    return CreatedProfiles(created, len(profiles) - len(created))
