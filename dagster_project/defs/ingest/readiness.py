"""Which landing dates a close still needs ingested (SPEC §3, §5.6).

Shared by the close plan (so the monthly schedule, the close sensor and
`partner-billing run`), the landing sensor and the guard at the start of the
close, so they agree on what "ready" means. Everything here reads the landing
zone and the ingest state file (ingest/state.py), never the warehouse: a
sensor's read would block a writer in another process.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dagster_project.defs.partitions import FIRST_LANDING_DATE, landing_dates
from dagster_project.defs.settings import PipelineSettings
from ingest.accounts import AccountFileError, landed_tenant_ids
from ingest.landing import files_fingerprint, landed_dates
from ingest.state import read_state


class IngestIncomplete(RuntimeError):
    pass


def ingested_dates(settings: PipelineSettings) -> set[date]:
    return set(read_state(settings.warehouse_path).fingerprints)


def dates_to_ingest(settings: PipelineSettings, through: date) -> list[date]:
    """Landing dates up to `through` never ingested, or whose files changed since they were.

    A file added to, replaced in or deleted from an ingested date (or the
    whole folder deleted) changes its fingerprint; the date is read again and
    the difference is billed through adjustments.
    """
    landing = Path(settings.landing_dir)
    recorded = read_state(settings.warehouse_path).fingerprints
    candidates = set(landed_dates(landing, since=FIRST_LANDING_DATE)) | set(recorded)
    return sorted(
        d for d in candidates
        if d <= through and landing_dates.has_partition_key(d.isoformat())
        and (d not in recorded or recorded[d] != files_fingerprint(landing, d))
    )


def dates_with_newly_known_tenants(settings: PipelineSettings, close_date: date) -> list[date]:
    """Landing dates holding unknown_tenant rejects whose tenant the landed tenants file now has.

    The file, not raw.tenants: the close loads the account files itself, so
    the raw copy may still be the one of the last ingest. A tenants file that
    cannot be read needs nothing re-ingested; the close's own load reports it.
    """
    unknown = read_state(settings.warehouse_path).unknown_tenants
    if not unknown:
        return []
    try:
        known = landed_tenant_ids(Path(settings.landing_dir))
    except AccountFileError:
        return []
    return sorted(d for d, tenants in unknown.items() if d <= close_date and tenants & known)


def require_ingested(settings: PipelineSettings, close_date: date) -> None:
    needed = dates_to_ingest(settings, close_date)
    if needed:
        shown = ", ".join(d.isoformat() for d in needed[:5]) + (" …" if len(needed) > 5 else "")
        raise IngestIncomplete(
            f"{len(needed)} landing date(s) up to the close date {close_date} are not ingested as they are "
            f"now ({shown}): run ingest_job for them before closing"
        )
