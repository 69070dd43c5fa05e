"""Ingest landing dates of usage: every row accepted or rejected with a reason.

The dates' files are read into a batch table of text (ingest/batch_files.py),
the SPEC §3 checks give each row its reject reason or none
(ingest/validation.py), and the rows of the dates are replaced in a single
transaction, so a partition is never half-written and re-running it never
touches another partition.

Several landing dates go through one pass only when none of them has been
ingested before: that gives exactly what ingesting them one at a time in date
order gives (a copy in an earlier date, or earlier in the same date by file
then row, is the accepted one), with one probe of the history and one commit
instead of one per date. A date ingested before is always re-read alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from ingest.batch_files import create_batch_table, load_files
from ingest.landing import files_fingerprint
from ingest.state import write_state
from ingest.schema import ensure_raw_schema
from ingest.validation import DUPLICATES_SQL, EARLY_REASONS_SQL, MARK_DUPLICATES_SQL, REJECT_REASONS


@dataclass
class PartitionResult:
    landing_date: date
    files_read: int = 0
    rejected_files: list[tuple[str, str]] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejects_by_reason.values())


_DELETE_STATEMENTS = tuple(
    f"delete from raw.{table} where list_contains($landing_dates::date[], landing_date)"
    for table in ("usage_events", "usage_rejects", "rejected_files", "usage_partitions")
)
_INSERT_STATEMENTS = (
    """insert into raw.usage_events
    select landing_date, event_id, event_hash, tenant_id, metric, quantity_value, occurred_utc, usage_date,
           source_file, row_number
    from _checked where reason is null""",
    # Rejects are few: their text comes back from the batch rather than through the checked table.
    """insert into raw.usage_rejects
    select c.landing_date, c.source_file, c.row_number, c.reason, c.payload_differs,
           b.event_id, b.tenant_id, b.metric, b.quantity, b.occurred_at, b.raw_record
    from _checked c
    join _batch b using (source_file, row_number)
    where c.reason is not null
    order by c.landing_date, c.source_file, c.row_number""",
)


def ingest_usage_partitions(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    landing_dates: Sequence[date],
    known_metrics: Sequence[str],
    billing_start: date | None,
) -> list[PartitionResult]:
    """Replace the raw rows of these landing dates, in one pass and one transaction.

    More than one date only when none has been ingested before (see the module
    docstring); `ingest.landing.batches` groups dates that way.
    """
    ensure_raw_schema(con)
    dates = sorted(set(landing_dates))
    if len(dates) > 1:
        done = ingested_landing_dates(con) & set(dates)
        if done:
            raise ValueError(f"already ingested, re-ingest alone: {sorted(done)}")
    results = {d: PartitionResult(d) for d in dates}
    # Taken before the files are read: a file that changes while it is read makes the date read again later.
    fingerprints = {d: files_fingerprint(landing_dir, d) for d in dates}
    create_batch_table(con)
    read = load_files(con, landing_dir, dates)
    for landing_date, files in read.files_per_date.items():
        results[landing_date].files_read = files
    for file, reason in read.rejected:
        results[file.landing_date].rejected_files.append((file.source_file, reason))

    con.execute(EARLY_REASONS_SQL, {"billing_start": billing_start, "metrics": list(known_metrics)})
    con.execute(DUPLICATES_SQL, {"landing_dates": dates})
    con.execute(MARK_DUPLICATES_SQL)
    for landing_date, reason, count in con.execute(
        "select landing_date, coalesce(reason, ''), count(*) from _checked group by all"
    ).fetchall():
        if reason:
            results[landing_date].rejects_by_reason[reason] = count
        else:
            results[landing_date].rows_accepted = count
    for landing_date, count in con.execute("select landing_date, count(*) from _batch group by all").fetchall():
        results[landing_date].rows_read = count
    for result in results.values():
        result.rejects_by_reason = dict(sorted(result.rejects_by_reason.items(), key=lambda kv: REJECT_REASONS.index(kv[0])))

    con.execute("begin")
    try:
        for statement in _DELETE_STATEMENTS:
            con.execute(statement, {"landing_dates": dates})
        for statement in _INSERT_STATEMENTS:
            con.execute(statement)
        for result in results.values():
            for path, reason in result.rejected_files:
                con.execute("insert into raw.rejected_files values (?, ?, ?)", [result.landing_date, path, reason])
            con.execute(
                "insert into raw.usage_partitions (landing_date, files_read, files_rejected, rows_read, "
                "rows_accepted, rows_rejected, ingested_at, files_fingerprint) "
                "values (?, ?, ?, ?, ?, ?, current_localtimestamp(), ?)",
                [result.landing_date, result.files_read, len(result.rejected_files), result.rows_read,
                 result.rows_accepted, result.rows_rejected, fingerprints[result.landing_date]],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _batch; drop table if exists _checked; drop table if exists _duplicates; drop table if exists _files")
    database_file = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    if database_file:
        write_state(con, database_file)
    return [results[d] for d in dates]


def ingested_landing_dates(con: duckdb.DuckDBPyConnection) -> set[date]:
    """Landing dates with a partition record: ingested at least once (the raw schema must exist)."""
    return {r[0] for r in con.execute("select landing_date from raw.usage_partitions").fetchall()}


def reject_reason_counts(results: Iterable[PartitionResult]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for r in results:
        total.update(r.rejects_by_reason)
    return {reason: total[reason] for reason in REJECT_REASONS if total[reason]}
