"""Benchmark the whole pipeline at two sizes that differ only in events per tenant-day.

    .venv/bin/python benchmarks/run_benchmark.py [--tenants 20000] [--sizes 2,20] [--root benchmarks/data]

For each size: write the sample (Parquet for large days), replay every close
with `partner-billing run` (stage times from the Dagster instance, peak RSS of
the whole process tree), measure DuckDB's floors on the same files (bare load
into memory and into a database file, one GROUP BY), then add the same extra
landing day and time a daily run and a monthly close on top of the full history.
Results go to benchmarks/results-<timestamp>.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil
from profile_close import dagster_runs  # a sibling: this file runs as a script, its folder on sys.path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START, MONTHS, THROUGH = "2025-01", 12, "2025-12"
# The first landing date after the sample's (whose late usage lands up to 2026-01-03).
EXTRA_DAY = "2026-01-04"
EXTRA_DAY_SOURCE, EXTRA_DAY_SHIFT_DAYS = "2025-12-15", 20
# The replay: one ingest, each month closed up to its emission, one publication.
RUN_JOBS = ("ingest_job", "close_emit_job", "close_publish_job", "close_job")


class PeakRss:
    """Samples the summed RSS of a process and all its children."""

    def __init__(self, pid: int):
        self.root, self.peak, self.running = psutil.Process(pid), 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def run_measured(cmd: list[str], env: dict[str, str], log: Path) -> dict:
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        rss = PeakRss(proc.pid)
        code = proc.wait()
    peak = rss.stop()
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}); see {log}")
    return {"seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak / 2**20)}


def stage_seconds(dagster_home: Path, since: float) -> dict:
    """Sum step durations per stage over the runs started after `since`, plus run wall times in the
    order the runs were made."""
    stages: dict[str, float] = defaultdict(float)
    runs = {name: [] for name in RUN_JOBS}
    for run in dagster_runs(dagster_home):
        if run["created"] < since or run["job"] not in runs:
            continue
        for step, seconds in run["steps"].items():
            stages[step] += seconds
        runs[run["job"]].append({"run_seconds": run["run_seconds"],
                                 "steps_seconds": round(sum(run["steps"].values()), 2)})
    return {"stages": {k: round(v, 2) for k, v in sorted(stages.items())}, "runs": runs}


def dbt_startup_seconds(env: dict[str, str], target: Path) -> float:
    """One dbt process that selects nothing, with the target folder (and partial parse) the runs use."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "dbt"), "ls", "--select", "tag:none_such", "--profiles-dir", ".", "--quiet",
                    "--target-path", str(target)], cwd=REPO / "dbt", env=env, check=False, capture_output=True)
    return round(time.perf_counter() - started, 2)


def fixed_overhead_per_close(runs: dict[str, list[dict]], dbt_startup: float) -> dict:
    """Wall time not spent in steps (Dagster) plus dbt starts: per month of the replay (one emit run,
    one dbt start) and per close as the schedule runs it (emit and publish parts, two dbt starts)."""
    def orchestration(job: str) -> float:
        return sum(r["run_seconds"] - r["steps_seconds"] for r in runs[job]) / len(runs[job])

    replay_month = orchestration("close_emit_job") + dbt_startup
    return {"replay_month": round(replay_month, 2),
            "scheduled_close": round(replay_month + orchestration("close_publish_job") + dbt_startup, 2)}


def _floor_connection(database: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database, config={"threads": 2, "memory_limit": "6GB"})
    con.execute("set enable_progress_bar = false")
    return con


def floors(landing: Path, scratch: Path) -> dict:
    """DuckDB alone on the usage Parquet files: a load into an in-memory table, the same load
    into a table of a database file (what ingest must do: its rows are written and compressed
    on disk), and one GROUP BY tenant, month and metric."""
    pattern = str(landing / "usage" / "*" / "*.parquet")
    load = {}
    for where, database in (("memory", ":memory:"), ("file", str(scratch / "bare-load.duckdb"))):
        Path(database).unlink(missing_ok=True)
        with _floor_connection(database) as con:
            started = time.perf_counter()
            con.execute(f"create table t as select * from read_parquet('{pattern}', union_by_name = true)")
            load[where] = time.perf_counter() - started
            rows = con.execute("select count(*) from t").fetchone()[0]
        Path(database).unlink(missing_ok=True)
    con = _floor_connection(":memory:")
    started = time.perf_counter()
    con.execute(f"""select tenant_id, date_trunc('month', occurred_at) m, metric, sum(quantity), max(quantity)
                    from read_parquet('{pattern}', union_by_name = true) group by all""").fetchall()
    group = time.perf_counter() - started
    return {"parquet_rows": rows, "bare_load_seconds": round(load["memory"], 2),
            "bare_load_to_file_seconds": round(load["file"], 2), "group_by_seconds": round(group, 2)}


