"""The one DbtProject of the code location, and the manifest Dagster loads.

dagster-dbt reads dbt/target/manifest.json when the definitions are imported,
so the manifest must exist and be current before that: `ensure_manifest()`
parses the project with the dbt installed beside this Python when the
manifest is missing or older than a dbt file. The console script calls it
before it loads the definitions, `make manifest` calls it, and so does every
load of the definitions under `dagster dev`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.defs.paths import DBT_PROJECT_DIR

# The dbt installed beside this Python, whether or not the venv is activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

# What dbt parses: a change to any of these (or a file added to or deleted
# from their folders) makes the manifest stale.
DBT_INPUTS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def parse(project: DbtProject) -> None:
    """`dbt parse` with the project's own dbt executable, whether or not the venv is on PATH."""
    subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--profiles-dir", str(project.profiles_dir),
         "--project-dir", str(project.project_dir), "--target-path", str(project.target_path)],
        cwd=project.project_dir, check=True,
    )


def manifest_is_current(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime_ns
    for name in DBT_INPUTS:
        top = Path(project.project_dir) / name
        paths = [top, *top.rglob("*")] if top.is_dir() else [top]
        if any(p.stat().st_mtime_ns > built for p in paths if p.exists()):
            return False
    return True


def ensure_manifest(project: DbtProject | None = None) -> None:
    project = project or dbt_project
    if not manifest_is_current(project):
        parse(project)


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if os.environ.get("DAGSTER_IS_DEV_CLI"):
    # `dagster dev` reloads the definitions after a dbt file is edited.
    ensure_manifest(dbt_project)
