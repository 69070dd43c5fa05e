"""Several new landing dates in one pass give exactly what one date at a time in date order gives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import parquet_files
from ingest.accounts import load_accounts
from ingest.landing import batches
from ingest.usage import ingest_usage_partitions
from tests.conftest import METRICS
from tests.landing import USAGE_HEADER, write_accounts, write_csv, write_ndjson, write_parquet

DATES = [date(2025, 3, d) for d in (1, 2, 3, 5)]
TABLES = {
    "usage_events": "select * from raw.usage_events order by all",
    "usage_rejects": "select * from raw.usage_rejects order by all",
    "rejected_files": "select * from raw.rejected_files order by all",
    "usage_partitions": """select landing_date, files_read, files_rejected, rows_read, rows_accepted, rows_rejected,
                                  files_fingerprint from raw.usage_partitions order by all""",
}


def _landing(root: Path) -> Path:
    landing = root / "landing"
    write_accounts(landing, tenants=[("t1", "eur"), ("t2", "eur")])
    usage = landing / "usage"
    write_csv(usage / "2025-03-01/a.csv", USAGE_HEADER, [
        ["e1", "t1", "api_calls", "5", "2025-03-01T10:00:00Z"],
        ["e2", "t1", "api_calls", "1", "2025-03-01T11:00:00Z"],
        ["e2", "t1", "api_calls", "2", "2025-03-01T11:00:00Z"],  # later copy, payload differs
        ["e9", "t9", "api_calls", "1", "2025-03-01T11:00:00Z"],  # unknown tenant
    ])
    write_csv(usage / "2025-03-02/b.csv", USAGE_HEADER, [
        ["e1", "t1", "api_calls", "5", "2025-03-01T10:00:00Z"],  # identical copy of a day-1 event
        ["e3", "t2", "storage_gb", "1.5", "2025-03-02T00:00:00+01:00"],  # lands on 03-01 UTC
        ["e4", "t2", "api_calls", "1", "2025-03-09T00:00:00Z"],  # future
        ["e9", "t2", "api_calls", "1", "2025-03-02T00:00:00Z"],  # its day-1 copy was rejected: accepted here
    ])
    write_ndjson(usage / "2025-03-02/c.ndjson", [
        {"event_id": "e3", "tenant_id": "t2", "metric": "storage_gb", "quantity": 1.5, "occurred_at": "2025-03-01T23:00:00Z"},
        "not json",
    ])
    write_parquet(usage / "2025-03-03/d.parquet", {
        "event_id": pa.array(["e2", "e5"]),
        "tenant_id": pa.array(["t1", "t1"]),
        "metric": pa.array(["api_calls", "bogus"]),
        "quantity": pa.array(["1", "3"]),
        "occurred_at": pa.array(["2025-03-01T11:00:00Z", "2025-03-03T00:00:00Z"]),
    })
    (usage / "2025-03-03/broken.parquet").write_bytes(b"PAR1 not really")
    (usage / "2025-03-05").mkdir(parents=True)
    return landing


def _tables(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}


def test_a_batch_of_new_dates_equals_ingesting_them_one_at_a_time_in_date_order(tmp_path):
    landing = _landing(tmp_path)
    one_by_one, batched = tmp_path / "one.duckdb", tmp_path / "batch.duckdb"
    with duckdb.connect(str(one_by_one)) as con:
        load_accounts(con, landing)
        singles = [ingest_usage_partitions(con, landing, [d], METRICS, None)[0] for d in DATES]
    with duckdb.connect(str(batched)) as con:
        load_accounts(con, landing)
        grouped = ingest_usage_partitions(con, landing, DATES, METRICS, None)

    assert grouped == singles
    assert _tables(batched) == _tables(one_by_one)
    events = {(r[1], r[0]) for r in _tables(batched)["usage_events"]}
    assert events == {("e1", DATES[0]), ("e2", DATES[0]), ("e3", DATES[1]), ("e9", DATES[1])}
    rejects = {(r[0], r[5], r[3], r[4]) for r in _tables(batched)["usage_rejects"]}
    assert rejects == {
        (DATES[0], "e2", "duplicate_event", True), (DATES[0], "e9", "unknown_tenant", None),
        (DATES[1], "e1", "duplicate_event", False), (DATES[1], "e4", "future_timestamp", None),
        (DATES[1], "e3", "duplicate_event", False), (DATES[1], None, "malformed_row", None),
        (DATES[2], "e2", "duplicate_event", False), (DATES[2], "e5", "unknown_metric", None),
    }
    partitions = {r[0]: r[1:6] for r in _tables(batched)["usage_partitions"]}
    assert partitions[DATES[2]] == (2, 1, 2, 0, 2)  # files read, files rejected, rows read, accepted, rejected
    assert partitions[DATES[3]] == (0, 0, 0, 0, 0)


def test_a_batch_refuses_a_date_ingested_before(tmp_path):
    landing = _landing(tmp_path)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_accounts(con, landing)
        ingest_usage_partitions(con, landing, [DATES[1]], METRICS, None)[0]
        with pytest.raises(ValueError, match="re-ingest alone"):
            ingest_usage_partitions(con, landing, DATES[:2], METRICS, None)


def test_new_dates_are_grouped_and_a_date_ingested_before_stands_alone(tmp_path):
    landing = _landing(tmp_path)
    assert batches(landing, DATES, ingested=set()) == [DATES]
    assert batches(landing, DATES, ingested={DATES[1]}) == [[DATES[0]], [DATES[1]], DATES[2:]]
    assert batches(landing, list(reversed(DATES)), ingested={DATES[3]}) == [DATES[:3], [DATES[3]]]


def test_groups_stop_growing_at_the_size_limit(tmp_path):
    landing = _landing(tmp_path)
    day_one = sum(p.stat().st_size for p in (landing / "usage/2025-03-01").iterdir())
    assert batches(landing, DATES[:2], ingested=set(), max_bytes=day_one) == [[DATES[0]], [DATES[1]]]


def test_a_date_re_ingested_after_a_batch_gives_the_same_rows(tmp_path):
    landing = _landing(tmp_path)
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        load_accounts(con, landing)
        ingest_usage_partitions(con, landing, DATES, METRICS, None)
    before = _tables(path)
    with duckdb.connect(str(path)) as con:
        for d in DATES:
            ingest_usage_partitions(con, landing, [d], METRICS, None)[0]
    assert _tables(path) == before


def _ingested_as_values_and_as_text(root: Path, day: date, quantity: pa.Array, occurred_at: pa.Array,
                                    monkeypatch, reader: str):
    """The tables from ingesting one Parquet file with its values read as values, then with `reader` off."""
    landing = root / "landing"
    write_accounts(landing)
    write_parquet(landing / f"usage/{day.isoformat()}/u.parquet", {
        "event_id": pa.array([f"e{i}" for i in range(len(quantity))]),
        "tenant_id": pa.array(["t1"] * len(quantity)),
        "metric": pa.array(["api_calls"] * len(quantity)),
        "quantity": quantity,
        "occurred_at": occurred_at,
    })

    def ingest(name: str) -> dict[str, list[tuple]]:
        path = root / name
        with duckdb.connect(str(path)) as con:
            load_accounts(con, landing)
            ingest_usage_partitions(con, landing, [day], METRICS, None)[0]
        return _tables(path)

    as_values = ingest("values.duckdb")
    monkeypatch.setattr(parquet_files, reader, lambda column, duck_type: "null")
    as_text = ingest("text.duckdb")
    monkeypatch.undo()
    return as_values, as_text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stamps=st.lists(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
                       min_size=1, max_size=20),
       aware=st.booleans())
def test_parquet_timestamps_read_as_values_match_their_text_read_back(tmp_path_factory, monkeypatch, stamps, aware):
    as_values, as_text = _ingested_as_values_and_as_text(
        tmp_path_factory.mktemp("ts"), date(9999, 12, 31), pa.array(["1"] * len(stamps)),
        pa.array(stamps, pa.timestamp("us", tz="Europe/Copenhagen" if aware else None)),
        monkeypatch, "_parquet_timestamp_value")
    assert as_values == as_text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), scale=st.integers(min_value=0, max_value=6), as_integer=st.booleans())
def test_parquet_quantities_read_as_values_match_their_text_read_back(tmp_path_factory, monkeypatch, data,
                                                                      scale, as_integer):
    """Negative, zero, at and above the 1e12 limit: a DECIMAL or integer column gives what its text gives."""
    if as_integer:
        values = data.draw(st.lists(st.integers(min_value=-2**63, max_value=2**63 - 1), min_size=1, max_size=20))
        column = pa.array(values, pa.int64())
    else:
        values = data.draw(st.lists(st.decimals(min_value=-10**13, max_value=10**13, places=scale,
                                                allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
        column = pa.array(values, pa.decimal128(38, scale))
    as_values, as_text = _ingested_as_values_and_as_text(
        tmp_path_factory.mktemp("qty"), date(2025, 3, 1), column,
        pa.array([datetime(2025, 3, 1, 8)] * len(values), pa.timestamp("us")),
        monkeypatch, "_parquet_quantity_value")
    assert as_values == as_text
    assert len(as_values["usage_events"]) + len(as_values["usage_rejects"]) == len(values)
