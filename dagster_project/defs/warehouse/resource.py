"""The dbt resource: dbt runs inside the Dagster process, its manifest parsed once per process.

A dbt process per build costs its interpreter start, its imports and its
partial parse, seconds a close spends before its first model. Here
`dbtRunner` runs the build in a thread of this process, with the manifest it
parsed the first time, and hands dagster-dbt its events as the JSON lines a
dbt process would print, so every Dagster event (materializations, check
results, their metadata) is made by dagster-dbt exactly as for a dbt process.
A run that is killed takes its dbt with it: there is no other process.

The selection (--select/--exclude for the assets of the run) is dagster-dbt's
own. When the warehouse's DuckDB adapter ends an invocation it keeps the
database open; it is closed after each build, because the same process opens
the warehouse and the ledger itself right after (with another configuration,
which DuckDB refuses while dbt's instance is open).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource
from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
from dagster_dbt.dbt_manifest import validate_manifest
from packaging import version

# dbt's exit codes: 1 when a node failed (a test, a model), 2 when dbt itself could not run.
NODE_FAILED, DBT_FAILED = 1, 2

_PARSE_LOCK = threading.Lock()
_MANIFESTS: dict[tuple, Any] = {}


def dbt_flags(project_dir: Path, profiles_dir: Path, target_path: Path) -> list[str]:
    """The flags every in-process invocation takes: what a dbt process would read from its environment.

    dbt prints nothing itself (dagster-dbt prints each event it is given) and
    writes its debug log to the target folder, as a dbt process does.
    """
    return ["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir),
            "--target-path", str(target_path), "--log-path", str(target_path),
            "--log-level", "none", "--log-level-file", "debug", "--no-send-anonymous-usage-stats"]


def parse_key(project_dir: Path, target_path: Path) -> tuple:
    """What a parsed manifest depends on besides the project's files: the profile's environment
    (the warehouse file names the relations' database)."""
    names = ("WAREHOUSE_PATH", "LEDGER_PATH", "DBT_TARGET")
    return (str(project_dir), str(target_path), *(os.environ.get(name) for name in names))


def release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open between invocations, if it is open."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager.close_all_connections()


def parsed_manifest(project_dir: Path, profiles_dir: Path, target_path: Path):
    """The project's manifest, parsed in this process once per project, target folder and profile."""
    from dbt.cli.main import dbtRunner

    key = parse_key(project_dir, target_path)
    with _PARSE_LOCK:
        if key not in _MANIFESTS:
            try:
                result = dbtRunner().invoke(["parse", "--no-write-json", *dbt_flags(project_dir, profiles_dir, target_path)])
            finally:
                release_warehouse()
            if not result.success:
                raise dg.Failure(f"dbt could not parse {project_dir}: {result.exception}")
            _MANIFESTS[key] = result.result
        return _MANIFESTS[key]


class DbtThread:
    """What DbtCliInvocation reads of a dbt process (`stdout`, `wait`, `returncode`, `args`), for a
    dbt invocation running in a thread of this process.

    Each event at info level or above goes to `stdout` as the JSON line dbt's
    `--log-format json` prints, which is what a dbt process gives dagster-dbt.
    """

    def __init__(self, args: list[str], project_dir: Path, profiles_dir: Path, target_path: Path):
        read_end, write_end = os.pipe()
        self.stdout = os.fdopen(read_end, "rb")
        self._lines = os.fdopen(write_end, "w", encoding="utf-8")
        self.args = ["dbt", *args]
        self.returncode: int | None = None
        self._invocation = [*args, *dbt_flags(project_dir, profiles_dir, target_path)]
        self._where = (project_dir, profiles_dir, target_path)
        self._thread = threading.Thread(target=self._run, name="dbt", daemon=True)
        self._thread.start()

    def _emit(self, message) -> None:
        from dbt_common.events.functions import msg_to_json

        if message.info.level != "debug":
            self._lines.write(msg_to_json(message) + "\n")

    def _error(self, text: str) -> None:
        import json

        self._lines.write(json.dumps({"info": {"level": "error", "msg": text, "name": "InvocationError"},
                                      "data": {}}) + "\n")

    def _run(self) -> None:
        from dbt.cli.main import dbtRunner

        try:
            manifest = parsed_manifest(*self._where)
            result = dbtRunner(manifest=manifest, callbacks=[self._emit]).invoke(self._invocation)
            if result.exception is not None:
                self._error(f"dbt could not run: {result.exception}")
            self.returncode = 0 if result.success else DBT_FAILED if result.exception is not None else NODE_FAILED
        except BaseException as error:
            self._error(f"dbt could not run: {error!r}")
            self.returncode = DBT_FAILED
        finally:
            release_warehouse()
            self._lines.close()

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def send_signal(self, signal_number: int) -> None:
        """dbt in a thread cannot be interrupted: an interrupted step waits for the build to end."""


class PartnerBillingDbtCli(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def cli(self, args: Sequence[str], *, raise_on_error: bool = True, manifest=None,
            dagster_dbt_translator: DagsterDbtTranslator | None = None,
            context: dg.OpExecutionContext | dg.AssetExecutionContext | None = None,
            target_path: Path | None = None) -> DbtCliInvocation:
        """dagster-dbt's `cli`, with dbt run in this process instead of a new one."""
        translator = dagster_dbt_translator or DagsterDbtTranslator()
        cleaned, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest=validate_manifest(manifest) if manifest else {},
            dagster_dbt_translator=translator, runtime_selects=selects, runtime_excludes=excludes)
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        target_path = target_path or self._get_unique_target_path(context=context)
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        profiles_dir = Path(self.profiles_dir) if self.profiles_dir else project_dir
        indirect = ["--indirect-selection", params.indirect_selection] if params.indirect_selection else []
        process = DbtThread([*cleaned, *params.selection_args, *indirect], project_dir, profiles_dir, target_path)
        return DbtCliInvocation(
            process=process, manifest=params.manifest, dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir, target_path=target_path, raise_on_error=raise_on_error,
            context=context, adapter=None, cli_version=self._cli_version, project=params.dbt_project,
        )
