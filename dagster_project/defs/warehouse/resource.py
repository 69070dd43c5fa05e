"""The dbt CLI resource, without two start-up costs this project never uses.

dagster-dbt 0.29 spends, on every run, ~3 s asking `dbt --version` in a
subprocess, and on every dbt invocation ~2 s building a dbt adapter inside the
Dagster process. The adapter only serves `fetch_row_counts()` and
`fetch_column_metadata()`, which this project does not call, and the dbt
executable is the one installed beside this Python, whose version the package
metadata already gives. Together that was a third of a close on the default
sample (docs/decisions.md 38). tests/test_dbt_wiring.py fails if dagster-dbt
renames what is overridden here.
"""

from __future__ import annotations

import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


class PartnerBillingDbtCli(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None
