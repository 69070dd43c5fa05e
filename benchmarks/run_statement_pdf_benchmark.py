"""Time the partner PDFs of each month of the default sample.

    .venv/bin/python -m benchmarks.run_statement_pdf_benchmark [--root benchmarks/data/pdf]

Writes the default sample (2025-01 … 2025-12) and replays it with `partner-billing run` unless the root
already holds a replayed warehouse, then writes every month's statements (CSV and PDF) again into a scratch
folder, timing each month and what the PDFs took; then the whole year in one call, as a publication
writes it, once rendered in this process and once in a process per core. Results go to
benchmarks/pdf-results-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from benchmarks.samples import DEFAULT_SAMPLE, replayed
from exports import statements
from exports.statements import write_statements

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(REPO / "benchmarks" / "data" / "pdf"))
    root = Path(parser.parse_args().root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    warehouse = replayed(DEFAULT_SAMPLE, root)
    months = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for month in range(1, 13):
            period = date(2025, month, 1)
            started = time.perf_counter()
            files = write_statements(con, root / "scratch", [period])
            months.append({"period": f"{period:%Y-%m}", "statements": len(files),
                           "seconds": round(time.perf_counter() - started, 2),
                           "pdf_seconds": round(sum(f.pdf_seconds for f in files), 2)})
            print(f"{period:%Y-%m}: {len(files)} statements in {months[-1]['seconds']} s "
                  f"(PDFs {months[-1]['pdf_seconds']} s)")
        year = [date(2025, month, 1) for month in range(1, 13)]
        one_call = {}
        for where, parallel_from in (("one_process", 10**9), ("process_per_core", statements.PARALLEL_FROM)):
            default, statements.PARALLEL_FROM = statements.PARALLEL_FROM, parallel_from
            started = time.perf_counter()
            files = write_statements(con, root / "scratch" / where, year)
            statements.PARALLEL_FROM = default
            one_call[where] = {"statements": len(files), "seconds": round(time.perf_counter() - started, 2)}
            print(f"the year in one call, {where}: {one_call[where]}")
    result = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "months": months,
              "year_in_one_call": one_call,
              "slowest_month_seconds": max(m["seconds"] for m in months),
              "year_pdf_seconds": round(sum(m["pdf_seconds"] for m in months), 2)}
    out = REPO / "benchmarks" / f"pdf-results-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"slowest month {result['slowest_month_seconds']} s; a year's PDFs {result['year_pdf_seconds']} s -> {out}")


if __name__ == "__main__":
    main()
