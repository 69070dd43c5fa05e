"""Landed Parquet files as batch rows: each column as the text SPEC §2 says it
stands for, and the quantity and timestamp also as values where those are
exact, so the checks need not parse them back.

Files with the same columns and types are read in one statement.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ingest.schema import USAGE_COLUMNS
from ingest.landing import LandedFile
from ingest.text_files import UnreadableFile, normalise_header


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _parquet_as_text(column: str, duck_type: str) -> str:
    """A Parquet column as the text SPEC §2 says it stands for."""
    col = _quote(column)
    if duck_type == "TIMESTAMP WITH TIME ZONE":
        return f"strftime(timezone('UTC', {col}), '%Y-%m-%dT%H:%M:%S.%fZ')"
    if duck_type.startswith("TIMESTAMP"):
        return f"strftime({col}::timestamp, '%Y-%m-%dT%H:%M:%S.%f')"
    # DOUBLE casts to its shortest round-trip repr; DECIMAL to its exact digits.
    return f"{col}::varchar"


_EXACT_QUANTITY_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


def _parquet_quantity_value(column: str, duck_type: str) -> str:
    """The value its text stands for, where decimal(38, 6) holds it exactly (no rounding)."""
    scale = re.fullmatch(r"DECIMAL\(\d+,(\d+)\)", duck_type)
    if duck_type in _EXACT_QUANTITY_TYPES or (scale and int(scale.group(1)) <= 6):
        return f"try_cast({_quote(column)} as decimal(38, 6))"
    return "null"


def _parquet_timestamp_value(column: str, duck_type: str) -> str:
    """The UTC value its text stands for, when the text's four-digit year can be trusted to parse back."""
    col = _quote(column)
    if duck_type == "TIMESTAMP WITH TIME ZONE":
        value = f"timezone('UTC', {col})"
    elif duck_type.startswith("TIMESTAMP"):
        value = f"{col}::timestamp"
    else:
        return "null"
    return f"case when year({value}) between 1000 and 9999 then {value} end"


def parquet_select(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The batch columns from the file's own columns, which depend on their names and types."""
    try:
        described = con.execute(
            "select column_name, column_type from (describe select * from read_parquet(?))",
            [str(path)],
        ).fetchall()
    except duckdb.Error as exc:
        raise unreadable_parquet(exc) from exc
    by_name: dict[str, tuple[str, str]] = {}
    for name, duck_type in described:
        key = normalise_header(name)
        if key in USAGE_COLUMNS and key in by_name:
            raise UnreadableFile(f"duplicate_columns: {key}")
        by_name[key] = (name, duck_type)
    missing = [c for c in USAGE_COLUMNS if c not in by_name]
    if missing:
        raise UnreadableFile(f"missing_columns: {', '.join(missing)}")
    values = [
        *(_parquet_as_text(*by_name[c]) for c in USAGE_COLUMNS),
        _parquet_quantity_value(*by_name["quantity"]),
        _parquet_timestamp_value(*by_name["occurred_at"]),
    ]
    return ", ".join(f"{value} as v{i}" for i, value in enumerate(values))


def load_parquet_files(con: duckdb.DuckDBPyConnection, files: list[LandedFile], select: str) -> None:
    """Parquet files read alike, in one statement: a statement per file would be most of a small file's ingest."""
    con.execute("create or replace temp table _files (path varchar, landing_date date, source_file varchar)")
    con.executemany("insert into _files values (?, ?, ?)",
                    [[str(f.path), f.landing_date, f.source_file] for f in files])
    con.execute(
        f"""insert into _batch
            select f.landing_date, f.source_file, p.file_row_number + 1, false, null,
                   p.* exclude (file_row_number, filename)
            from (select file_row_number, filename, {select}
                  from read_parquet($paths, filename = true, file_row_number = true)) p
            join _files f on f.path = p.filename""",
        {"paths": [str(f.path) for f in files]},
    )


def unreadable_parquet(exc: duckdb.Error) -> UnreadableFile:
    return UnreadableFile(f"unreadable_parquet: {str(exc).splitlines()[0]}")
