"""Fix-up files an analyst reviews, edits and applies, so a re-validation can pass.

- ``profiles_to_create.json``: each unknown person (``not_found``) with last, first
  and middle name parsed from the spelling, where it was referenced, and the nearest
  existing profiles (up to three, with their distance in edits), so a typo of a known
  person shows before anyone creates a duplicate. After review (delete entries,
  correct names), ``pipelines.fixups.profile_creation.create_profiles`` inserts them
  (the create_profiles Dagster job wraps it).
- ``mappings.sql``: for each unknown enum value (``mapping_not_found``) a commented-out
  ``INSERT`` into the right ``<vocabulary>_mapping`` table. The analyst uncomments a
  line, replaces ``CHANGE_ME`` with an existing code and runs the file; a line left
  with ``CHANGE_ME`` fails (its sub-select finds no row), it never maps to a guess.

Ambiguous names (``multiple_records``) get no entry: creating a profile cannot make a
spelling that already fits two people unambiguous; the portal's data must say whom.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

import orjson
from psycopg import sql

from pipelines.validation.people import normalize
from pipelines.validation.person_names import MAX_GIVEN_PARTS
from pipelines.validation.unresolved import MAX_PLACES, Spelling, Unresolved
from pipelines.validation.vocabularies import fold

PLACEHOLDER: Final = "CHANGE_ME"
MAPPING_INSERT: Final = sql.SQL(
    "INSERT INTO {mapping} ({value}, {key}) VALUES ({literal}, "
    "(SELECT id FROM {table} WHERE code = {placeholder}));"
)
_INITIAL: Final = re.compile(r"(?:\w\.)+\w?\.?|\w")


def parse_name(spelling: str) -> dict[str, str | None]:
    """``QUELLMARK IVAN PETROVICH`` -> last ``Quellmark``, first ``Ivan``, middle ``Petrovich``.

    The portal writes surname first. As matching reads a spelling (``person_names.readings``),
    the given names are the last one or two words and the surname is everything before them, so
    ``Garcia Lopez Maria Jose`` is surname ``Garcia Lopez``. Where the split is not certain (more
    words than a surname and two given names) or the given names are initials, the entry says it
    needs review rather than guess. Names written all in one case are re-cased.
    """
    tokens = [_recase(t) for t in spelling.split()]
    surname_words = max(1, len(tokens) - MAX_GIVEN_PARTS)
    name: dict[str, str | None] = {
        "last_name": " ".join(tokens[:surname_words]),
        "first_name": tokens[surname_words] if len(tokens) > surname_words else "",
        "middle_name": " ".join(tokens[surname_words + 1 :]) or None,
    }
    if any(_INITIAL.fullmatch(t) for t in tokens[1:]) or len(tokens) < 2:
        name["review"] = "initials or a missing first name: write the full name before creating"
    elif len(tokens) > 1 + MAX_GIVEN_PARTS:
        name["review"] = "a surname of several words? check where the given names begin before creating"
    return name


def _recase(token: str) -> str:
    return token.capitalize() if token.isupper() or token.islower() else token


def write_profiles_to_create(path: Path, version: str, unresolved: Unresolved) -> None:
    """One entry per person: spellings that differ only in case and spacing are grouped (and so
    share their nearest profiles, which are found on the compared form)."""
    entries = []
    for spellings in _grouped(unresolved.people, normalize):
        entries.append(
            {
                "spellings": [s.value for s in spellings],
                **parse_name(_shown(spellings)),
                "email": None,
                "references": sum(s.references for s in spellings),
                "referenced_by": [p.as_dict() for s in spellings for p in s.places][:MAX_PLACES],
                "nearest_profiles": [n.as_dict() for n in spellings[0].nearest],
            }
        )
    document = {
        "version": version,
        "instructions": "Review each entry (delete it, or correct the names), then run the "
        "create_profiles job with this file and re-validate the layer. An entry whose nearest "
        "profile is the same person is a typo: delete it (a new profile would be a duplicate) "
        "and have the portal correct the spelling.",
        "profiles": entries,
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


def _shown(group: list[Spelling]) -> str:
    """The spelling to propose: the most used, and not shouted."""
    return max(group, key=lambda s: (s.references, not s.value.isupper())).value


def _grouped(spellings: list[Spelling], key: Callable[[str], str]) -> list[list[Spelling]]:
    """Spellings with the same compared form, together; in order of that form."""
    groups: dict[str, list[Spelling]] = {}
    for spelling in spellings:
        groups.setdefault(key(spelling.value), []).append(spelling)
    return [groups[k] for k in sorted(groups)]


def write_mappings_sql(path: Path, version: str, unresolved: Unresolved) -> None:
    lines = [
        f"-- Unknown enum-like values of layer {version}.",
        f"-- For each value: uncomment its INSERT, replace {PLACEHOLDER} with an existing code, run this file,",
        "-- then re-validate the layer. A line still saying CHANGE_ME fails instead of guessing.",
    ]
    values = unresolved.values()
    if not values:
        lines.append("-- (none)")
    for vocabulary, spellings in values.items():
        lines += [
            "",
            f"-- {vocabulary}: codes are listed by SELECT code, name FROM {vocabulary} ORDER BY code;",
        ]
        lines += [line for group in _grouped(spellings, fold) for line in _mapping_lines(vocabulary, group)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _mapping_lines(vocabulary: str, group: list[Spelling]) -> list[str]:
    """One INSERT per compared form: mapping values are unique trimmed and case-insensitively."""
    places = ", ".join(f"{p.entity} {p.ext_id} ({p.field})" for s in group for p in s.places[:3])
    insert = MAPPING_INSERT.format(
        mapping=sql.Identifier(f"{vocabulary}_mapping"),
        value=sql.Identifier("value"),
        key=sql.Identifier(f"{vocabulary}_id"),
        table=sql.Identifier(vocabulary),
        literal=sql.SQL(literal(_shown(group).strip())),
        placeholder=sql.Literal(PLACEHOLDER),
    ).as_string(None)
    written = " = ".join(literal(s.value) for s in group)
    references = sum(s.references for s in group)
    return [f"-- {written}: {references} reference(s), e.g. {_one_line(places)}", f"-- {insert}"]


def literal(value: str) -> str:
    """A SQL string literal that stays on one line, so a commented-out statement stays commented out."""
    if value.isprintable():
        return sql.Literal(value).as_string(None)
    escaped = "".join(c if c.isprintable() and c not in "\\'" else _escape(c) for c in value)
    return f"E'{escaped}'"


def _escape(char: str) -> str:
    if char == "'":
        return "''"
    if char == "\\":
        return "\\\\"
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)
