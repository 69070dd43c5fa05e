"""The dbt CLI resource: dbt dies with the process that started it, and two
start-up costs this project never uses are skipped.

dagster-dbt 0.29 asks `dbt --version` in a subprocess on every run, and builds
a dbt adapter inside the Dagster process on every dbt invocation. The adapter
only serves `fetch_row_counts()` and `fetch_column_metadata()`, which this
project does not call, and the dbt executable is the one installed beside this
Python, whose version the package metadata already gives. Both are a fixed cost
of every close (docs/decisions.md). tests/test_dbt_wiring.py fails if
dagster-dbt renames what is overridden here.
"""

from __future__ import annotations

import shutil
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

# util-linux's setpriv sets the parent-death signal, then runs the command.
SETPRIV = shutil.which("setpriv")


class PartnerBillingDbtCli(DbtCliResource):
    @classmethod
    def dying_with_its_parent(cls, project: DbtProject, dbt_executable: str) -> PartnerBillingDbtCli:
        """dbt started so that it is killed when the process that started it dies.

        A run killed with SIGKILL must not leave dbt writing to the warehouse.
        dagster-dbt starts dbt with `[dbt_executable, *global_config_flags, ...]`
        and takes no hook for the child, so the executable is setpriv and the
        flags start dbt under it with SIGKILL as its parent-death signal.
        Where setpriv is missing (not Linux), dbt is started as it is.
        """
        if SETPRIV is None:
            return cls(project_dir=project, dbt_executable=dbt_executable)
        return cls(project_dir=project, dbt_executable=SETPRIV,
                   global_config_flags=["--pdeathsig", "KILL", "--", dbt_executable])

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None
