"""Landing zone -> raw tables: account files and daily usage partitions."""


import csv
from datetime import date
from pathlib import Path

import dagster as dg

from dagster_project.defs.alerts.definitions import ALERTS
from dagster_project.defs.partitions import FIRST_LANDING_DATE, landing_dates
from dagster_project.defs.ingest.readiness import dates_to_ingest
from dagster_project.defs.run_tags import ingest_tags
from dagster_project.defs.paths import PRICE_BOOK_SEED
from dagster_project.defs.settings import DUCKDB_POOL, PipelineSettings
from ingest.accounts import load_accounts
from ingest.schema import ACCOUNT_FILES, ensure_raw_schema
from ingest.landing import batches, files_fingerprint, unread_usage_entries
from ingest.usage import PartitionResult, ingest_usage_partitions, ingested_landing_dates, reject_reason_counts

FOR_STAGING = "For the dbt staging models, which type and check it, and ingest's checks."
ACCOUNT_KEYS = {table: dg.AssetKey(["raw", table]) for table in ACCOUNT_FILES}
USAGE_EVENTS = dg.AssetKey(["raw", "usage_events"])
USAGE_REJECTS = dg.AssetKey(["raw", "usage_rejects"])
REJECTED_FILES = dg.AssetKey(["raw", "rejected_files"])
USAGE_PARTITIONS = dg.AssetKey(["raw", "usage_partitions"])

ROWS_RECONCILE = dg.AssetCheckSpec(
    "rows_read_equal_accepted_plus_rejected",
    asset=USAGE_PARTITIONS,
    blocking=True,
    description="Per landing date, rows read = rows accepted + rows rejected (SPEC §3).",
)
EVERY_ENTRY_READ = dg.AssetCheckSpec(
    "every_usage_entry_is_a_landing_date",
    asset=USAGE_PARTITIONS,
    description="Reports what under usage/ is not a landing date ingest reads (a folder not named YYYY-MM-DD, "
                "a file outside a date folder, a date before the first partition), with its files; never blocks.",
)
NOTHING_REJECTED = dg.AssetCheckSpec(
    "no_rejected_rows_or_files",
    asset=USAGE_REJECTS,
    description="Reports reject rows by reason and unreadable files by name; never blocks.",
)


def known_metrics(price_book: Path = PRICE_BOOK_SEED) -> list[str]:
    with price_book.open(encoding="utf-8") as handle:
        return sorted({row["metric"].strip() for row in csv.DictReader(handle)})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, description=f"Landed {ACCOUNT_FILES[table].path} as text, replaced on each load. {FOR_STAGING}",
                     group_name="ingest")
        for table, key in ACCOUNT_KEYS.items()
    ],
    pool=DUCKDB_POOL,
)
def account_files(context: dg.AssetExecutionContext, settings: PipelineSettings):
    """Current-state account and pricing files; a file that cannot be used stops the run."""
    with settings.warehouse() as con:
        loaded = load_accounts(con, Path(settings.landing_dir))
    for table, key in ACCOUNT_KEYS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "rows": loaded.rows[table],
                "file": ACCOUNT_FILES[table].path,
                "file_absent": ACCOUNT_FILES[table].path in loaded.absent_files,
            },
        )


def key_of(result: PartitionResult) -> str:
    return result.landing_date.isoformat()


def partition_counts(result: PartitionResult) -> dict[str, int]:
    """One landing date's own rows: read, accepted, rejected in all and by reason, and unreadable files."""
    return {
        "rows_read": result.rows_read,
        "rows_accepted": result.rows_accepted,
        "rows_rejected": result.rows_rejected,
        **{f"rows_rejected_{reason}": n for reason, n in reject_reason_counts([result]).items()},
        "files_unreadable": len(result.rejected_files),
    }


