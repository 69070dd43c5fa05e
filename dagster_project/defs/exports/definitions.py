"""What leaves the warehouse after a close: partner statements and the analysts' file."""

from datetime import date
from pathlib import Path

import dagster as dg

from dagster_project.defs.partitions import service_months
from dagster_project.defs.settings import DUCKDB_POOL, PipelineSettings
from dagster_project.defs.warehouse.definitions import ONE_MONTH_PER_RUN
from dagster_project.defs.close.review import StatementReconciliation, statements_markdown
from dagster_project.defs.forecast.definitions import FORECAST_TABLES, USAGE_FORECAST
from exports.analytics import publish_marts
from exports.statements import periods_missing_statements, write_statements

STATEMENT_ROWS = dg.AssetKey(["marts", "fct_statement_rows"])
PARTNER_STATEMENTS = dg.AssetKey(["exports", "partner_statements"])
ANALYTICS_FILE = dg.AssetKey(["exports", "analytics_file"])
REPORTING_MARTS = [dg.AssetKey(["marts", name]) for name in
                   ("fct_invoice_lines", "fct_statement_rows", "fct_revenue_monthly")]


# The partner invoices of the months whose statements were written: their statements sum to them.
PARTNER_INVOICE_TOTALS_SQL = """
    select currency, sum(amount_minor)::bigint
    from marts.fct_invoice_lines
    where billing_account_type = 'partner' and invoice_period in (select unnest(?::date[]))
    group by 1
"""


@dg.multi_asset(
    specs=[dg.AssetSpec(PARTNER_STATEMENTS, deps=[STATEMENT_ROWS, USAGE_FORECAST], group_name="exports",
                        description="$EXPORTS_DIR/YYYY-MM/<billing_account_id>.csv for each partner billing owner with lines, "
                        "and beside it the white-label PDF its finance people read (pdf_seconds: the time "
                        "they took). For each partner's billing system, to re-bill its own customers.")],
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    pool=DUCKDB_POOL,
)
def partner_statements(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    """The month's statements, and those of every earlier closed month whose files are missing.

    Statement rows are emitted rows, the same whichever later close built the
    mart, so one publication writes whatever an earlier one did not finish.
    """
    month = date.fromisoformat(context.partition_key)
    exports_dir = Path(settings.exports_dir)
    with settings.warehouse(read_only=True) as con:
        periods = sorted({month, *periods_missing_statements(con, exports_dir, month)})
        files = write_statements(con, exports_dir, periods, platform_name=settings.platform_name)
        invoiced = dict(con.execute(PARTNER_INVOICE_TOTALS_SQL, [periods]).fetchall())
        exponents = dict(con.execute("select currency, minor_unit_exponent from seeds.currencies").fetchall())
    written: dict[str, int] = {}
    for f in files:
        written[f.currency] = written.get(f.currency, 0) + f.wholesale_total_minor
    reconciliation = [StatementReconciliation(c, exponents[c], written.get(c, 0), invoiced.get(c, 0))
                      for c in sorted(set(written) | set(invoiced))]
    return dg.MaterializeResult(metadata={
        "files": len(files),
        "pdfs": len(files),
        "pdf_seconds": round(sum(f.pdf_seconds for f in files), 2),
        "rows": sum(f.rows for f in files),
        "months": ", ".join(f"{p:%Y-%m}" for p in periods),
        "folders": dg.MetadataValue.json([str(Path(settings.exports_dir) / f"{p:%Y-%m}") for p in periods]),
        "statements_beside_partner_invoices": dg.MetadataValue.md(statements_markdown(reconciliation)),
    })


@dg.multi_asset(
    specs=[dg.AssetSpec(ANALYTICS_FILE, deps=[*REPORTING_MARTS, *FORECAST_TABLES, PARTNER_STATEMENTS], group_name="exports",
                        description="Every mart copied to $ANALYTICS_PATH (new file renamed over the old; "
                                    "fct_usage_daily copies only the months dbt rebuilt). For analysts, "
                                    "whose open sessions never block a run.")],
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    pool=DUCKDB_POOL,
)
def analytics_file(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    published = publish_marts(Path(settings.warehouse_path), Path(settings.analytics_path))
    return dg.MaterializeResult(metadata={"path": settings.analytics_path,
                                          "tables": dg.MetadataValue.json(published["tables"]),
                                          "months_copied": dg.MetadataValue.json(published["months_copied"])})


class ExportStatementConfig(dg.Config):
    billing_account: str
    period: str  # YYYY-MM
    out: str = ""


@dg.op(pool=DUCKDB_POOL)
def export_statement(context: dg.OpExecutionContext, config: ExportStatementConfig, settings: PipelineSettings) -> None:
    period = date.fromisoformat(f"{config.period}-01")
    with settings.warehouse(read_only=True) as con:
        files = write_statements(con, Path(settings.exports_dir), [period], config.billing_account,
                                 Path(config.out) if config.out else None, platform_name=settings.platform_name)
    if not files:
        raise dg.Failure(f"no statement rows for {config.billing_account} in {config.period}")
    context.log.info(f"wrote {files[0].path} ({files[0].rows} rows) and {files[0].path.with_suffix('.pdf')}")


@dg.job(description="Write one partner statement on demand (partner-billing export).")
def export_statement_job():
    export_statement()


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[partner_statements, analytics_file], jobs=[export_statement_job])
