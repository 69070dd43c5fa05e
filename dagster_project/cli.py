"""`partner-billing`: write a sample landing zone, replay the schedule, or show prepaid credit.

Flags become the environment variables of SPEC §7 before the Dagster
definitions load, so the CLI and `dagster dev` read configuration the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from exports.credits import credit_report
from ingest.sample import SampleSpec, write_sample

RUN_FLAGS = {
    "landing": "LANDING_DIR",
    "warehouse": "WAREHOUSE_PATH",
    "ledger": "LEDGER_PATH",
    "analytics": "ANALYTICS_PATH",
    "exports": "EXPORTS_DIR",
    "stripe": "STRIPE_MODE",
}

# Dagster records a planned materialization per asset and per partition of a
# ranged run unless this is set; with it, one event per asset names the range,
# so a year's ingest run does not start with thousands of events. A failed
# ranged run then does not mark each of its partitions failed in the UI; the
# CLI reads each run's own result instead.
PLANNED_EVENTS_AS_RANGES = ("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="partner-billing")
    commands = parser.add_subparsers(dest="command", required=True)

    sample = commands.add_parser("sample", help="write a realistic sample landing zone")
    sample.add_argument("--landing", required=True, type=Path)
    defaults = SampleSpec()
    sample.add_argument("--seed", type=int, default=defaults.seed)
    sample.add_argument("--partners", type=int, default=defaults.partners)
    sample.add_argument("--tenants", type=int, default=defaults.tenants)
    sample.add_argument("--months", type=int, default=defaults.months)
    sample.add_argument("--start", default=defaults.start)
    sample.add_argument("--events-per-tenant-day", type=int, default=defaults.events_per_tenant_day)

    run = commands.add_parser("run", help="close every month through --through, then send")
    run.add_argument("--through", required=True, help="last month to close, YYYY-MM")
    for flag in RUN_FLAGS:
        run.add_argument(f"--{flag}")

    credits = commands.add_parser("credits", help="print prepaid credit balances and blocks as of the last close")
    credits.add_argument("--billing-account", help="only this account, with its spent blocks too")
    credits.add_argument("--analytics")

    export = commands.add_parser("export", help="write one partner statement of a closed month")
    export.add_argument("--billing-account", required=True)
    export.add_argument("--period", required=True, help="YYYY-MM")
    export.add_argument("--out", help="file to write instead of $EXPORTS_DIR/YYYY-MM/<id>.csv (its PDF beside it)")
    for flag in ("warehouse", "exports"):
        export.add_argument(f"--{flag}")
    return parser


def run_log_path(settings, started: datetime, pid: int) -> Path:
    """The second and the process id: two runs started together write two logs."""
    return Path(settings.warehouse_path).parent / "logs" / f"run-{started:%Y%m%dT%H%M%S}-{pid}.log"


class _Processed(NamedTuple):
    """Rows the closes decided once, each accepted or rejected with a reason, as the ledger keeps them."""
    table: str
    id_column: str
    noun: str
    accepted: str
    order: str


_PROCESSED = (
    _Processed("credit_notes", "credit_note_id", "credit note", "accepted", "issued_on, credit_note_id"),
    _Processed("credit_transfers", "transfer_id", "credit transfer", "applied", "transferred_on, transfer_id"),
)


def _processed_summary(ledger_path: Path) -> list[str]:
    """Credit notes and credit transfers processed so far, and each rejected one with its reason."""
    import duckdb

    if not ledger_path.exists():
        return []
    lines = []
    with duckdb.connect(str(ledger_path), read_only=True) as con:
        present = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        for kind in _PROCESSED:
            if kind.table not in present:
                continue
            processed = con.execute(
                f"select {kind.id_column}, outcome, reject_reason, strftime(close_month, '%Y-%m') "
                f"from main.{kind.table} order by close_month, {kind.order}").fetchall()
            if not processed:
                continue
            accepted = sum(1 for _, outcome, _, _ in processed if outcome == kind.accepted)
            lines.append(f"{kind.noun}s: {len(processed)} processed, {accepted} {kind.accepted}, "
                         f"{len(processed) - accepted} rejected")
            lines += [f"  rejected {kind.noun} {row_id}: {reason} (close {month})"
                      for row_id, outcome, reason, month in processed if outcome != kind.accepted]
    return lines


def _alerts_summary(ledger_path: Path) -> list[str]:
    """Every alert fired so far, with its delivery: the latest outcome in any mode, else not sent."""
    import duckdb

    if not ledger_path.exists():
        return []
    with duckdb.connect(str(ledger_path), read_only=True) as con:
        present = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        if "alert_events" not in present:
            return []
        cursor = con.execute("""
            select e.event_id, e.month, e.landing_date, e.measure, e.metric, e.value, e.threshold, e.webhook_url,
                   arg_max(d.state, d.recorded_at) as state, arg_max(d.mode, d.recorded_at) as mode,
                   arg_max(d.reason, d.recorded_at) as reason
            from main.alert_events e left join main.alert_deliveries d using (event_id)
            group by all order by e.month, e.landing_date, e.event_id""")
        names = [c[0] for c in cursor.description]
        events = [dict(zip(names, row)) for row in cursor.fetchall()]
    if not events:
        return []
    delivered = sum(1 for e in events if e["state"] == "delivered")
    failed = sum(1 for e in events if e["state"] == "failed")
    lines = [f"alerts: {len(events)} fired, {delivered} delivered, {failed} failed"]
    for e in events:
        comparison = "<=" if e["measure"] == "credit_balance" else ">="
        measure = f"{e['measure']} {e['metric']}" if e["metric"] else e["measure"]
        if not e["webhook_url"]:
            outcome = "no webhook_url"
        elif e["state"] is None:
            outcome = "not sent yet"
        else:
            outcome = f"{e['state']} ({e['mode']}{': ' + e['reason'] if e['reason'] else ''})"
        lines.append(f"  alert {e['event_id']} fired on {e['landing_date']}: {measure} {e['value'].normalize():f} "
                     f"{comparison} {e['threshold'].normalize():f}; {outcome}")
    return lines


def _summary(settings) -> str:
    from dagster_project.defs.ingest.readiness import ingested_dates
    from dagster_project.defs.partitions import FIRST_LANDING_DATE
    from ingest.landing import unread_usage_entries

    lines = [f"landing zone: {settings.landing_dir}", f"warehouse:    {settings.warehouse_path}",
             f"ledger:       {settings.ledger_path}", f"analytics:    {settings.analytics_path}",
             f"exports:      {settings.exports_dir}"]
    if ingested_dates(settings):
        with settings.warehouse(read_only=True) as con:
            parts, read, acc, rej = con.execute(
                "select count(*), sum(rows_read), sum(rows_accepted), sum(rows_rejected) from raw.usage_partitions"
            ).fetchone()
            reasons = con.execute(
                "select reason, count(*) from raw.usage_rejects group by 1 order by 2 desc, 1"
            ).fetchall()
            files = con.execute("select source_file, reason from raw.rejected_files order by 1").fetchall()
        lines.append(f"partitions:   {parts} landing dates, {read} rows read, {acc} accepted, {rej} rejected")
        lines += [f"  rejected {reason}: {n}" for reason, n in reasons]
        lines += [f"  unreadable file {path}: {reason}" for path, reason in files]
    lines += _processed_summary(Path(settings.ledger_path))
    lines += _alerts_summary(Path(settings.ledger_path))
    unread = unread_usage_entries(Path(settings.landing_dir), FIRST_LANDING_DATE)
    lines += [f"  not read: {e.path} ({e.files} file(s)): {e.reason}" for e in unread]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sample":
        spec = SampleSpec(args.seed, args.partners, args.tenants, args.months, args.start, args.events_per_tenant_day)
        counts = write_sample(args.landing, spec)
        print(f"wrote {counts['events']} usage events for {counts['tenants']} tenants "
              f"and {counts['partners']} partners under {args.landing}")
        return 0

    if args.command == "credits":
        from dagster_project.defs.settings import PipelineSettings

        analytics = args.analytics or PipelineSettings.from_env().analytics_path
        print(credit_report(Path(analytics), args.billing_account))
        return 0

    for flag, variable in RUN_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            os.environ[variable] = str(value)
    os.environ.setdefault(*PLANNED_EVENTS_AS_RANGES)
    from dagster_project.dbt_project import ensure_manifest

    # A user of the console script has no make: parse dbt here when needed,
    # before the definitions read the manifest.
    ensure_manifest()
    from dagster_project.definitions import build_definitions
    from dagster_project.defs.settings import PipelineSettings
    from dagster_project.duckdb_files import DuckDBFileLocked
    from dagster_project.defs.run_tags import close_tags
    from dagster_project.replay import BlockingCheckFailed, instance, parse_month, replay

    if args.command == "export":
        out = str(Path(args.out).resolve()) if args.out else ""
        config = {"ops": {"export_statement": {"config": {
            "billing_account": args.billing_account, "period": args.period, "out": out}}}}
        result = build_definitions().resolve_job_def("export_statement_job").execute_in_process(
            run_config=config, instance=instance(), raise_on_error=False,
            tags=close_tags(parse_month(args.period), "export"))
        if not result.success:
            failure = next((e.step_failure_data.error.message for e in result.all_events if e.is_step_failure), "")
            print(f"partner-billing export failed: {failure.strip()}", file=sys.stderr)
            return 1
        print(out or Path(PipelineSettings.from_env().exports_dir) / args.period / f"{args.billing_account}.csv")
        return 0

    defs = build_definitions()
    settings = PipelineSettings.from_env()
    log_path = run_log_path(settings, datetime.now(UTC), os.getpid())
    log_path.parent.mkdir(parents=True, exist_ok=True)
    progress = sys.stdout
    print(f"full log: {log_path}")
    try:
        # dbt's own log goes to stdout through dagster-dbt; keep it in the log file.
        with log_path.open("w") as log, contextlib.redirect_stdout(log):
            report = replay(defs, args.through, on_progress=lambda line: print(line, file=progress, flush=True))
    except DuckDBFileLocked as exc:
        print(f"partner-billing run failed: {exc}", file=sys.stderr)
        return 1
    except BlockingCheckFailed as exc:
        print(f"partner-billing run failed: {exc}", file=sys.stderr)
        print(_summary(settings))
        return 1
    print(f"closed months: {', '.join(report.closed_months) or 'none (all already closed)'}")
    if report.refreshed_month:
        print(f"rebuilt the marts as of the {report.refreshed_month} close; nothing emitted")
    print(_summary(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
