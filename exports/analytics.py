"""Publish the marts to the analysts' DuckDB file (SPEC §6).

A new file is written next to the published one and renamed over it, so an
analyst's open session keeps reading the previous file (its own inode) and
never blocks a run or sees a half-built state.

The new file starts as a copy of the published one when that holds nothing but
the marts tables this module wrote. A table built by service month with a
`build_id` (fct_usage_daily, incremental in dbt) then gets only the months
whose builds or row counts differ from the warehouse's; every other table is
written again whole. fct_usage_daily grows with the history; the months a
close rebuilds do not, so the copy's cost follows the new data.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from ingest.duckdb_sql import literal

BY_MONTH_COLUMNS = {"service_month", "build_id"}


def publish_marts(warehouse_path: Path, analytics_path: Path) -> dict[str, dict[str, int]]:
    """Write every table of the warehouse's `marts` schema into a new file, then rename it into place.

    Returns the rows of each table and, for tables copied by month, how many
    months were copied (all of them when the file was written from scratch).
    """
    analytics_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = analytics_path.with_name(f".{analytics_path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    counts, months_copied = {}, {}
    with duckdb.connect() as con:
        con.execute(f"attach {literal(warehouse_path)} as warehouse (read_only)")
        _attach_copy_of_published(con, analytics_path, tmp)
        tables = _tables(con, "warehouse", "marts")
        for table in sorted(set(_tables(con, "published", "marts")) - set(tables)):
            con.execute(f'drop table published.marts."{table}"')
        for table in tables:
            columns = _columns(con, "warehouse", table)
            if BY_MONTH_COLUMNS <= {name for name, _ in columns}:
                months_copied[table] = _copy_changed_months(con, table, columns)
            else:
                _copy_whole(con, table)
            counts[table] = con.execute(f'select count(*) from published.marts."{table}"').fetchone()[0]
        con.execute("detach published")
    os.replace(tmp, analytics_path)
    Path(f"{tmp}.wal").unlink(missing_ok=True)
    return {"tables": counts, "months_copied": months_copied}


def _attach_copy_of_published(con: duckdb.DuckDBPyConnection, analytics_path: Path, tmp: Path) -> None:
    """`published`: a copy of the file now published if this module wrote it, else a new file.

    A table outside `marts`, a view (say, one an analyst added) or a file
    DuckDB cannot open starts the file afresh, so the result holds the marts' tables only.
    """
    if analytics_path.exists():
        shutil.copyfile(analytics_path, tmp)
        try:
            con.execute(f"attach {literal(tmp)} as published")
            foreign = con.execute(
                """select (select count(*) from duckdb_tables() where database_name = 'published' and schema_name <> 'marts')
                        + (select count(*) from duckdb_views() where database_name = 'published' and not internal)"""
            ).fetchone()[0]
        except duckdb.Error:
            foreign = None
        if foreign == 0:
            return
        con.execute("detach database if exists published")
        tmp.unlink()
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    con.execute(f"attach {literal(tmp)} as published")
    con.execute("create schema published.marts")


def _copy_changed_months(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]) -> int:
    """Replace the months whose build ids or row counts differ; the whole table if its columns changed."""
    if _columns(con, "published", table) != columns:
        _copy_whole(con, table)
        return con.execute(f'select count(distinct service_month) from published.marts."{table}"').fetchone()[0]
    builds = "select service_month, list(distinct build_id order by build_id) as builds, count(*) as n from {} group by 1"
    con.execute(f"""
        create or replace temp table _changed_months as
        select service_month
        from ({builds.format(f'warehouse.marts."{table}"')}) w
        full join ({builds.format(f'published.marts."{table}"')}) p using (service_month)
        where w.builds is distinct from p.builds or w.n is distinct from p.n
    """)
    con.execute(f"""delete from published.marts."{table}" where service_month in (select service_month from _changed_months)""")
    con.execute(f"""insert into published.marts."{table}"
                    select * from warehouse.marts."{table}" where service_month in (select service_month from _changed_months)""")
    return con.execute("select count(*) from _changed_months").fetchone()[0]


def _copy_whole(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f'create or replace table published.marts."{table}" as select * from warehouse.marts."{table}"')


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE' order by 1",
        [catalog, schema],
    ).fetchall()]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' and table_name = ? order by ordinal_position",
        [catalog, table],
    ).fetchall()]
