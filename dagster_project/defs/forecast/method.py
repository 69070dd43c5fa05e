"""Usage forecasts per billing account and metric, and their rolling-origin backtest (SPEC §5.5).

The method is the median of four forecasts of a series' monthly billable
quantity: statsforecast's AutoETS and AutoTheta, fitted per series, and the two
baselines it is judged against, the naive last value and the drift (the line
from the first month to the last). A median of forecasts keeps the level of the
last month when the fitted models lag a jump, and the models' trend when the
baselines disagree. Its 90 % interval is calibrated on the
backtest: the 5th and 95th percentiles, per horizon, of the errors the method
made at earlier origins, each error scaled by the level of the series (its mean
quantity over the last three months before the origin). Coverage is measured
cross-fitted: a point's interval comes from the errors of the other series'
folds, so no point is judged by an interval calibrated on itself.

A series with fewer than MIN_HISTORY months (AutoETS fits nothing on fewer)
or no usage in them is not fitted: it gets the naive last value, with an interval calibrated the same way
on the naive errors, or none when nothing could be calibrated. Forecasts are
estimates, in floating point; revenue is the forecast quantity at the series'
last unit price, computed exactly.
"""

from __future__ import annotations

import math
import statistics
import zlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

HORIZON = 3
ORIGINS = 6
MIN_HISTORY = 7
LEVEL_MONTHS = 3
FOLDS = 5
LOWER_PCT, UPPER_PCT = 0.05, 0.95
METHOD = "median_autoets_autotheta_naive_drift"
FALLBACK = "naive_last_value"
ALL_ZERO = "all_zero"
BASELINES = ("naive_last_value", "drift")

PRICE_SCALE = Decimal("1e-10")

KEY = ["billing_account_type", "billing_account_id", "metric", "currency"]


@dataclass(frozen=True)
class Forecasts:
    """Next HORIZON months per series, the backtest's points, and its summary per series, metric and overall."""

    forecast: pl.DataFrame
    points: pl.DataFrame
    summary: pl.DataFrame
    series_fitted: int
    fit_seconds: float


