"""Which landing dates a close still needs ingested (SPEC §5.6, §3).

Shared by `partner-billing run`, the monthly close schedule and sensor, and the
guard at the start of the close, so they agree on what "ready" means.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dagster_project.defs.partitions import landing_dates
from dagster_project.defs.settings import PipelineSettings
from ingest.accounts import AccountFileError, landed_tenant_ids
from ingest.landing import landed_dates
from ingest.usage import ingested_landing_dates


class IngestIncomplete(RuntimeError):
    pass


def _table_exists(con, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?", [name]
    ).fetchone()[0] > 0


def ingested_dates(settings: PipelineSettings) -> set[date]:
    if not Path(settings.warehouse_path).exists():
        return set()
    with settings.warehouse(read_only=True) as con:
        if not _table_exists(con, "usage_partitions"):
            return set()
        return ingested_landing_dates(con)


def missing_dates(settings: PipelineSettings, close_date: date) -> list[date]:
    """Landing folders up to the close date that have never been ingested."""
    done = ingested_dates(settings)
    return [
        d for d in landed_dates(Path(settings.landing_dir))
        if d <= close_date and d not in done and landing_dates.has_partition_key(d.isoformat())
    ]


def dates_with_newly_known_tenants(settings: PipelineSettings, close_date: date) -> list[date]:
    """Landing dates holding unknown_tenant rejects whose tenant the landed tenants file now has.

    The file, not raw.tenants: the close loads the account files itself, so
    the raw copy may still be the one of the last ingest. A tenants file that
    cannot be read needs nothing re-ingested; the close's own load reports it.
    """
    if not Path(settings.warehouse_path).exists():
        return []
    try:
        known = landed_tenant_ids(Path(settings.landing_dir))
    except AccountFileError:
        return []
    with settings.warehouse(read_only=True) as con:
        if not _table_exists(con, "usage_rejects"):
            return []
        rows = con.execute(
            """
            select distinct landing_date, trim(tenant_id) as tenant_id
            from raw.usage_rejects
            where reason = 'unknown_tenant' and landing_date <= ?
            """,
            [close_date],
        ).fetchall()
    return sorted({landing_date for landing_date, tenant_id in rows if tenant_id in known})


def require_ingested(settings: PipelineSettings, close_date: date) -> None:
    missing = missing_dates(settings, close_date)
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise IngestIncomplete(
            f"{len(missing)} landing date(s) up to the close date {close_date} are not ingested ({shown}): "
            "run ingest_job for them before closing"
        )
