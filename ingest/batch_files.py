"""Landed usage files into the batch table `_batch`: one row per data row,
every value as landed text, a file that cannot be read recorded instead.

CSV and NDJSON go through Python's parsers in chunks (ingest/text_files.py);
Parquet is read by DuckDB (ingest/parquet_files.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.landing import LandedFile, landed_files
from ingest.parquet_files import load_parquet_files, parquet_select, unreadable_parquet
from ingest.schema import USAGE_COLUMNS
from ingest.text_files import TextRow, UnreadableFile, read_csv_rows, read_ndjson_rows

CHUNK_ROWS = 100_000

_BATCH_SCHEMA = pa.schema(
    [
        ("landing_date", pa.date32()),
        ("source_file", pa.string()),
        ("row_number", pa.int64()),
        ("malformed", pa.bool_()),
        ("raw_record", pa.string()),
        *[(c, pa.string()) for c in USAGE_COLUMNS],
        # A Parquet value, so its text need not be trimmed and parsed back; null for text files.
        ("quantity_value", pa.decimal128(38, 6)),
        ("occurred_value", pa.timestamp("us")),
    ]
)

def _chunks(rows: Iterable[TextRow], landing_date: date, source_file: str) -> Iterator[pa.Table]:
    """Rows as batch tables of up to CHUNK_ROWS, built column by column (zip transposes in C)."""
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        numbers, values, malformed, raw_records = zip(*chunk)
        n = len(chunk)
        yield pa.table(
            [
                pa.array([landing_date] * n, pa.date32()),
                pa.array([source_file] * n, pa.string()),
                pa.array(numbers, pa.int64()),
                pa.array(malformed, pa.bool_()),
                pa.array(raw_records, pa.string()),
                *(pa.array(column, pa.string()) for column in zip(*values)),
                pa.nulls(n, pa.decimal128(38, 6)),
                pa.nulls(n, pa.timestamp("us")),
            ],
            schema=_BATCH_SCHEMA,
        )


def _text_chunks(path: Path, landing_date: date, source_file: str) -> Iterator[pa.Table]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = read_csv_rows(path, USAGE_COLUMNS, USAGE_COLUMNS)
    elif suffix == ".ndjson":
        rows = read_ndjson_rows(path, USAGE_COLUMNS)
    else:
        raise UnreadableFile("unsupported_file_type: expected .csv, .ndjson or .parquet")
    return _chunks(rows, landing_date, source_file)


class _TextRows:
    """Text files' chunks into _batch, several small files per insert, up to CHUNK_ROWS rows."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.pending, self.rows = con, [], 0

    def add(self, chunk: pa.Table) -> None:
        self.pending.append(chunk)
        self.rows += chunk.num_rows
        if self.rows >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.con.register("_chunk", pa.concat_tables(self.pending))
            self.con.execute("insert into _batch select * from _chunk")
            self.con.unregister("_chunk")
            self.pending, self.rows = [], 0


@dataclass
class FilesRead:
    files_per_date: Counter[date] = field(default_factory=Counter)
    rejected: list[tuple[LandedFile, str]] = field(default_factory=list)  # (file, reason)


def load_files(con: duckdb.DuckDBPyConnection, landing_dir: Path, dates: Iterable[date]) -> FilesRead:
    """Every file of the dates into _batch; a file that cannot be read is recorded, its rows left out.

    Parquet files with the same columns and types are read together; if that
    fails, each is read alone so that only the unreadable one is rejected.
    """
    text = _TextRows(con)
    read = FilesRead()

    def reject(file: LandedFile, exc: UnreadableFile) -> None:
        # Pending rows go in first, so the delete takes every row of the file whatever the chunk sizes.
        text.flush()
        con.execute("delete from _batch where source_file = ?", [file.source_file])
        read.rejected.append((file, str(exc)))

    parquet: dict[str, list[LandedFile]] = {}
    for landing_date in dates:
        for path in landed_files(landing_dir, landing_date):
            file = LandedFile(path, landing_date, path.relative_to(landing_dir).as_posix())
            read.files_per_date[landing_date] += 1
            try:
                if path.suffix.lower() == ".parquet":
                    parquet.setdefault(parquet_select(con, path), []).append(file)
                else:
                    for chunk in _text_chunks(path, landing_date, file.source_file):
                        text.add(chunk)
            except UnreadableFile as exc:
                reject(file, exc)
    text.flush()
    for select, files in parquet.items():
        try:
            load_parquet_files(con, files, select)
        except duckdb.Error:
            for file in files:
                try:
                    load_parquet_files(con, [file], select)
                except duckdb.Error as exc:
                    reject(file, unreadable_parquet(exc))
    return read


def _duck_type(arrow_type: pa.DataType) -> str:
    if arrow_type == pa.date32():
        return "date"
    if arrow_type == pa.timestamp("us"):
        return "timestamp"
    if arrow_type == pa.int64():
        return "bigint"
    if arrow_type == pa.bool_():
        return "boolean"
    if arrow_type == pa.decimal128(38, 6):
        return "decimal(38, 6)"
    return "varchar"




def create_batch_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace temp table _batch ("
        + ", ".join(f"{f.name} {_duck_type(f.type)}" for f in _BATCH_SCHEMA)
        + ")"
    )
