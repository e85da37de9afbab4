"""Reading billig: batched, typed, read-only, on SQLite (development) and PostgreSQL (production).

The PostgreSQL "production" is a separate database on the embedded test server,
built from the same mirror schema.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.billig.layout import BilligConfig, BilligLayout
from pipelines.billig.mirror import MirrorData, generate
from pipelines.billig.models import (
    BilligEvent,
    BilligPriceGroup,
    BilligTicketGroup,
    SalesFigures,
)
from pipelines.billig.reader import BilligReader, open_reader
from pipelines.core.exceptions import TerminalError
from resources.billig import BilligResource
from tests.support.billig_support import postgres_billig, sqlite_billig

EVENTS = 1200
FIRST_ID = 1001
# Statements of one prefetch with tickets and prices: three levels, plus the read-only
# transaction's own statement(s): BEGIN + COMMIT on SQLite, SET TRANSACTION on PostgreSQL.
PREFETCH_STATEMENTS = {"sqlite": 3 + 2, "postgres": 3 + 1}


@pytest.fixture(scope="module")
def data() -> MirrorData:
    return generate("new", events=EVENTS, seed=3, capacity=(2, 12), first_id=FIRST_ID)


@pytest.fixture(scope="module")
def sqlite_url(data: MirrorData, tmp_path_factory: pytest.TempPathFactory) -> str:
    return sqlite_billig(tmp_path_factory.mktemp("billig"), data)


@pytest.fixture(scope="module")
def postgres_url(data: MirrorData, server_url: str) -> Iterator[str]:
    with postgres_billig(server_url, data) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def reader(backend: str, request: pytest.FixtureRequest, data: MirrorData) -> Iterator[BilligReader]:
    url = request.getfixturevalue(f"{backend}_url")
    with open_reader(BilligConfig(url=url, layout=data.layout)) as opened:
        yield opened


def expected_figures(data: MirrorData) -> dict[int, SalesFigures]:
    """An oracle from the generated rows, independent of the reader's SQL."""
    group_event = {row[0]: row[1] for row in data.rows["billig.ticket_group"]}
    price = {row[0]: (row[1], row[6]) for row in data.rows["billig.price_group"]}
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for _group, event, _name, _limit, num_sold, num, _theater in data.rows["billig.ticket_group"]:
        totals[event][0] += num
        totals[event][1] += num_sold
    for _ticket, price_group, _purchase, _used, refunded, _on_card in data.rows["billig.ticket"]:
        group, amount = price[price_group]
        figures = totals[group_event[group]]
        figures[2] += refunded
        figures[3] += 0 if refunded else amount
    return {event: SalesFigures(*values) for event, values in totals.items()}


def test_public_models_never_expose_num_or_num_sold(reader: BilligReader) -> None:
    for model in (BilligEvent, BilligTicketGroup, BilligPriceGroup):
        assert not {"num", "num_sold"} & set(model.model_fields), model.__name__
    dumped = reader.prefetch(range(FIRST_ID, FIRST_ID + 50)).events[FIRST_ID + 1].model_dump()

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, (list, tuple)):
            return {k for v in value for k in keys(v)}
        return set()

    assert "ticket_groups" in keys(dumped) and "price" in keys(dumped)
    assert not {"num", "num_sold"} & keys(dumped)


@pytest.mark.parametrize("size", [1, 10, 1000])
def test_prefetch_costs_the_same_statements_for_1_10_and_1000_events(
    reader: BilligReader, backend: str, size: int
) -> None:
    before = reader.statements
    fetched = reader.prefetch(range(FIRST_ID, FIRST_ID + size))
    assert reader.statements - before == PREFETCH_STATEMENTS[backend]
    assert len(fetched.events) == size and not fetched.missing


