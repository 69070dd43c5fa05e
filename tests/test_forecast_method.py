"""The forecast method and its backtest on hand-made series: fallbacks, intervals, and the error measures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.defs.forecast.method import (
    ALL_ZERO,
    FALLBACK,
    HORIZON,
    METHOD,
    add_months,
    backtest_points,
    forecast_from,
    forecast_next,
    summarize,
)

START = date(2024, 1, 1)


def _series(values: dict[str, list[float]], price: str = "2", start: date = START) -> pl.DataFrame:
    """Monthly series per billing account (metric api_calls, currency eur), `price` minor units a unit,
    exact decimals as the mart has them."""
    exact = pl.Decimal(38, 6)
    return pl.DataFrame([
        {"billing_account_type": "partner", "billing_account_id": account, "metric": "api_calls", "currency": "eur",
         "service_month": add_months(start, i), "quantity": Decimal(str(q)),
         "amount_minor": Decimal(str(q)) * Decimal(price), "amount_eur_minor": Decimal(str(q)) * Decimal(price)}
        for account, ys in values.items() for i, q in enumerate(ys)
    ], schema_overrides={"quantity": exact, "amount_minor": exact, "amount_eur_minor": exact})


def _by_account(frame: pl.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in frame.sort("billing_account_id", "months_ahead").iter_rows(named=True):
        out.setdefault(row["billing_account_id"], []).append(row)
    return out


def test_a_series_shorter_than_seven_months_gets_the_naive_last_value_and_says_so():
    rows = _by_account(forecast_from(_series({"P1": [5, 7, 9, 11, 13, 15]}), add_months(START, 5)))["P1"]
    assert [(r["method"], r["forecast"], r["forecast_month"]) for r in rows] == [
        (FALLBACK, 15.0, date(2024, 7, 1)), (FALLBACK, 15.0, date(2024, 8, 1)), (FALLBACK, 15.0, date(2024, 9, 1))]


def test_a_series_with_no_usage_forecasts_zero_with_a_zero_interval():
    series = _series({"P0": [0.0] * 12, "P1": [100.0 + 10 * i for i in range(12)]})
    close = add_months(START, 11)
    rows = _by_account(forecast_next(series, close, backtest_points(series, close)))["P0"]
    assert [(r["method"], r["forecast"], r["lower"], r["upper"]) for r in rows] == [(ALL_ZERO, 0.0, 0.0, 0.0)] * 3


def test_a_straight_line_is_forecast_along_its_trend():
    rows = _by_account(forecast_from(_series({"P1": [100.0 + 10 * i for i in range(12)]}), add_months(START, 11)))["P1"]
    assert [r["method"] for r in rows] == [METHOD] * HORIZON
    assert [r["forecast"] for r in rows] == pytest.approx([220.0, 230.0, 240.0], rel=0.01)
    assert [r["drift"] for r in rows] == pytest.approx([220.0, 230.0, 240.0])
    assert [r["naive_last_value"] for r in rows] == [210.0] * 3


def test_revenue_uses_the_last_unit_price_of_a_month_with_usage():
    series = _series({"P1": [4.0, 8.0, 0.0]}, price="2.5")
    rows = _by_account(forecast_from(series, add_months(START, 2)))["P1"]
    assert {r["unit_price_minor"] for r in rows} == {Decimal("2.5")}


def test_the_backtest_scores_only_series_the_method_fits_at_each_origin_on_held_out_months():
    # P1 has 12 months, so 7 or more from the origin 5 months before the close; P2, 6 months, never.
    series = pl.concat([_series({"P1": [50.0 + 3 * i for i in range(12)]}),
                        _series({"P2": [20.0] * 6}, start=add_months(START, 6))])
    close = add_months(START, 11)
    points = backtest_points(series, close)
    origins = sorted({(r["billing_account_id"], r["origin"]) for r in points.iter_rows(named=True)})
    assert origins == [("P1", add_months(START, 6 + k)) for k in range(5)]
    # Origins 5..1 months before the close hold out 3, 3, 3, 2 and 1 months.
    assert points.height == 3 + 3 + 3 + 2 + 1
    assert points["forecast_month"].max() == close


def test_the_interval_is_calibrated_on_other_series_errors_and_holds_the_forecast():
    values = {f"P{i}": [100.0 + (i % 5) * 7 * m + (13 * i * m) % 17 for m in range(14)] for i in range(30)}
    series = _series(values)
    close = add_months(START, 13)
    points = backtest_points(series, close)
    assert points.filter(pl.col("lower").is_null()).height == 0
    assert (points["lower"] <= points["upper"]).all()
    ahead = forecast_next(series, close, points)
    assert ((ahead["lower"] <= ahead["forecast"]) & (ahead["forecast"] <= ahead["upper"])).all()
    assert (ahead["lower"] >= 0).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "account": st.sampled_from(["P1", "P2", "P3"]), "metric": st.sampled_from(["api_calls", "storage_gb"]),
    "actual": st.floats(0, 1000), "forecast": st.floats(0, 1000), "naive_last_value": st.floats(0, 1000),
    "drift": st.floats(0, 1000), "mase_scale": st.floats(0.01, 5)}), min_size=1, max_size=30))
def test_wape_mase_and_coverage_equal_their_definitions_on_any_points(draw):
    points = pl.DataFrame([
        {"billing_account_type": "partner", "billing_account_id": p["account"], "metric": p["metric"],
         "currency": "eur", "series_id": f"{p['account']}/{p['metric']}", "origin": START, "months_ahead": 1,
         "forecast_month": START, "actual": p["actual"], "forecast": p["forecast"],
         "naive_last_value": p["naive_last_value"], "drift": p["drift"], "lower": p["forecast"] - 50,
         "upper": p["forecast"] + 50, "level": 1.0, "mase_scale": p["mase_scale"], "unit_price_eur_minor": 3.0,
         "actual_eur_minor": p["actual"] * 3.0}
        for p in draw])
    overall = {r["method"]: r for r in summarize(points).filter(pl.col("level") == "overall").iter_rows(named=True)}
    total = sum(p["actual"] for p in draw)
    for name, column in ((METHOD, "forecast"), ("naive_last_value", "naive_last_value"), ("drift", "drift")):
        wape = sum(abs(p["actual"] - p[column]) for p in draw) / total if total else None
        assert overall[name]["revenue_wape"] == (pytest.approx(wape) if wape is not None else None)
        by_series: dict[str, list[float]] = {}
        for p in draw:
            by_series.setdefault(f"{p['account']}/{p['metric']}", []).append(
                abs(p["actual"] - p[column]) / p["mase_scale"])
        means = [sum(v) / len(v) for v in by_series.values()]
        assert overall[name]["mase"] == pytest.approx(sum(means) / len(means))
        assert overall[name]["points"] == len(draw)
    covered = sum(1 for p in draw if p["forecast"] - 50 <= p["actual"] <= p["forecast"] + 50) / len(draw)
    assert overall[METHOD]["interval_coverage"] == pytest.approx(covered)
    assert overall["drift"]["interval_coverage"] is None


def test_a_horizon_the_backtest_never_reached_takes_the_longest_ones_spread_widened_by_the_square_root():
    # Eight months: the only origin with seven months before it holds out one month.
    values = {f"P{i}": [100.0 + 5 * m + (7 * i * m) % 11 for m in range(8)] for i in range(12)}
    series = _series(values)
    close = add_months(START, 7)
    points = backtest_points(series, close)
    assert set(points["months_ahead"]) == {1}
    ahead = forecast_next(series, close, points).filter(pl.col("billing_account_id") == "P3").sort("months_ahead")
    low = [(r["forecast"] - r["lower"]) / r["level"] for r in ahead.iter_rows(named=True)]
    high = [(r["upper"] - r["forecast"]) / r["level"] for r in ahead.iter_rows(named=True)]
    assert low[1] == pytest.approx(low[0] * 2 ** 0.5) and low[2] == pytest.approx(low[0] * 3 ** 0.5)
    assert high[1] == pytest.approx(high[0] * 2 ** 0.5) and high[2] == pytest.approx(high[0] * 3 ** 0.5)
