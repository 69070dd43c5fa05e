"""Where a replay's time goes: each run's steps from the Dagster instance, each dbt build's nodes from dbt's log.

    .venv/bin/python -m benchmarks.profile_close --root <folder a replay wrote> [--top 12]

`--root` is a folder `partner-billing run` wrote with DAGSTER_HOME=<root>/dagster_home and its
warehouse at <root>/w.duckdb (as benchmarks.samples.replayed and the benchmark scripts do). For each
dbt build it gives its wall time, the time its nodes took by kind (models, tests, seeds) and the rest
(dbt's own start, parse, selection and adapter work between nodes); for the last close, its slowest
nodes. Results go to <root>/profile.json and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from datetime import datetime
from pathlib import Path

NODE_RESULTS = {"LogModelResult": "models", "LogTestResult": "tests", "LogSeedResult": "seeds"}
# Only a close's build builds the proposed invoice lines.
CLOSE_NODE = "model.partner_billing.fct_proposed_invoice_lines"


def dbt_builds(target: Path) -> list[dict]:
    """Every dbt invocation in the target folder's JSON debug logs, oldest first."""
    builds: dict[str, dict] = {}
    for log in sorted(target.glob("dbt.log*"), key=lambda p: p.stat().st_mtime):
        for line in log.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            info = event["info"]
            stamp = datetime.fromisoformat(info["ts"].rstrip("Z")).timestamp()
            build = builds.setdefault(info["invocation_id"], {"first": stamp, "last": stamp, "nodes": {}})
            build["first"], build["last"] = min(build["first"], stamp), max(build["last"], stamp)
            if info["name"] in NODE_RESULTS:
                node = event["data"]["node_info"]
                build["nodes"][node["unique_id"]] = (NODE_RESULTS[info["name"]], float(event["data"]["execution_time"]))
    return sorted(builds.values(), key=lambda b: b["first"])


def summarize(build: dict) -> dict:
    by_kind: dict[str, float] = defaultdict(float)
    for kind, seconds in build["nodes"].values():
        by_kind[kind] += seconds
    wall = build["last"] - build["first"]
    return {"wall_seconds": round(wall, 2), "nodes": len(build["nodes"]),
            **{f"{kind}_seconds": round(seconds, 2) for kind, seconds in sorted(by_kind.items())},
            "outside_nodes_seconds": round(wall - sum(by_kind.values()), 2)}


def dagster_runs(dagster_home: Path) -> list[dict]:
    """Every run of the instance, oldest first: its job, partition, creation time, wall time and step times."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    import dagster as dg

    instance = dg.DagsterInstance.get()
    runs = []
    for record in sorted(instance.get_run_records(), key=lambda r: r.create_timestamp):
        run = record.dagster_run
        stats = instance.get_run_stats(run.run_id)
        steps = {s.step_key: round((s.end_time or 0) - (s.start_time or 0), 2)
                 for s in instance.get_run_step_stats(run.run_id) if s.end_time and s.start_time}
        wall = (stats.end_time or 0) - (stats.start_time or 0)
        runs.append({"job": run.job_name, "partition": run.tags.get("dagster/partition"),
                     "created": record.create_timestamp.timestamp(), "run_seconds": round(wall, 2), "outside_steps_seconds": round(wall - sum(steps.values()), 2),
                     "steps": steps})
    return runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    root = args.root.resolve()
    builds = dbt_builds(root / "dbt_target")
    runs = dagster_runs(root / "dagster_home")
    closes = [b for b in builds if CLOSE_NODE in b["nodes"]]
    slowest = sorted(closes[-1]["nodes"].items(), key=lambda item: -item[1][1])[: args.top] if closes else []
    profile = {"runs": runs, "dbt_builds": [summarize(b) for b in builds],
               "last_close_slowest_nodes": [{"node": node, "kind": kind, "seconds": round(seconds, 2)}
                                            for node, (kind, seconds) in slowest]}
    (root / "profile.json").write_text(json.dumps(profile, indent=2) + "\n")
    for run in runs:
        steps = ", ".join(f"{key} {seconds}" for key, seconds in run["steps"].items())
        print(f"{run['job']:<18} {run['partition'] or '':<11} {run['run_seconds']:>7} s "
              f"(outside steps {run['outside_steps_seconds']} s): {steps}")
    for build in profile["dbt_builds"]:
        print("dbt build", json.dumps(build))
    for node in profile["last_close_slowest_nodes"]:
        print(f"  {node['seconds']:>6} s  {node['kind']:<6} {node['node']}")


if __name__ == "__main__":
    main()