def test_prefetch_attaches_every_group_to_its_own_parent(reader: BilligReader, data: MirrorData) -> None:
    fetched = reader.prefetch(range(FIRST_ID, FIRST_ID + EVENTS))
    groups = [g for e in fetched.events.values() for g in e.ticket_groups]
    prices = [p for g in groups for p in g.price_groups]
    assert len(groups) == len(data.rows["billig.ticket_group"])
    assert len(prices) == len(data.rows["billig.price_group"])
    assert all(g.event_id == e.id for e in fetched.events.values() for g in e.ticket_groups)
    assert all(p.ticket_group_id == g.id for g in groups for p in g.price_groups)
    num = {row[0]: (row[4], row[5]) for row in data.rows["billig.ticket_group"]}
    assert all(g.is_sold_out == (num[g.id][0] >= num[g.id][1]) for g in groups)
    assert any(g.is_sold_out for g in groups) and not all(g.is_sold_out for g in groups)
    assert any(e.hidden for e in fetched.events.values())


@pytest.mark.parametrize(
    ("tickets", "prices", "levels"),
    [(False, True, 1), (False, False, 1), (True, False, 2)],
    ids=["tickets=False", "tickets=False,prices=False", "prices=False"],
)
def test_prefetch_without_tickets_or_prices_sends_fewer_statements_and_gives_the_same_shapes(
    reader: BilligReader, backend: str, tickets: bool, prices: bool, levels: int
) -> None:
    ids = range(FIRST_ID, FIRST_ID + 300)
    full = reader.prefetch(ids)
    before = reader.statements
    fetched = reader.prefetch(ids, tickets=tickets, prices=prices)
    assert reader.statements - before == PREFETCH_STATEMENTS[backend] - (3 - levels)
    # the same models, with what was not asked for left empty (never None, never missing)
    assert fetched.missing == full.missing and list(fetched.events) == list(full.events)
    for event_id, event in fetched.events.items():
        whole = full.events[event_id]
        if not tickets:
            assert event.ticket_groups == () and event == whole.model_copy(update={"ticket_groups": ()})
            continue
        assert event.ticket_groups == tuple(
            group.model_copy(update={"price_groups": ()}) for group in whole.ticket_groups
        )
        assert all(isinstance(g, BilligTicketGroup) and g.price_groups == () for g in event.ticket_groups)
    assert any(e.ticket_groups for e in full.events.values())
    assert any(p for e in full.events.values() for g in e.ticket_groups for p in g.price_groups)


def test_unknown_and_none_ids_give_nothing_not_an_error(reader: BilligReader) -> None:
    before = reader.statements
    assert reader.prefetch([]).events == {}
    assert reader.event(None) is None
    assert reader.statements == before  # nothing asked, nothing sent
    fetched = reader.prefetch([None, 999_999, FIRST_ID, None, 888_888])
    assert list(fetched.events) == [FIRST_ID]
    assert fetched.missing == {999_999, 888_888}
    assert fetched.get(None) is None and fetched.get(999_999) is None
    assert reader.event(999_999) is None
    assert reader.sales_figures([None, 999_999]) == {}


