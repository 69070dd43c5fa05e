"""The forecast's backtest on samples it was not chosen on, and its speed on thousands of series.

    .venv/bin/python -m benchmarks.run_forecast_benchmark [--root benchmarks/data/forecast] [--series 5000]

Writes each sample of SAMPLES (the default sample and three other seeds, sizes and lengths) and replays it
with `partner-billing run`, unless its folder already holds a replayed warehouse, then reads the overall
backtest (the method beside the naive last-value and drift forecasts) and the method's 90 % interval
coverage. The speed is measured on `--series` series made of the samples' own series, each scaled by a
random factor, fitted and backtested as a close does it. Results go to
benchmarks/forecast-results-<timestamp>.json. tests/test_forecast_accuracy.py asserts the same figures
(`make test-forecast`).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from benchmarks.samples import DEFAULT_SAMPLE, Sample, replayed

REPO = Path(__file__).resolve().parents[1]

# None of these seeds was looked at while the method was chosen (docs/decisions.md, "Forecast method").
SAMPLES = (
    DEFAULT_SAMPLE,
    Sample("seed-211", 211, 15, 250, 12, "2024-10", 2),
    Sample("seed-307", 307, 20, 500, 30, "2024-05", 2),
    Sample("seed-409", 409, 24, 150, 8, "2024-01", 2),
)

OVERALL_SQL = """
    select method, points, series, revenue_wape, mase, interval_coverage
    from marts.fct_forecast_backtest where level = 'overall' order by method
"""


def overall_backtest(warehouse: Path) -> dict[str, dict]:
    """The overall backtest row of each method, by method."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(OVERALL_SQL)
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def speed(warehouses: list[Path], series_count: int) -> dict:
    """Series per second of a close's forecast (backtest included) on `series_count` series."""
    from dagster_project.defs.forecast.definitions import SERIES_SQL, compute
    from dagster_project.defs.forecast.method import KEY

    frames = []
    for w in warehouses:
        with duckdb.connect(str(w), read_only=True) as con:
            frames.append(pl.from_arrow(con.sql(SERIES_SQL, params={"close_month": date(2025, 12, 1)}).to_arrow_table()))
    base = pl.concat(frames)
    keys = base.select(KEY).unique().sort(KEY).with_row_index("key_index")
    rng = random.Random(1)
    copies = pl.DataFrame({"copy": range(series_count), "key_index": [i % keys.height for i in range(series_count)],
                           "factor": [rng.uniform(0.2, 5) for _ in range(series_count)]},
                          schema_overrides={"key_index": pl.UInt32})
    exact = pl.Decimal(38, 6)
    series = (base.join(keys, on=KEY).join(copies, on="key_index")
              .with_columns((pl.col("billing_account_id") + "-" + pl.col("copy").cast(pl.String)),
                            *[(pl.col(c) * pl.col("factor")).cast(exact)
                              for c in ("quantity", "amount_minor", "amount_eur_minor")])
              .drop("key_index", "copy", "factor"))
    started = time.perf_counter()
    result = compute(series, date(2025, 12, 1))
    seconds = time.perf_counter() - started
    return {"series": series_count, "series_fitted": result.series_fitted, "seconds": round(seconds, 2),
            "series_per_second": round(series_count / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(REPO / "benchmarks" / "data" / "forecast"))
    parser.add_argument("--series", type=int, default=5000)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    results = {"samples": [], "speed": None}
    warehouses = []
    for sample in SAMPLES:
        started = time.perf_counter()
        warehouse = replayed(sample, root / sample.name)
        warehouses.append(warehouse)
        overall = overall_backtest(warehouse)
        results["samples"].append({**asdict(sample), "through": sample.through, "replay_seconds": round(time.perf_counter() - started, 1),
                                   "overall": overall})
        print(sample.name, json.dumps(overall, default=str))
    results["speed"] = speed(warehouses, args.series)
    print("speed", results["speed"])
    out = REPO / "benchmarks" / f"forecast-results-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
