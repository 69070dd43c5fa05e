"""The dbt CLI resource, without two start-up costs this project never uses.

dagster-dbt 0.29 asks `dbt --version` in a subprocess on every run, and builds
a dbt adapter inside the Dagster process on every dbt invocation. The adapter
only serves `fetch_row_counts()` and `fetch_column_metadata()`, which this
project does not call, and the dbt executable is the one installed beside this
Python, whose version the package metadata already gives. Both are a fixed cost
of every close (docs/decisions.md). tests/test_dbt_wiring.py fails if
dagster-dbt renames what is overridden here.
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class PartnerBillingDbtCli(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None
