"""Publish the marts to the analysts' DuckDB file (SPEC §6).

A new file is written next to the published one and renamed over it, so an
analyst's open session keeps reading the previous file (its own inode) and
never blocks a run or sees a half-built state.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb


def publish_marts(warehouse_path: Path, analytics_path: Path) -> dict[str, int]:
    """Copy every table of the warehouse's `marts` schema into a fresh file, then rename it into place."""
    analytics_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = analytics_path.with_name(f".{analytics_path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    counts = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse_path}' as warehouse (read_only)")
        con.execute(f"attach '{tmp}' as published")
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'warehouse' and table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
        ).fetchall()]
        con.execute("create schema published.marts")
        for table in tables:
            con.execute(f'create table published.marts."{table}" as select * from warehouse.marts."{table}"')
            counts[table] = con.execute(f'select count(*) from published.marts."{table}"').fetchone()[0]
        con.execute("detach published")
    os.replace(tmp, analytics_path)
    Path(f"{tmp}.wal").unlink(missing_ok=True)
    return counts