def test_long_id_lists_are_chunked_into_a_fixed_number_of_statements_per_level(
    backend: str, request: pytest.FixtureRequest, data: MirrorData
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    with open_reader(BilligConfig(url=url, layout=data.layout, chunk_size=300)) as chunked:
        before = chunked.statements
        fetched = chunked.prefetch(range(FIRST_ID, FIRST_ID + 1000))
        assert chunked.statements - before == PREFETCH_STATEMENTS[backend] + 3 * (4 - 1)  # 4 chunks per level
    with open_reader(BilligConfig(url=url, layout=data.layout)) as whole:
        assert fetched == whole.prefetch(range(FIRST_ID, FIRST_ID + 1000))


def test_sales_figures_match_the_rows(reader: BilligReader, data: MirrorData, backend: str) -> None:
    before = reader.statements
    figures = reader.sales_figures(range(FIRST_ID, FIRST_ID + EVENTS))
    assert reader.statements - before == PREFETCH_STATEMENTS[backend] - 3 + 2  # two levels
    assert figures == expected_figures(data)
    assert sum(f.refunded or 0 for f in figures.values()) > 0


def test_writes_through_the_resource_fail_on_sqlite(sqlite_url: str, data: MirrorData) -> None:
    with BilligResource(url=sqlite_url, event_table=data.layout.event_table).reader() as reader:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.connection.fetch("DELETE FROM {ticket}")
        reader.connection.fetch("PRAGMA query_only = OFF")  # even then the file is opened mode=ro
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.connection.fetch("UPDATE {event_table} SET hidden = 1")
        assert len(reader.prefetch([FIRST_ID]).events) == 1


def test_writes_through_the_resource_fail_on_postgres(postgres_url: str, data: MirrorData) -> None:
    billig = BilligResource(url=postgres_url, event_table=data.layout.event_table)
    with billig.reader() as reader:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.connection.fetch("DELETE FROM {ticket}")
        # Turning the session default off does not help: each read begins READ ONLY.
        reader.connection.fetch("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.connection.fetch("UPDATE {event_table} SET hidden = true")
    with billig.reader() as reader:
        assert reader.connection.fetch("SHOW default_transaction_read_only") == [
            {"default_transaction_read_only": "on"}
        ]


def test_old_generation_reads_billig_event_and_has_no_ticket_figures(tmp_path: Path) -> None:
    old = generate("old", events=30, seed=5, first_id=FIRST_ID)
    url = sqlite_billig(tmp_path, old)
    with open_reader(BilligConfig(url=url, layout=old.layout)) as reader:
        fetched = reader.prefetch(range(FIRST_ID, FIRST_ID + 30))
        figures = reader.sales_figures(fetched.events)
    assert len(fetched.events) == 30 and fetched.events[FIRST_ID].location is None
    assert all(f.refunded is None and f.revenue is None and f.capacity > 0 for f in figures.values())
    assert sum(f.sold for f in figures.values()) == sum(row[4] for row in old.rows["billig.ticket_group"])


def test_a_wrong_generation_or_a_missing_file_is_one_clear_error(sqlite_url: str, tmp_path: Path) -> None:
    old = BilligLayout("billig.event")
    with (
        open_reader(BilligConfig(url=sqlite_url, layout=old)) as reader,
        pytest.raises(TerminalError, match="event table"),
    ):
        reader.prefetch([FIRST_ID])
    with (
        pytest.raises(TerminalError, match="strata billig seed"),
        open_reader(BilligConfig(url=f"sqlite://{tmp_path}/nothing.sqlite3", layout=old)),
    ):
        pass
    with pytest.raises(TerminalError, match="neither"):
        BilligLayout("billig.events")


def test_the_resource_takes_its_settings_then_the_environment_then_the_dev_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BILLIG_URL", raising=False)
    monkeypatch.delenv("BILLIG_EVENT_TABLE", raising=False)
    default = BilligResource().config()
    assert default.url == f"sqlite://{(tmp_path / 'home').resolve()}/billig/billig.sqlite3"
    assert default.layout.event_table == "billig.event_lim_web"
    monkeypatch.setenv("BILLIG_URL", "postgresql://reader@billig-host/billig")
    monkeypatch.setenv("BILLIG_EVENT_TABLE", "billig.event")
    from_env = BilligResource().config()
    assert (from_env.url, from_env.layout.has_tickets) == ("postgresql://reader@billig-host/billig", False)
    explicit = BilligResource(
        url="sqlite:///x.sqlite3", event_table="billig.event_lim_web", chunk_size=7
    ).config()
    assert (explicit.url, explicit.layout.generation, explicit.chunk_size) == (
        "sqlite:///x.sqlite3",
        "new",
        7,
    )
    with pytest.raises(TerminalError, match="neither"):
        BilligResource(event_table="event").config()