def add_months(month: date, n: int) -> date:
    m0 = month.year * 12 + month.month - 1 + n
    return date(m0 // 12, m0 % 12 + 1, 1)


def _history(series: pl.DataFrame, origin: date) -> pl.DataFrame:
    """Each series' months up to `origin`, with what the forecasts need of them."""
    return (series.filter(pl.col("service_month") <= origin)
            .sort([*KEY, "service_month"])
            .group_by(KEY, maintain_order=True)
            .agg(pl.col("service_month").alias("months"), pl.col("quantity").alias("y"),
                 pl.col("amount_minor").alias("amounts"), pl.col("amount_eur_minor").alias("amounts_eur")))


def _unit_price(quantities: list[Decimal], amounts: list[Decimal]) -> Decimal:
    """The exact unit price, in minor units, of the last month with usage (0 when there was none)."""
    for q, a in zip(reversed(quantities), reversed(amounts)):
        if q > 0:
            return (Decimal(a) / q).quantize(PRICE_SCALE)
    return Decimal(0)


def _fit(train: list[tuple[str, list[date], list[float]]]) -> dict[str, list[tuple[float, float]]]:
    """AutoETS's and AutoTheta's point forecasts, h = 1..HORIZON, for each series id."""
    if not train:
        return {}
    # Imported here: a close whose series are all too short to fit never pays for the import.
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, Naive

    frame = pl.DataFrame(
        {"unique_id": [uid for uid, months, _ in train for _ in months],
         "ds": [m for _, months, _ in train for m in months],
         "y": [v for _, _, ys in train for v in ys]},
        schema={"unique_id": pl.String, "ds": pl.Date, "y": pl.Float64},
    )
    # A model that fails on a series gives the naive forecast there rather than failing the close.
    sf = StatsForecast(models=[AutoETS(season_length=1), AutoTheta(season_length=1)], freq="1mo", n_jobs=1,
                       fallback_model=Naive())
    out = sf.forecast(df=frame, h=HORIZON).sort(["unique_id", "ds"])
    return {uid: list(zip(grp["AutoETS"].to_list(), grp["AutoTheta"].to_list()))
            for (uid,), grp in out.group_by("unique_id", maintain_order=True)}


def forecast_from(series: pl.DataFrame, origin: date) -> pl.DataFrame:
    """Forecasts of h = 1..HORIZON months after `origin` from the months up to it, one row per series and h."""
    hist = _history(series, origin)
    rows, train = [], []
    for s in hist.iter_rows(named=True):
        uid = "\x1f".join(str(s[k]) for k in KEY)
        # The one place exact usage quantities become binary floating point, as the models' input:
        # what they forecast is an estimate (SPEC §5.5: "floating point is fine there"), stored as
        # estimate columns and read only by the forecast marts and the statement's forecast section;
        # no invoice line, credit or statement amount is computed from it.
        y = [float(v) for v in s["y"]]
        if len(y) >= MIN_HISTORY and any(y):
            train.append((uid, s["months"], y))
        rows.append((uid, s, y))
    fitted = _fit(train)
    out = []
    for uid, s, y in rows:
        n, last = len(y), y[-1]
        slope = (y[-1] - y[0]) / (n - 1) if n > 1 else 0.0
        method = METHOD if uid in fitted else (FALLBACK if any(y) else ALL_ZERO)
        recent = y[-LEVEL_MONTHS:]
        steps = [abs(b - a) for a, b in zip(y, y[1:])]
        for h in range(1, HORIZON + 1):
            naive, drift = last, max(0.0, last + h * slope)
            forecast = statistics.median([*fitted[uid][h - 1], naive, drift]) if uid in fitted else naive
            out.append({
                **{k: s[k] for k in KEY},
                "series_id": uid,
                "origin": origin,
                "months_ahead": h,
                "forecast_month": add_months(origin, h),
                "method": method,
                "months_fitted": n,
                "forecast": max(0.0, forecast),
                "naive_last_value": naive,
                "drift": drift,
                "level": sum(abs(v) for v in recent) / len(recent),
                "mase_scale": sum(steps) / len(steps) if steps else 0.0,
                "unit_price_minor": _unit_price(s["y"], s["amounts"]),
                "unit_price_eur_minor": _unit_price(s["y"], s["amounts_eur"]),
            })
    return pl.DataFrame(out, schema=_FORECAST_SCHEMA)


_FORECAST_SCHEMA = {
    "billing_account_type": pl.String, "billing_account_id": pl.String, "metric": pl.String, "currency": pl.String,
    "series_id": pl.String, "origin": pl.Date, "months_ahead": pl.Int32, "forecast_month": pl.Date,
    "method": pl.String, "months_fitted": pl.Int32, "forecast": pl.Float64, "naive_last_value": pl.Float64,
    "drift": pl.Float64, "level": pl.Float64, "mase_scale": pl.Float64,
    "unit_price_minor": pl.Decimal(38, 10), "unit_price_eur_minor": pl.Decimal(38, 10),
}


def _fold(series_id: str) -> int:
    return zlib.crc32(series_id.encode()) % FOLDS


def _quantiles(errors: pl.DataFrame, column: str) -> pl.DataFrame:
    """Per horizon 1..HORIZON, the LOWER_PCT and UPPER_PCT quantiles of (actual - forecast) / level.

    A horizon the backtest could not reach (a short history) takes those of the
    longest one it reached, widened by the square root of the horizons' ratio,
    as the spread of a random walk grows; none when no horizon was reached.
    """
    scaled = (pl.col("actual") - pl.col(column)) / pl.col("level")
    measured = {row["months_ahead"]: row for row in errors.group_by("months_ahead").agg(
        scaled.quantile(LOWER_PCT, "linear").alias("q_low"),
        scaled.quantile(UPPER_PCT, "linear").alias("q_high")).iter_rows(named=True)}
    rows = []
    for h in range(1, HORIZON + 1):
        reached = [k for k in measured if k <= h]
        if h in measured:
            rows.append(measured[h])
        elif reached:
            k = max(reached)
            widen = math.sqrt(h / k)
            rows.append({"months_ahead": h, "q_low": measured[k]["q_low"] * widen,
                         "q_high": measured[k]["q_high"] * widen})
    return pl.DataFrame(rows, schema={"months_ahead": pl.Int32, "q_low": pl.Float64, "q_high": pl.Float64})


def _with_interval(frame: pl.DataFrame, quantiles: pl.DataFrame, column: str) -> pl.DataFrame:
    return (frame.join(quantiles, on="months_ahead", how="left")
            .with_columns((pl.col(column) + pl.col("q_low") * pl.col("level")).clip(lower_bound=0).alias("lower"),
                          (pl.col(column) + pl.col("q_high") * pl.col("level")).clip(lower_bound=0).alias("upper"))
            .drop("q_low", "q_high"))


def backtest_points(series: pl.DataFrame, close_month: date) -> pl.DataFrame:
    """The method and the baselines at each of the ORIGINS months before the close, on every month held out.

    Only series the method fits at an origin are scored there, so the method
    and the baselines are compared on the same points.
    """
    # Actuals as floating point only to be compared with the estimates; the mart keeps them exact.
    actual = series.select(*KEY, pl.col("service_month").alias("forecast_month"),
                           pl.col("quantity").cast(pl.Float64).alias("actual"),
                           pl.col("amount_eur_minor").cast(pl.Float64).alias("actual_eur_minor"))
    frames = [forecast_from(series, add_months(close_month, -k)) for k in range(ORIGINS, 0, -1)]
    points = (pl.concat(frames).filter(pl.col("method") == METHOD)
              .join(actual, on=[*KEY, "forecast_month"], how="inner"))
    if points.is_empty():
        return points.with_columns(pl.lit(None, pl.Float64).alias("lower"), pl.lit(None, pl.Float64).alias("upper"))
    # Cross-fitted: each fold's intervals come from the other folds' errors.
    points = points.with_columns(pl.col("series_id").map_elements(_fold, return_dtype=pl.Int64).alias("fold"))
    scored = points.filter(pl.col("level") > 0)
    folds = []
    for fold in range(FOLDS):
        mine = points.filter(pl.col("fold") == fold)
        others = scored.filter(pl.col("fold") != fold)
        folds.append(_with_interval(mine, _quantiles(others, "forecast"), "forecast"))
    return pl.concat(folds).drop("fold").sort([*KEY, "origin", "months_ahead"])


def _wape(actual: pl.Expr, forecast: pl.Expr) -> pl.Expr:
    total = actual.abs().sum()
    return pl.when(total > 0).then((actual - forecast).abs().sum() / total).otherwise(None)


def summarize(points: pl.DataFrame) -> pl.DataFrame:
    """WAPE (quantity and EUR revenue) and MASE of the method and each baseline, and the method's coverage.

    Per series, per metric and overall; quantity WAPE only within one metric
    (units differ across metrics), MASE as the mean over series of their
    mean scaled error.
    """
    # "_all" is the one group of the overall level, so every level is grouped the same way.
    points = points.with_columns(pl.lit("(all)").alias("_all"))
    groupings = {"series": KEY, "metric": ["metric"], "overall": ["_all"]}
    rows = []
    for name, column in {METHOD: "forecast", **{b: b for b in BASELINES}}.items():
        f, eur = pl.col(column), pl.col(column) * pl.col("unit_price_eur_minor").cast(pl.Float64)
        per_series = (points.filter(pl.col("mase_scale") > 0).group_by([*KEY, "_all"])
                      .agg(((pl.col("actual") - f).abs() / pl.col("mase_scale")).mean().alias("mase")))
        covered = (pl.col("actual") >= pl.col("lower")) & (pl.col("actual") <= pl.col("upper"))
        for level, by in groupings.items():
            grouped = points.group_by(by).agg(
                pl.len().alias("points"),
                pl.col("series_id").n_unique().alias("series"),
                (_wape(pl.col("actual"), f) if level != "overall" else pl.lit(None, pl.Float64)).alias("quantity_wape"),
                _wape(pl.col("actual_eur_minor"), eur).alias("revenue_wape"),
                (covered.mean() if name == METHOD else pl.lit(None, pl.Float64)).alias("interval_coverage"),
            )
            mase = per_series.group_by(by).agg(pl.col("mase").mean())
            rows.append(grouped.join(mase, on=by, how="left").with_columns(
                pl.lit(level).alias("level"), pl.lit(name).alias("method"), pl.lit(name == METHOD).alias("is_method")))
    frame = pl.concat([r.with_columns(*[pl.lit("(all)").alias(k) for k in KEY if k not in r.columns]) for r in rows],
                      how="diagonal")
    return frame.select("level", *KEY, "method", "is_method", "series", "points", "quantity_wape", "revenue_wape",
                        "mase", "interval_coverage").sort("level", *KEY, "is_method", "method")


def forecast_next(series: pl.DataFrame, close_month: date, points: pl.DataFrame) -> pl.DataFrame:
    """The next HORIZON months after the close, each series' interval calibrated on every backtest point."""
    ahead = forecast_from(series, close_month)
    scored = points.filter(pl.col("level") > 0)
    if scored.is_empty():
        return ahead.with_columns(pl.lit(None, pl.Float64).alias("lower"), pl.lit(None, pl.Float64).alias("upper"))
    fitted = _with_interval(ahead.filter(pl.col("method") == METHOD), _quantiles(scored, "forecast"), "forecast")
    fallback = _with_interval(ahead.filter(pl.col("method") == FALLBACK),
                              _quantiles(scored, "naive_last_value"), "forecast")
    zero = ahead.filter(pl.col("method") == ALL_ZERO).with_columns(pl.lit(0.0).alias("lower"), pl.lit(0.0).alias("upper"))
    return pl.concat([fitted, fallback, zero]).sort([*KEY, "months_ahead"])