def _reconcile(settings: PipelineSettings, results: list[PartitionResult]) -> dg.AssetCheckResult:
    """Counts from the tables, not from the ingest's own tally, so the check is independent."""
    dates = [r.landing_date for r in results]
    with settings.warehouse(read_only=True) as con:
        rows = con.execute(
            """
            select p.landing_date, p.rows_read,
                   (select count(*) from raw.usage_events e where e.landing_date = p.landing_date),
                   (select count(*) from raw.usage_rejects r where r.landing_date = p.landing_date)
            from raw.usage_partitions p
            where p.landing_date in (select unnest(?::date[]))
            order by 1
            """,
            [dates],
        ).fetchall()
    broken = [
        f"{d}: read {read} != accepted {acc} + rejected {rej}"
        for d, read, acc, rej in rows
        if read != acc + rej
    ]
    missing = sorted(set(dates) - {r[0] for r in rows})
    broken += [f"{d}: no partition record" for d in missing]
    return dg.AssetCheckResult(
        check_name=ROWS_RECONCILE.name,
        asset_key=USAGE_PARTITIONS,
        passed=not broken,
        metadata={
            "partitions": len(rows),
            "rows_read": sum(r[1] for r in rows),
            "rows_accepted": sum(r[2] for r in rows),
            "rows_rejected": sum(r[3] for r in rows),
            "failures": "\n".join(broken) or "none",
        },
    )


def _unread_entries_report(landing: Path) -> dg.AssetCheckResult:
    entries = unread_usage_entries(landing, FIRST_LANDING_DATE)
    return dg.AssetCheckResult(
        check_name=EVERY_ENTRY_READ.name,
        asset_key=USAGE_PARTITIONS,
        passed=not entries,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unread_entries": len(entries),
            "entries": dg.MetadataValue.md(
                "\n".join(f"- `{e.path}` ({e.files} file(s)): {e.reason}" for e in entries) or "none"),
        },
    )


def _rejects_by_date(results: list[PartitionResult]) -> str:
    rows = [(r.landing_date, reason, n) for r in results for reason, n in reject_reason_counts([r]).items()]
    if not rows:
        return "none"
    return "\n".join(["| Landing date | Reason | Rows |", "|---|---|--:|",
                      *(f"| {d} | {reason} | {n:,} |" for d, reason, n in rows)])


