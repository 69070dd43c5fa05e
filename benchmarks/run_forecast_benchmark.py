"""The forecast's backtest on samples it was not chosen on, and its speed on thousands of series.

    .venv/bin/python benchmarks/run_forecast_benchmark.py [--root benchmarks/data/forecast] [--series 5000]

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
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.defs.settings import DEFAULTS

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Sample:
    """A `partner-billing sample`, closed month by month from its first month through `through`."""

    name: str
    seed: int
    months: int
    tenants: int
    partners: int
    start: str
    through: str
    events_per_tenant_day: int


# None of these seeds was looked at while the method was chosen (docs/decisions.md, "Forecast method").
SAMPLES = (
    Sample("default", 7, 12, 400, 24, "2025-01", "2025-12", 6),
    Sample("seed-211", 211, 15, 250, 12, "2024-10", "2025-12", 2),
    Sample("seed-307", 307, 20, 500, 30, "2024-05", "2025-12", 2),
    Sample("seed-409", 409, 24, 150, 8, "2024-01", "2025-12", 2),
)

OVERALL_SQL = """
    select method, points, series, revenue_wape, mase, interval_coverage
    from marts.fct_forecast_backtest where level = 'overall' order by method
"""


def replayed(sample: Sample, root: Path) -> Path:
    """The warehouse of `sample` replayed under `root` (written and replayed unless it is there)."""
    warehouse = root / "w.duckdb"
    if warehouse.exists():
        return warehouse
    root.mkdir(parents=True, exist_ok=True)
    landing = root / "landing"
    cli = str(BIN / "partner-billing")
    subprocess.run([cli, "sample", "--landing", str(landing), "--seed", str(sample.seed),
                    "--months", str(sample.months), "--tenants", str(sample.tenants),
                    "--partners", str(sample.partners), "--start", sample.start,
                    "--events-per-tenant-day", str(sample.events_per_tenant_day)],
                   check=True, capture_output=True)
    env = {name: value for name, value in os.environ.items() if name not in DEFAULTS}
    env.update(BILLING_START=sample.start, DAGSTER_HOME=str(root / "dagster_home"))
    (root / "dagster_home").mkdir(exist_ok=True)
    subprocess.run([cli, "run", "--through", sample.through, "--landing", str(landing),
                    "--warehouse", str(warehouse), "--ledger", str(root / "l.duckdb"),
                    "--analytics", str(root / "a.duckdb"), "--exports", str(root / "exports")],
                   env=env, check=True, capture_output=True, cwd=root)
    return warehouse


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
            frames.append(pl.from_arrow(con.execute(SERIES_SQL, {"close_month": date(2025, 12, 1)}).to_arrow_table()))
    base = pl.concat(frames)
    keys = base.select(KEY).unique().sort(KEY).rows()
    rng = random.Random(1)
    copies = []
    for i in range(series_count):
        account_type, account, metric, currency = keys[i % len(keys)]
        factor = rng.uniform(0.2, 5)
        copies.append(base.filter((pl.col("billing_account_type") == account_type)
                                  & (pl.col("billing_account_id") == account) & (pl.col("metric") == metric)
                                  & (pl.col("currency") == currency))
                      .with_columns(pl.lit(f"{account}-{i}").alias("billing_account_id"),
                                    *[(pl.col(c) * factor) for c in ("quantity", "amount_minor", "amount_eur_minor")]))
    series = pl.concat(copies)
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
        results["samples"].append({**asdict(sample), "replay_seconds": round(time.perf_counter() - started, 1),
                                   "overall": overall})
        print(sample.name, json.dumps(overall, default=str))
    results["speed"] = speed(warehouses, args.series)
    print("speed", results["speed"])
    out = REPO / "benchmarks" / f"forecast-results-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
