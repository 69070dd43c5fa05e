"""Runs that are killed or fail part-way leave nothing running and nothing unpublished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from dagster_project.cli import main
from dagster_project.ledger_tables import CREDIT_TOP_UPS
from tests.conftest import PIPELINE_VARIABLES, clear_pipeline_environment, run_arguments, settings_in
from tests.credit_scenario import write_credit_scenario
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


def test_a_close_that_fails_while_recording_credit_leaves_no_line_and_no_entry_and_its_rerun_records_each_once(
        tmp_path):
    write_credit_scenario(tmp_path / "landing")
    # The last credit table the emission fills refuses its row: every insert before it must be undone.
    with duckdb.connect(str(tmp_path / "l.duckdb")) as con:
        columns = ", ".join(f"{c.name} {c.type}" for c in CREDIT_TOP_UPS.columns)
        con.execute(f"create table credit_top_ups ({columns}, refuse_every_row varchar not null)")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        assert main(run_arguments(tmp_path, "2025-01")) == 1
        assert _ledger_counts(tmp_path) == {"invoice_lines": 0, "credit_blocks": 0, "credit_entries": 0,
                                            "credit_purchases": 0, "credit_transfers": 0, "credit_top_ups": 0,
                                            "closes": 0}
        with duckdb.connect(str(tmp_path / "l.duckdb")) as con:
            con.execute("drop table credit_top_ups")
        assert main(run_arguments(tmp_path, "2025-01")) == 0
        once = _ledger_counts(tmp_path)
        assert main(run_arguments(tmp_path, "2025-01")) == 0
    assert once == {"invoice_lines": 11, "credit_blocks": 5, "credit_entries": 10, "credit_purchases": 4,
                    "credit_transfers": 1, "credit_top_ups": 1, "closes": 1}
    assert _ledger_counts(tmp_path) == once



def test_a_close_killed_with_sigkill_while_it_records_credit_leaves_all_or_nothing_and_its_rerun_records_each_once(
        tmp_path):
    write_credit_scenario(tmp_path / "landing")
    env = {k: v for k, v in os.environ.items() if k not in PIPELINE_VARIABLES}
    run = subprocess.Popen([PARTNER_BILLING, *run_arguments(tmp_path, "2025-01")], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        parent = psutil.Process(run.pid)
        _dbt_build_under(parent, timeout=120).wait(timeout=300)
        # After the build, the run opens the ledger to emit: killed then, inside or just after its transaction.
        _wait_until_open(parent, tmp_path / "l.duckdb", timeout=60)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
    finally:
        run.kill()
    nothing = {"invoice_lines": 0, "credit_blocks": 0, "credit_entries": 0, "credit_purchases": 0,
               "credit_transfers": 0, "credit_top_ups": 0, "closes": 0}
    once = {"invoice_lines": 11, "credit_blocks": 5, "credit_entries": 10, "credit_purchases": 4,
            "credit_transfers": 1, "credit_top_ups": 1, "closes": 1}
    assert _ledger_counts(tmp_path) in (nothing, once)
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        assert main(run_arguments(tmp_path, "2025-01")) == 0
    assert _ledger_counts(tmp_path) == once


def _wait_until_open(parent: psutil.Process, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in (parent, *parent.children(recursive=True)):
            try:
                if any(f.path == str(path) for f in process.open_files()):
                    return
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.002)
    raise AssertionError(f"{path} was not opened")

def _ledger_counts(root: Path) -> dict[str, int]:
    tables = ("invoice_lines", "credit_blocks", "credit_entries", "credit_purchases", "credit_transfers",
              "credit_top_ups", "closes")
    with duckdb.connect(str(root / "l.duckdb"), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
