"""Load the current-state account, pricing and billing files into raw tables.

The files are small; each load replaces every table in one transaction so dbt
never sees partners from one version of the files and commitments from another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.schema import ACCOUNT_FILES, OPTIONAL_ACCOUNT_TABLES, account_table_ddl, ensure_raw_schema
from ingest.text_files import UnreadableFile, read_csv_rows


class AccountFileError(Exception):
    """An account or pricing file that cannot be used at all; blocks the run."""


@dataclass(frozen=True)
class AccountLoad:
    rows: dict[str, int]
    absent_files: list[str]


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _read_table(landing_dir: Path, table: str) -> pa.Table | None:
    file = ACCOUNT_FILES[table]
    path = landing_dir / file.path
    if not path.exists():
        if table in OPTIONAL_ACCOUNT_TABLES:
            return None
        raise AccountFileError(f"{file.path}: file is missing from {landing_dir}")
    data: dict[str, list] = {"source_row": [], **{c: [] for c in file.columns}}
    malformed: list[int] = []
    try:
        for row in read_csv_rows(path, file.columns, file.required):
            if row.malformed:
                malformed.append(row.row_number)
                continue
            data["source_row"].append(row.row_number)
            for c, value in zip(file.columns, row.values):
                data[c].append(_clean(value))
    except UnreadableFile as exc:
        raise AccountFileError(f"{file.path}: {exc}") from exc
    if malformed:
        raise AccountFileError(
            f"{file.path}: rows {', '.join(map(str, malformed[:10]))} have the wrong number of fields"
        )
    schema = pa.schema([("source_row", pa.int64())] + [(c, pa.string()) for c in file.columns])
    return pa.table(data, schema=schema)


def landed_tenant_ids(landing_dir: Path) -> set[str]:
    """The tenant ids of the landed tenants file as it is now (AccountFileError if it cannot be used)."""
    tenants = _read_table(landing_dir, "tenants")
    return {t for t in tenants.column("tenant_id").to_pylist() if t}


def load_accounts(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> AccountLoad:
    """Replace raw account and pricing tables with the landed files.

    Raises AccountFileError naming the file when a required file is missing,
    unreadable, lacks required columns or has malformed rows: account data
    decides who is billed, so it is never partially loaded.
    """
    tables = {t: _read_table(landing_dir, t) for t in ACCOUNT_FILES}
    ensure_raw_schema(con)
    con.execute("begin")
    try:
        for table, loaded in tables.items():
            con.execute(account_table_ddl(table))
            if loaded is not None:
                con.register("_landed", loaded)
                con.execute(f"insert into raw.{table} select * from _landed")
                con.unregister("_landed")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return AccountLoad(
        rows={t: (0 if v is None else v.num_rows) for t, v in tables.items()},
        absent_files=[ACCOUNT_FILES[t].path for t, v in tables.items() if v is None],
    )
