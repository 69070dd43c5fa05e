"""SPEC §3 case by case: one test per reject reason and per reading rule of a landed usage file.

Longer than the other modules on purpose: the cases are short, independent
and read in the spec's order, which splitting the file would lose.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from ingest import batch_files
from tests.landing import USAGE_HEADER, write_accounts, write_csv, write_ndjson, write_parquet

DAY = "2025-01-10"
TS = "2025-01-10T08:00:00Z"

# One row per reject reason (plus one accepted row first), in SPEC §3's order.
REASON_ROWS = [
    (["ok-1", "t1", "api_calls", "5", TS], None),
    (["bad id/1", "t1", "api_calls", "5", TS], "malformed_row"),
    (["miss-1", "t1", "api_calls", "", TS], "missing_field"),
    (["qty-1", "t1", "api_calls", "abc", TS], "bad_quantity"),
    (["ts-1", "t1", "api_calls", "1", "2025-01-10"], "bad_timestamp"),
    (["fut-1", "t1", "api_calls", "1", "2025-01-11T00:00:00Z"], "future_timestamp"),
    (["old-1", "t1", "api_calls", "1", "2024-12-31T23:59:59Z"], "before_billing_start"),
    (["who-1", "t404", "api_calls", "1", TS], "unknown_tenant"),
    (["met-1", "t1", "gpu_hours", "1", TS], "unknown_metric"),
    (["ok-1", "t1", "api_calls", "5", TS], "duplicate_event"),
]


def _outcomes(wh) -> list[tuple[int, str | None]]:
    accepted = wh.rows("select row_number, null from raw.usage_events")
    rejected = wh.rows("select row_number, reason from raw.usage_rejects")
    return sorted(accepted + rejected)


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_each_reject_reason_is_assigned_in_every_file_format(wh, fmt):
    wh.billing_start = date(2025, 1, 1)
    rows = [r for r, _ in REASON_ROWS]
    folder = wh.usage_dir(DAY)
    if fmt == "csv":
        write_csv(folder / "u.csv", USAGE_HEADER, rows)
    elif fmt == "ndjson":
        write_ndjson(folder / "u.ndjson", [dict(zip(USAGE_HEADER, r)) for r in rows])
    else:
        write_parquet(folder / "u.parquet", {c: pa.array([r[i] for r in rows]) for i, c in enumerate(USAGE_HEADER)})

    result = wh.ingest(DAY)

    assert _outcomes(wh) == [(i + 1, reason) for i, (_, reason) in enumerate(REASON_ROWS)]
    assert result.rows_read == 10 and result.rows_accepted == 1 and result.rows_rejected == 9
    assert wh.rows("select reason, payload_differs from raw.usage_rejects where reason = 'duplicate_event'") == [
        ("duplicate_event", False)
    ]


def test_a_csv_row_with_the_wrong_number_of_fields_is_malformed_and_keeps_its_raw_text(wh):
    folder = wh.usage_dir(DAY)
    (folder).mkdir(parents=True)
    (folder / "u.csv").write_text(
        "event_id,tenant_id,metric,quantity,occurred_at\r\na,t1,api_calls\r\nb,t1,api_calls,1,2025-01-10T00:00Z,extra\r\n"
    )
    wh.ingest(DAY)
    assert wh.rows("select row_number, reason, raw_record from raw.usage_rejects order by 1") == [
        (1, "malformed_row", "a,t1,api_calls"),
        (2, "malformed_row", "b,t1,api_calls,1,2025-01-10T00:00Z,extra"),
    ]


def test_an_ndjson_line_that_is_not_an_object_is_malformed(wh):
    write_ndjson(wh.usage_dir(DAY) / "u.ndjson", ["[1, 2]", "not json", '"text"', {"event_id": "x1", "tenant_id": "t1",
                 "metric": "api_calls", "quantity": 1, "occurred_at": TS}])
    wh.ingest(DAY)
    assert _outcomes(wh) == [(1, "malformed_row"), (2, "malformed_row"), (3, "malformed_row"), (4, None)]


def test_bom_header_case_order_extra_columns_blank_lines_and_padding_are_tolerated(wh):
    folder = wh.usage_dir(DAY)
    folder.mkdir(parents=True)
    (folder / "u.csv").write_bytes(
        "\ufeff Occurred_At ,QUANTITY,Note,metric,TENANT_ID,event_id\r\n"
        "\r\n"
        "  2025-01-10 08:00 , 2.5 ,hello, api_calls ,  t1 ,  e-1  \r\n"
        "   \r\n"
        "2025-01-10T09:00:00Z,3,x,api_calls,t2,e-2\r\n".encode("utf-8")
    )
    result = wh.ingest(DAY)
    assert result.rows_read == 2 and result.rows_rejected == 0
    assert wh.rows("select event_id, tenant_id, metric, quantity, occurred_at, row_number from raw.usage_events order by 1") == [
        ("e-1", "t1", "api_calls", Decimal("2.500000"), datetime(2025, 1, 10, 8, 0), 1),
        ("e-2", "t2", "api_calls", Decimal("3.000000"), datetime(2025, 1, 10, 9, 0), 2),
    ]


def test_a_file_missing_required_columns_is_rejected_whole_and_other_files_still_load(wh):
    folder = wh.usage_dir(DAY)
    write_csv(folder / "a.csv", ["event_id", "tenant_id", "metric"], [["e1", "t1", "api_calls"]])
    write_csv(folder / "b.csv", USAGE_HEADER, [["e2", "t1", "api_calls", "1", TS]])
    result = wh.ingest(DAY)
    assert result.rejected_files == [("usage/2025-01-10/a.csv", "missing_columns: quantity, occurred_at")]
    assert wh.rows("select event_id from raw.usage_events") == [("e2",)]
    assert wh.rows("select source_file, reason from raw.rejected_files") == [
        ("usage/2025-01-10/a.csv", "missing_columns: quantity, occurred_at")
    ]
    assert wh.rows("select files_read, files_rejected, rows_read from raw.usage_partitions") == [(2, 1, 1)]


def test_an_empty_csv_is_a_rejected_file_and_an_empty_ndjson_is_zero_rows(wh):
    folder = wh.usage_dir(DAY)
    folder.mkdir(parents=True)
    (folder / "empty.csv").write_text("")
    (folder / "empty.ndjson").write_text("\n\n")
    result = wh.ingest(DAY)
    assert result.rejected_files == [("usage/2025-01-10/empty.csv", "no_header")]
    assert result.rows_read == 0


def test_a_truncated_parquet_file_is_rejected_with_its_path(wh):
    folder = wh.usage_dir(DAY)
    good = write_parquet(folder / "good.parquet", {c: pa.array([v]) for c, v in zip(USAGE_HEADER, ["e1", "t1", "api_calls", "1", TS])})
    (folder / "broken.parquet").write_bytes(good.read_bytes()[:-40])
    result = wh.ingest(DAY)
    assert [p for p, _ in result.rejected_files] == ["usage/2025-01-10/broken.parquet"]
    assert result.rejected_files[0][1].startswith("unreadable_parquet:")
    assert result.rows_accepted == 1


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        ("2025-01-10T08:00", datetime(2025, 1, 10, 8, 0)),
        ("2025-01-10 08:00:07", datetime(2025, 1, 10, 8, 0, 7)),
        ("2025-01-10T08:00:07.123456789", datetime(2025, 1, 10, 8, 0, 7, 123456)),
        ("2025-01-10T08:00:07Z", datetime(2025, 1, 10, 8, 0, 7)),
        ("2025-01-10T01:30:00+02:00", datetime(2025, 1, 9, 23, 30)),
        ("2025-01-09T22:30:00-0230", datetime(2025, 1, 10, 1, 0)),
        ("2025-01-10 00:15+0100", datetime(2025, 1, 9, 23, 15)),
    ],
)
def test_each_accepted_timestamp_form_is_converted_to_utc(wh, text, expected_utc):
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [["e1", "t1", "api_calls", "1", text]])
    wh.ingest(DAY)
    assert wh.rows("select occurred_at, usage_date from raw.usage_events") == [(expected_utc, expected_utc.date())]


def test_an_offset_that_crosses_midnight_into_the_landing_day_after_is_future(wh):
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [["e1", "t1", "api_calls", "1", "2025-01-10T23:30:00-01:00"]])
    wh.ingest(DAY)
    assert wh.rows("select reason from raw.usage_rejects") == [("future_timestamp",)]


@pytest.mark.parametrize("text", ["2025-01-10", "2025-01-10T24:00", "2025-02-30T10:00", "10/01/2025 08:00", "2025-01-10T08:00+5"])
def test_a_date_alone_or_an_impossible_time_is_a_bad_timestamp(wh, text):
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [["e1", "t1", "api_calls", "1", text]])
    wh.ingest(DAY)
    assert wh.rows("select reason from raw.usage_rejects") == [("bad_timestamp",)]


def test_a_nine_decimal_json_number_is_rounded_half_up_from_its_literal(wh):
    write_ndjson(wh.usage_dir(DAY) / "u.ndjson", [
        '{"event_id":"e1","tenant_id":"t1","metric":"api_calls","quantity":0.123456500,"occurred_at":"%s"}' % TS,
        '{"event_id":"e2","tenant_id":"t1","metric":"api_calls","quantity":1.5e-6,"occurred_at":"%s"}' % TS,
        '{"event_id":"e3","tenant_id":"t1","metric":"api_calls","quantity":2.0000004999,"occurred_at":"%s"}' % TS,
    ])
    wh.ingest(DAY)
    assert wh.rows("select event_id, quantity from raw.usage_events order by 1") == [
        ("e1", Decimal("0.123457")), ("e2", Decimal("0.000002")), ("e3", Decimal("2.000000")),
    ]


def test_a_parquet_double_is_read_by_its_shortest_repr_and_a_decimal_exactly(wh):
    folder = wh.usage_dir(DAY)
    write_parquet(folder / "d.parquet", {
        "event_id": pa.array(["d1", "d2"]), "tenant_id": pa.array(["t1", "t1"]),
        "metric": pa.array(["api_calls", "api_calls"]),
        "quantity": pa.array([0.1234565, 0.1], type=pa.float64()),
        "occurred_at": pa.array([datetime(2025, 1, 10, 8), datetime(2025, 1, 10, 9)], type=pa.timestamp("us")),
    })
    write_parquet(folder / "e.parquet", {
        "event_id": pa.array(["x1"]), "tenant_id": pa.array(["t1"]), "metric": pa.array(["api_calls"]),
        "quantity": pa.array([Decimal("7.1234565")], type=pa.decimal128(12, 7)),
        "occurred_at": pa.array([datetime(2025, 1, 10, 9, 30)], type=pa.timestamp("us", tz="Europe/Copenhagen")),
    })
    wh.ingest(DAY)
    # 0.1234565 as a double is 0.12345649999..., but its shortest repr is 0.1234565.
    assert wh.rows("select event_id, quantity, occurred_at from raw.usage_events order by 1") == [
        ("d1", Decimal("0.123457"), datetime(2025, 1, 10, 8)),
        ("d2", Decimal("0.100000"), datetime(2025, 1, 10, 9)),
        ("x1", Decimal("7.123457"), datetime(2025, 1, 10, 9, 30)),
    ]


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [("-1", "bad_quantity"), ("-0.000001", "bad_quantity"), ("1e13", "bad_quantity"), ("NaN", "bad_quantity"),
     ("Infinity", "bad_quantity"), ("1_000", "bad_quantity"), ("12,5", "bad_quantity"), ("0x10", "bad_quantity"),
     ("1000000000000", None), ("0", None), ("-0", None), ("+4.5E2", None)],
)
def test_quantities_must_be_finite_non_negative_decimals_up_to_1e12(wh, quantity, reason):
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [["e1", "t1", "api_calls", quantity, TS]])
    wh.ingest(DAY)
    assert _outcomes(wh) == [(1, reason)]


def test_an_event_id_with_a_path_separator_or_spaces_is_malformed(wh):
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [
        ["../etc/passwd", "t1", "api_calls", "1", TS], ["a b", "t1", "api_calls", "1", TS],
        ["a\\b", "t1", "api_calls", "1", TS], ["_leading", "t1", "api_calls", "1", TS],
        ["x" * 65, "t1", "api_calls", "1", TS], ["Ok_1.2-3", "t1", "api_calls", "1", TS],
    ])
    wh.ingest(DAY)
    assert _outcomes(wh) == [(1, "malformed_row"), (2, "malformed_row"), (3, "malformed_row"),
                             (4, "malformed_row"), (5, "malformed_row"), (6, None)]


def test_the_same_event_in_two_partitions_is_a_duplicate_flagged_when_its_payload_differs(wh):
    write_csv(wh.usage_dir("2025-01-09") / "u.csv", USAGE_HEADER, [["e1", "t1", "api_calls", "1.0", "2025-01-09T10:00Z"]])
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [
        ["e1", "t1", "api_calls", "1", "2025-01-09T10:00:00+00:00"],  # same payload, other spelling
        ["e1", "t1", "api_calls", "2", "2025-01-09T10:00:00Z"],
    ])
    wh.ingest("2025-01-09")
    wh.ingest(DAY)
    assert wh.rows("select landing_date, event_id from raw.usage_events") == [(date(2025, 1, 9), "e1")]
    assert wh.rows("select row_number, reason, payload_differs from raw.usage_rejects order by 1") == [
        (1, "duplicate_event", False), (2, "duplicate_event", True),
    ]


def test_within_a_partition_the_first_copy_by_file_name_then_row_is_accepted(wh):
    folder = wh.usage_dir(DAY)
    write_csv(folder / "b.csv", USAGE_HEADER, [["e1", "t1", "api_calls", "2", TS]])
    write_csv(folder / "a.csv", USAGE_HEADER, [["e0", "t1", "api_calls", "1", TS], ["e1", "t1", "api_calls", "1", TS]])
    wh.ingest(DAY)
    assert wh.rows("select event_id, source_file, quantity from raw.usage_events order by 1") == [
        ("e0", "usage/2025-01-10/a.csv", Decimal("1.000000")),
        ("e1", "usage/2025-01-10/a.csv", Decimal("1.000000")),
    ]
    assert wh.rows("select source_file, reason, payload_differs from raw.usage_rejects") == [
        ("usage/2025-01-10/b.csv", "duplicate_event", True)
    ]


def test_copies_of_an_id_already_in_the_history_are_compared_with_the_history_not_with_each_other(wh):
    write_csv(wh.usage_dir("2025-01-09") / "u.csv", USAGE_HEADER, [["e1", "t1", "api_calls", "1", "2025-01-09T10:00Z"]])
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [
        ["e1", "t404", "api_calls", "1", "2025-01-09T10:00Z"],  # its own reason comes first
        ["e1", "t1", "api_calls", "2", "2025-01-09T10:00Z"],
        ["e1", "t1", "api_calls", "1", "2025-01-09T10:00Z"],
        ["e2", "t1", "api_calls", "3", TS],
    ])
    wh.ingest("2025-01-09")
    wh.ingest(DAY)
    assert wh.rows("select landing_date, event_id from raw.usage_events order by 2") == [
        (date(2025, 1, 9), "e1"), (date(2025, 1, 10), "e2"),
    ]
    assert wh.rows("select row_number, reason, payload_differs from raw.usage_rejects order by 1") == [
        (1, "unknown_tenant", None), (2, "duplicate_event", True), (3, "duplicate_event", False),
    ]


def test_usage_of_an_unknown_tenant_is_accepted_after_the_tenant_is_added_and_the_partition_rerun(wh):
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [["e1", "t9", "api_calls", "3", TS]])
    wh.ingest(DAY)
    assert wh.rows("select reason, tenant_id from raw.usage_rejects") == [("unknown_tenant", "t9")]

    write_accounts(wh.landing, tenants=[("t1", "eur"), ("t2", "eur"), ("t9", "eur")])
    wh.load_accounts()
    wh.ingest(DAY)
    assert wh.rows("select event_id, tenant_id, quantity from raw.usage_events") == [("e1", "t9", Decimal("3.000000"))]
    assert wh.rows("select count(*) from raw.usage_rejects") == [(0,)]


def test_reingesting_a_partition_replaces_only_that_partition_and_leaves_tables_identical(wh):
    write_csv(wh.usage_dir("2025-01-09") / "u.csv", USAGE_HEADER, [["a1", "t1", "api_calls", "1", "2025-01-09T10:00Z"]])
    write_csv(wh.usage_dir(DAY) / "u.csv", USAGE_HEADER, [["b1", "t1", "api_calls", "2", TS], ["b2", "t404", "api_calls", "2", TS]])
    wh.ingest("2025-01-09")
    wh.ingest(DAY)
    tables = ["usage_events", "usage_rejects", "rejected_files"]
    before = {t: wh.rows(f"select * from raw.{t} order by all") for t in tables}
    other_partition_stats = wh.rows("select * from raw.usage_partitions where landing_date = '2025-01-09'")

    wh.ingest(DAY)
    wh.ingest(DAY)

    assert {t: wh.rows(f"select * from raw.{t} order by all") for t in tables} == before
    assert wh.rows("select * from raw.usage_partitions where landing_date = '2025-01-09'") == other_partition_stats
    assert wh.rows("select landing_date, rows_read, rows_accepted, rows_rejected from raw.usage_partitions order by 1") == [
        (date(2025, 1, 9), 1, 1, 0), (date(2025, 1, 10), 2, 1, 1),
    ]


def test_a_missing_landing_folder_records_an_empty_partition(wh):
    result = wh.ingest(DAY)
    assert (result.files_read, result.rows_read) == (0, 0)
    assert wh.rows("select rows_read, rows_accepted, rows_rejected from raw.usage_partitions") == [(0, 0, 0)]


def test_a_file_of_another_type_is_recorded_as_rejected_not_ignored(wh):
    folder = wh.usage_dir(DAY)
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("hello")
    result = wh.ingest(DAY)
    assert result.rejected_files == [("usage/2025-01-10/notes.txt", "unsupported_file_type: expected .csv, .ndjson or .parquet")]


def test_a_csv_that_is_not_utf8_is_rejected_whole(wh):
    folder = wh.usage_dir(DAY)
    folder.mkdir(parents=True)
    (folder / "latin1.csv").write_bytes("event_id,tenant_id,metric,quantity,occurred_at\r\nø1,t1,api_calls,1,2025-01-10T08:00Z\r\n".encode("latin-1"))
    result = wh.ingest(DAY)
    assert result.rejected_files[0][0] == "usage/2025-01-10/latin1.csv"
    assert result.rejected_files[0][1].startswith("not_utf8")
    assert result.rows_read == 0


def test_a_csv_found_not_utf8_after_rows_were_loaded_leaves_none_of_them_and_keeps_its_neighbours(wh, monkeypatch):
    # Small chunks, so rows of the bad file are already in the batch when it fails.
    monkeypatch.setattr(batch_files, "CHUNK_ROWS", 100)
    folder = wh.usage_dir(DAY)
    write_csv(folder / "a.csv", USAGE_HEADER, [[f"a-{i}", "t1", "api_calls", "1", TS] for i in range(3)])
    # Past the reader's first buffer, so that rows come before the decoding error.
    good = "".join(f"b-{i},t1,api_calls,1,{TS}\r\n" for i in range(2000))
    (folder / "b.csv").write_bytes((",".join(USAGE_HEADER) + "\r\n" + good).encode() + "ø,t1,api_calls,1,x\r\n".encode("latin-1"))
    write_ndjson(folder / "c.ndjson", [dict(zip(USAGE_HEADER, ["c-1", "t1", "api_calls", "2", TS]))])

    result = wh.ingest(DAY)

    assert [path for path, _ in result.rejected_files] == ["usage/2025-01-10/b.csv"]
    assert result.rejected_files[0][1].startswith("not_utf8")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 4, 0)
    assert wh.rows("select event_id from raw.usage_events order by 1") == [("a-0",), ("a-1",), ("a-2",), ("c-1",)]


def test_a_parquet_file_whose_data_is_corrupt_is_rejected_alone_among_files_read_together(wh):
    folder = wh.usage_dir(DAY)
    columns = {c: pa.array([v] * 1000) for c, v in zip(USAGE_HEADER, ["e", "t1", "api_calls", "1", TS])}
    write_parquet(folder / "a.parquet", {**columns, "event_id": pa.array([f"a{i}" for i in range(1000)])})
    good = write_parquet(folder / "b.parquet", {**columns, "event_id": pa.array([f"b{i}" for i in range(1000)])})
    data = bytearray(good.read_bytes())
    data[8:200] = b"\xff" * 192  # the first data page; the footer, and so the schema, stays readable
    (folder / "c.parquet").write_bytes(bytes(data))
    result = wh.ingest(DAY)
    assert [p for p, _ in result.rejected_files] == ["usage/2025-01-10/c.parquet"]
    assert result.rejected_files[0][1].startswith("unreadable_parquet:")
    assert (result.rows_read, result.rows_accepted) == (2000, 2000)