def _rejects_report(results: list[PartitionResult]) -> dg.AssetCheckResult:
    reasons = reject_reason_counts(results)
    files = [f"{path}: {reason}" for r in results for path, reason in r.rejected_files]
    return dg.AssetCheckResult(
        check_name=NOTHING_REJECTED.name,
        asset_key=USAGE_REJECTS,
        passed=not reasons and not files,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "rejected_rows": sum(reasons.values()),
            "rejected_rows_by_reason": dg.MetadataValue.json(reasons),
            "rejected_rows_by_landing_date": dg.MetadataValue.md(_rejects_by_date(results)),
            "rejected_files": "\n".join(files) or "none",
        },
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(USAGE_EVENTS, deps=[ACCOUNT_KEYS["tenants"]], group_name="ingest",
                     description=f"Accepted usage events, one row per event, by landing date. {FOR_STAGING}"),
        dg.AssetSpec(USAGE_REJECTS, group_name="ingest",
                     description=f"Rejected usage rows with reason, raw values, file and row number. {FOR_STAGING}"),
        dg.AssetSpec(REJECTED_FILES, group_name="ingest",
                     description=f"Landed files that could not be read at all, with the reason. {FOR_STAGING}"),
        dg.AssetSpec(USAGE_PARTITIONS, group_name="ingest",
                     description=f"Per landing date: files and rows read, accepted, rejected. {FOR_STAGING}"),
    ],
    check_specs=[ROWS_RECONCILE, NOTHING_REJECTED, EVERY_ENTRY_READ],
    partitions_def=landing_dates,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
)
def usage_events(context: dg.AssetExecutionContext, settings: PipelineSettings):
    """Validate and load each landing date in the run's range: new dates several per transaction, others alone."""
    metrics = known_metrics()
    landing = Path(settings.landing_dir)
    dates = [date.fromisoformat(key) for key in context.partition_keys]
    results = []
    with settings.warehouse() as con:
        ensure_raw_schema(con)
        for group in batches(landing, dates, ingested_landing_dates(con)):
            for result in ingest_usage_partitions(con, landing, group, metrics, settings.billing_start_date):
                # Every log line is an event in Dagster's storage: a year's replay logs only the dates with rejects.
                if result.rows_rejected or result.rejected_files or len(dates) == 1:
                    context.log.info(
                        f"{result.landing_date}: read {result.rows_read}, accepted {result.rows_accepted}, "
                        f"rejected {result.rows_rejected}, unreadable files {len(result.rejected_files)}"
                    )
                results.append(result)
                # A materialization of a ranged run carries the run's metadata on each of its partitions;
                # the partition's own counts are an observation of that partition.
                context.log_event(dg.AssetObservation(asset_key=USAGE_PARTITIONS, partition=key_of(result),
                                                      metadata=partition_counts(result)))
    summary = {
        "run_landing_dates": len(results),
        "run_rows_read": sum(r.rows_read for r in results),
        "run_rows_accepted": sum(r.rows_accepted for r in results),
        "run_rows_rejected": sum(r.rows_rejected for r in results),
    }
    yield dg.MaterializeResult(asset_key=USAGE_EVENTS, metadata=summary)
    yield dg.MaterializeResult(
        asset_key=USAGE_REJECTS,
        metadata={"run_rejected_rows_by_reason": dg.MetadataValue.json(reject_reason_counts(results))},
    )
    yield dg.MaterializeResult(
        asset_key=REJECTED_FILES,
        metadata={"run_rejected_files": sum(len(r.rejected_files) for r in results)},
    )
    yield dg.MaterializeResult(asset_key=USAGE_PARTITIONS, metadata=summary)
    yield _reconcile(settings, results)
    yield _rejects_report(results)
    yield _unread_entries_report(landing)


ingest_job = dg.define_asset_job(
    "ingest_job",
    # dagster-dbt turns the dbt tag `daily` into this asset tag: the incremental daily grain.
    selection=dg.AssetSelection.assets(account_files, usage_events) | dg.AssetSelection.tag("daily", "") | ALERTS,
    description="Load account files, validate and load the selected landing dates, update the daily grain, "
                "evaluate the alert rules and deliver what fired.",
)


@dg.schedule(job=ingest_job, cron_schedule="30 0 * * *", execution_timezone="UTC",
             description="00:30 UTC every day: ingest the landing date that has just ended, so the daily "
                         "usage tables are current; closes are started by monthly_close_schedule.")
def daily_ingest_schedule(context: dg.ScheduleEvaluationContext):
    scheduled = context.scheduled_execution_time
    key = landing_dates.get_partition_key_for_timestamp(scheduled.timestamp() - 86400)
    return dg.RunRequest(run_key=f"daily-ingest-{key}", partition_key=key, tags=ingest_tags(key, "daily_ingest"))


@dg.sensor(job=ingest_job, minimum_interval_seconds=300,
           description="Every 5 minutes: a landing date never ingested, or whose files were added, replaced or "
                       "deleted since it was, gets an ingest run (the rule the close plan uses), once per set of files.")
def landing_folder_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    landing = Path(settings.landing_dir)
    for landing_date in dates_to_ingest(settings, through=date.max):
        fingerprint = files_fingerprint(landing, landing_date)
        key = landing_date.isoformat()
        yield dg.RunRequest(run_key=f"landed-{key}-{fingerprint}", partition_key=key,
                            tags=ingest_tags(key, "landed_files"))


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[account_files, usage_events],
        jobs=[ingest_job],
        schedules=[daily_ingest_schedule],
        sensors=[landing_folder_sensor],
    )
