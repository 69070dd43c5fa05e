"""The one DbtProject of the code location.

The manifest is prepared by `make manifest` (dbt parse) before Dagster loads,
so nothing parses at import time; `prepare_if_dev` refreshes it under `dagster dev`.
"""

from dagster_dbt import DbtProject

from dagster_project.defs.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
