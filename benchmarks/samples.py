"""Generated samples replayed end to end with `partner-billing run`, shared by the benchmark scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster_project.defs.forecast.method import add_months
from dagster_project.defs.settings import DEFAULTS
from ingest.sample import SampleSpec

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Sample:
    """A `partner-billing sample`, closed month by month from its first month through its last."""

    name: str
    seed: int
    months: int
    tenants: int
    partners: int
    start: str
    events_per_tenant_day: int

    @property
    def through(self) -> str:
        year, month = map(int, self.start.split("-"))
        return f"{add_months(date(year, month, 1), self.months - 1):%Y-%m}"


_SPEC = SampleSpec()
DEFAULT_SAMPLE = Sample("default", _SPEC.seed, _SPEC.months, _SPEC.tenants, _SPEC.partners, _SPEC.start,
                        _SPEC.events_per_tenant_day)


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
