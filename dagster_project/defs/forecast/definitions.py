"""Usage and revenue forecasts after each close, with their backtest against naive baselines (SPEC §5.5)."""

import time
from datetime import date

import dagster as dg
import polars as pl

from dagster_project.defs.forecast.method import (
    BASELINES,
    HORIZON,
    METHOD,
    Forecasts,
    backtest_points,
    forecast_next,
    summarize,
)
from dagster_project.defs.partitions import service_months
from dagster_project.defs.settings import DUCKDB_POOL, PipelineSettings
from dagster_project.defs.warehouse.definitions import ONE_MONTH_PER_RUN

OWNER_USAGE = dg.AssetKey(["marts", "fct_billing_owner_usage_monthly"])
USAGE_FORECAST = dg.AssetKey(["marts", "fct_usage_forecast"])
BACKTEST = dg.AssetKey(["marts", "fct_forecast_backtest"])
BACKTEST_POINTS = dg.AssetKey(["marts", "fct_forecast_backtest_points"])
FORECAST_TABLES = [USAGE_FORECAST, BACKTEST, BACKTEST_POINTS]

SERIES_SQL = """
    select billing_account_type, billing_account_id, metric, currency, service_month, quantity, amount_minor,
           amount_eur_minor
    from marts.fct_billing_owner_usage_monthly
    where service_month <= $close_month
"""

# Estimates, computed in floating point and stored as decimals at the quantities' own scale (no
# binary floating point column anywhere in the warehouse); revenue in whole minor units.
FORECAST_TABLE_SQL = """
    create or replace table marts.fct_usage_forecast as
    select billing_account_type, billing_account_id, metric, forecast_month, months_ahead, method, months_fitted,
           forecast::decimal(38, 6) as quantity_forecast, lower::decimal(38, 6) as quantity_lower,
           upper::decimal(38, 6) as quantity_upper, currency,
           round(forecast * unit_price_minor)::bigint as revenue_forecast_minor,
           round(lower * unit_price_minor)::bigint as revenue_lower_minor,
           round(upper * unit_price_minor)::bigint as revenue_upper_minor
    from forecast_frame
    order by all
"""

POINTS_TABLE_SQL = """
    create or replace table marts.fct_forecast_backtest_points as
    select billing_account_type, billing_account_id, metric, currency, origin, months_ahead, forecast_month,
           actual::decimal(38, 6) as actual, forecast::decimal(38, 6) as forecast, lower::decimal(38, 6) as lower,
           upper::decimal(38, 6) as upper, naive_last_value::decimal(38, 6) as naive_last_value,
           drift::decimal(38, 6) as drift, level::decimal(38, 6) as level, mase_scale::decimal(38, 6) as mase_scale,
           actual_eur_minor::decimal(38, 0) as actual_eur_minor,
           unit_price_eur_minor
    from points_frame
    order by all
"""

SUMMARY_TABLE_SQL = """
    create or replace table marts.fct_forecast_backtest as
    select level, billing_account_type, billing_account_id, metric, currency, method, is_method, series, points,
           quantity_wape::decimal(18, 6) as quantity_wape, revenue_wape::decimal(18, 6) as revenue_wape,
           mase::decimal(18, 6) as mase, interval_coverage::decimal(18, 6) as interval_coverage
    from summary_frame order by all
"""


def compute(series: pl.DataFrame, close_month: date) -> Forecasts:
    started = time.perf_counter()
    points = backtest_points(series, close_month)
    forecast = forecast_next(series, close_month, points)
    return Forecasts(forecast=forecast, points=points, summary=summarize(points),
                     series_fitted=forecast.filter(pl.col("method") == METHOD)["series_id"].n_unique(),
                     fit_seconds=time.perf_counter() - started)


def quarter_by_currency(con) -> list[dict]:  # noqa: ANN001 - a DuckDB connection
    return [dict(zip(("currency", "forecast_minor", "lower_minor", "upper_minor"), row)) for row in con.execute(
        """select upper(currency), sum(revenue_forecast_minor)::bigint, sum(revenue_lower_minor)::bigint,
                  sum(revenue_upper_minor)::bigint
           from marts.fct_usage_forecast group by 1 order by 1""").fetchall()]


