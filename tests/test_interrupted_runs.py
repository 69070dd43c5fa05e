"""Runs that are killed or fail part-way leave nothing running and nothing unpublished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from dagster_project.cli import main
from tests.conftest import PIPELINE_VARIABLES, clear_pipeline_environment, run_arguments, settings_in
from tests.scenario import write_scenario

PARTNER_BILLING = str(Path(sys.executable).parent / "partner-billing")


def _dbt_build_under(parent: psutil.Process, timeout: float) -> psutil.Process:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in parent.children(recursive=True):
            try:
                command = child.cmdline()
            except psutil.NoSuchProcess:
                continue
            if any(part.endswith("/dbt") for part in command) and "build" in command:
                return child
        time.sleep(0.05)
    raise AssertionError("no dbt build started")


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_run_killed_with_sigkill_leaves_no_dbt_process_writing_to_the_warehouse(tmp_path):
    write_scenario(tmp_path / "landing")
    env = {k: v for k, v in os.environ.items() if k not in PIPELINE_VARIABLES}
    run = subprocess.Popen([PARTNER_BILLING, *run_arguments(tmp_path, "2025-02")], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        dbt = _dbt_build_under(psutil.Process(run.pid), timeout=120)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        # Killed at once with its parent: gone, or a zombie waiting to be reaped. Without the
        # parent-death signal, dbt goes on until it next writes to its closed pipe, seconds later.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and _running(dbt):
            time.sleep(0.02)
        assert not _running(dbt)
    finally:
        run.kill()


def test_months_whose_publication_did_not_finish_get_their_statements_at_the_next_run(tmp_path):
    write_scenario(tmp_path / "landing")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        # The exports folder cannot be made: both months are emitted, then the publication fails.
        (tmp_path / "exports").write_text("not a folder")
        assert main(run_arguments(tmp_path, "2025-02")) == 1
        (tmp_path / "exports").unlink()
        assert main(run_arguments(tmp_path, "2025-02")) == 0
        written = sorted(str(p.relative_to(tmp_path / "exports")) for p in (tmp_path / "exports").rglob("*.csv"))
        january = (tmp_path / "exports/2025-01/PA.csv").read_bytes()
        # A statement file deleted later is written again, byte for byte.
        (tmp_path / "exports/2025-01/PA.csv").unlink()
        assert main(run_arguments(tmp_path, "2025-02")) == 0
    assert written == ["2025-01/PA.csv", "2025-01/PC.csv", "2025-01/PD.csv", "2025-01/PE.csv",
                       "2025-02/PA.csv", "2025-02/PD.csv", "2025-02/PE.csv"]
    assert (tmp_path / "exports/2025-01/PA.csv").read_bytes() == january


def test_two_runs_started_in_the_same_second_write_two_logs(tmp_path):
    from datetime import UTC, datetime

    from dagster_project.cli import run_log_path

    started = datetime(2025, 3, 1, 6, 0, 0, tzinfo=UTC)
    settings = settings_in(tmp_path)
    assert run_log_path(settings, started, 101) != run_log_path(settings, started, 102)
    assert run_log_path(settings, started, 101) == tmp_path / "logs" / "run-20250301T060000-101.log"


def test_a_run_that_finds_the_ledger_locked_by_another_process_says_so_in_one_sentence(tmp_path, capsys):
    write_scenario(tmp_path / "landing")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(tmp_path / 'l.duckdb')!r}); "
                               "print('ok', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        assert _run_in_process(tmp_path) == 1
    finally:
        holder.kill()
    err = capsys.readouterr().err
    assert err.startswith(f"partner-billing run failed: The DuckDB file {tmp_path / 'l.duckdb'} is locked by another process")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def _run_in_process(root: Path) -> int:
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        return main(run_arguments(root, "2025-01"))
