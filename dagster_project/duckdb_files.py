"""Short-lived connections to the project's DuckDB files.

DuckDB lets one process write a file at a time, and a read-only connection
from another process blocks the writer too, so every connection here is
opened for one step and closed before dbt or another step starts. A lock
held elsewhere is retried for a while, then reported in one sentence.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


class DuckDBFileLocked(RuntimeError):
    pass


@contextmanager
def connect(
    path: Path,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    attempts: int = 30,
    wait_seconds: float = 1.0,
) -> Iterator[duckdb.DuckDBPyConnection]:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if attempt == attempts:
                raise DuckDBFileLocked(
                    f"The DuckDB file {path} is locked by another process "
                    f"(tried {attempts} times over {attempts * wait_seconds:.0f} s); "
                    "close the other session and run again."
                ) from None
            time.sleep(wait_seconds)
    try:
        yield con
    finally:
        con.close()