def backtest_markdown(summary: pl.DataFrame) -> str:
    """The overall and per-metric backtest, the method beside each baseline."""
    lines = ["| scope | method | points | quantity WAPE | revenue WAPE (EUR) | MASE | 90 % interval coverage |",
             "|---|---|---:|---:|---:|---:|---:|"]

    def cell(value: float | None, percent: bool = True) -> str:
        if value is None:
            return "–"
        return f"{value:.1%}" if percent else f"{value:.3f}"

    for row in summary.filter(pl.col("level").is_in(["overall", "metric"])).sort("level", "metric", "is_method",
                                                                                 descending=[True, False, True]).iter_rows(named=True):
        scope = "all series" if row["level"] == "overall" else row["metric"]
        lines.append(f"| {scope} | {row['method']} | {row['points']} | {cell(row['quantity_wape'])} | "
                     f"{cell(row['revenue_wape'])} | {cell(row['mase'], percent=False)} | "
                     f"{cell(row['interval_coverage'])} |")
    return "\n".join(lines)


@dg.multi_asset(
    specs=[dg.AssetSpec(USAGE_FORECAST, deps=[OWNER_USAGE], group_name="forecast",
                        description=f"Billable quantity and revenue for the {HORIZON} months after the close, per "
                                    "billing account and metric, with a calibrated 90 % interval. Estimates, for finance "
                                    "and partners planning purchases of credit and capacity."),
           dg.AssetSpec(BACKTEST, deps=[OWNER_USAGE], group_name="forecast",
                        description="The method against the naive last-value and drift forecasts at rolling "
                                    "origins: WAPE, MASE and interval coverage per series, metric and overall. For analysts "
                                    "judging how far the forecast can be trusted."),
           dg.AssetSpec(BACKTEST_POINTS, deps=[OWNER_USAGE], group_name="forecast",
                        description="Every held-out month of the backtest: actual, method, baselines, interval. "
                                    "For analysts checking the backtest's figures point by point.")],
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    pool=DUCKDB_POOL,
)
def usage_forecast(context: dg.AssetExecutionContext, settings: PipelineSettings):
    close_month = date.fromisoformat(context.partition_key)
    with settings.warehouse() as con:
        series = pl.from_arrow(con.sql(SERIES_SQL, params={"close_month": close_month}).to_arrow_table())
        result = compute(series, close_month)
        con.register("forecast_frame", result.forecast.to_arrow())
        con.register("points_frame", result.points.to_arrow())
        con.register("summary_frame", result.summary.to_arrow())
        con.execute("begin")
        for sql in (FORECAST_TABLE_SQL, POINTS_TABLE_SQL, SUMMARY_TABLE_SQL):
            con.execute(sql)
        con.execute("commit")
        quarter = quarter_by_currency(con)
    overall = {row["method"]: row for row in result.summary.filter(pl.col("level") == "overall").iter_rows(named=True)}
    series_count = result.forecast["series_id"].n_unique()
    metadata = {
        "close_month": f"{close_month:%Y-%m}",
        "series": series_count,
        "series_fitted": result.series_fitted,
        "fit_seconds": round(result.fit_seconds, 2),
        "series_per_second": round(series_count / result.fit_seconds, 1) if result.fit_seconds else 0,
        "next_quarter_revenue_by_currency": dg.MetadataValue.json(quarter),
        "backtest": dg.MetadataValue.md(backtest_markdown(result.summary)),
    }
    for name in (METHOD, *BASELINES):
        if name in overall and overall[name]["revenue_wape"] is not None:
            metadata[f"backtest_revenue_wape_{name}"] = round(overall[name]["revenue_wape"], 4)
    if METHOD in overall and overall[METHOD]["interval_coverage"] is not None:
        metadata["backtest_interval_coverage"] = round(overall[METHOD]["interval_coverage"], 4)
    yield dg.MaterializeResult(asset_key=USAGE_FORECAST, metadata=metadata)
    yield dg.MaterializeResult(asset_key=BACKTEST, metadata={"rows": result.summary.height})
    yield dg.MaterializeResult(asset_key=BACKTEST_POINTS, metadata={"rows": result.points.height})


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[usage_forecast])
