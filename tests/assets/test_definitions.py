"""The code location loads, as `dagster dev` and the webserver load it, and refuses a broken schema."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from dagster import Definitions

from assets.definitions import build_definitions, defs
from pipelines.contract.catalog_check import DeclarationError


@pytest.fixture
def environment(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("STRATA_HOME", str(tmp_path / "home"))


def test_definitions_build_and_validate() -> None:
    built = build_definitions()
    Definitions.validate_loadable(built)
    assert {"database", "drop_folder", "billig"} <= set(built.resources)


def test_the_code_location_loads_against_the_database(environment) -> None:
    loaded = defs()  # what Dagster's loader calls for the @definitions entry point
    assert loaded.resolve_job_def("layer_job") is not None


def test_a_table_without_its_history_trigger_fails_the_load_naming_it(
    environment, conn: psycopg.Connection
) -> None:
    conn.execute("DROP TRIGGER sign_history_update ON sign")
    conn.commit()
    with pytest.raises(DeclarationError, match="sign") as caught:
        defs()
    assert any("sign" in problem and "trigger" in problem for problem in caught.value.problems)