def add_extra_day(landing: Path, source_landing: Path) -> None:
    """The same extra landing day for every size, after every landing date of the sample.

    It is a copy of the smallest size's 2025-12-15 events moved 20 days on with
    new event ids: a whole day of usage at the smallest density, the same file
    in each landing zone, so the sizes differ only in their history.
    """
    target = landing / "usage" / EXTRA_DAY
    source = source_landing / "usage" / EXTRA_DAY_SOURCE / f"events-{EXTRA_DAY_SOURCE}.parquet"
    target.mkdir(parents=True)
    duckdb.execute(f"""copy (select 'x-' || event_id as event_id, tenant_id, metric, quantity,
                                    occurred_at + interval {EXTRA_DAY_SHIFT_DAYS} day as occurred_at
                             from read_parquet('{source}'))
                       to '{target / f"events-{EXTRA_DAY}.parquet"}' (format parquet)""")


def bench_size(root: Path, tenants: int, per_day: int, smallest: int) -> dict:
    size_dir = root / f"t{tenants}-e{per_day}"
    landing, data, home = size_dir / "landing", size_dir / "data", size_dir / "dagster_home"
    result: dict = {"tenants": tenants, "events_per_tenant_day": per_day}
    if not (landing / "accounts" / "partners.csv").exists():
        started = time.perf_counter()
        out = subprocess.run([str(BIN / "partner-billing"), "sample", "--landing", str(landing), "--tenants", str(tenants),
                              "--months", str(MONTHS), "--start", START, "--events-per-tenant-day", str(per_day)],
                             check=True, capture_output=True, text=True).stdout
        result["sample_seconds"] = round(time.perf_counter() - started, 2)
        result["sample_output"] = out.strip()
    # A landing zone kept from an earlier run has the extra day, which must land after the replay.
    shutil.rmtree(landing / "usage" / EXTRA_DAY, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "BILLING_START": START, "LANDING_DIR": str(landing),
           "WAREHOUSE_PATH": str(data / "warehouse.duckdb"), "LEDGER_PATH": str(data / "ledger.duckdb"),
           "ANALYTICS_PATH": str(data / "analytics.duckdb"), "EXPORTS_DIR": str(data / "exports")}

    since = time.time()
    replay = run_measured([str(BIN / "partner-billing"), "run", "--through", THROUGH], env, size_dir / "replay.log")
    replay.update(stage_seconds(home, since))
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        replay["events_accepted"] = con.execute("select sum(rows_accepted) from raw.usage_partitions").fetchone()[0]
        replay["events_read"] = con.execute("select sum(rows_read) from raw.usage_partitions").fetchone()[0]
    replay["events_per_second"] = round(replay["events_read"] / replay["seconds"])
    result["replay"] = replay
    result["dbt_startup_seconds"] = dbt_startup_seconds(env, data / "dbt_target")
    result["fixed_overhead_per_close_seconds"] = fixed_overhead_per_close(replay["runs"], result["dbt_startup_seconds"])
    result["floors"] = floors(landing, size_dir)
    ingest = replay["stages"].get("usage_events", 0)
    result["ingest_over_bare_load"] = round(ingest / result["floors"]["bare_load_seconds"], 2)
    result["ingest_over_bare_load_to_file"] = round(ingest / result["floors"]["bare_load_to_file_seconds"], 2)

    add_extra_day(landing, root / f"t{tenants}-e{smallest}" / "landing")
    code = (f"from dagster_project.definitions import defs;"
            f"r = defs.resolve_job_def('ingest_job').execute_in_process(partition_key='{EXTRA_DAY}', "
            f"instance=__import__('dagster').DagsterInstance.get()); assert r.success")
    result["extra_day_daily_run"] = run_measured([sys.executable, "-c", code], env, size_dir / "daily.log")
    result["extra_day_close"] = run_measured([str(BIN / "partner-billing"), "run", "--through", EXTRA_DAY[:7]], env,
                                             size_dir / "close.log")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=20000)
    parser.add_argument("--sizes", default="2,20", help="events per tenant-day, comma-separated")
    parser.add_argument("--root", type=Path, default=REPO / "benchmarks" / "data")
    args = parser.parse_args()
    results = {"machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30),
                           "python": sys.version.split()[0], "duckdb": duckdb.__version__},
               "started": datetime.now(UTC).isoformat(timespec="seconds"), "sizes": []}
    sizes = sorted(int(s) for s in args.sizes.split(","))
    for per_day in sizes:
        results["sizes"].append(bench_size(args.root, args.tenants, per_day, smallest=sizes[0]))
        print(json.dumps(results["sizes"][-1], indent=2), flush=True)
    out = REPO / "benchmarks" / f"results-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
