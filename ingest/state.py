"""What ingest has read, in a small file beside the warehouse.

The close plan, the schedules and the sensors decide what to ingest next from
it, so they never open the warehouse: DuckDB lets one process write a file,
and a reader in another process blocks that writer (dbt, or ingest itself).
Ingest writes it, whole and atomically, after every run, from the raw tables
it has just committed. It can only be behind the warehouse (a run killed
between its commit and the file): a date then looks unread and is read again,
which changes nothing. Without a warehouse it reads as empty, so a deleted
warehouse is rebuilt from the landing zone.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class IngestState:
    # landing date -> fingerprint of its files when it was read (None: read before fingerprints existed)
    fingerprints: dict[date, str | None] = field(default_factory=dict)
    # landing date -> tenant ids of its unknown_tenant rejects
    unknown_tenants: dict[date, frozenset[str]] = field(default_factory=dict)


def state_path(warehouse_path: str | Path) -> Path:
    return Path(f"{warehouse_path}.ingested.json")


def write_state(con: duckdb.DuckDBPyConnection, warehouse_path: str | Path) -> None:
    partitions = con.execute("select landing_date, files_fingerprint from raw.usage_partitions").fetchall()
    unknown = con.execute(
        "select landing_date, list(distinct trim(tenant_id) order by trim(tenant_id)) from raw.usage_rejects "
        "where reason = 'unknown_tenant' and tenant_id is not null group by landing_date"
    ).fetchall()
    text = json.dumps({
        "fingerprints": {d.isoformat(): fp for d, fp in sorted(partitions)},
        "unknown_tenants": {d.isoformat(): tenants for d, tenants in sorted(unknown)},
    }, indent=1)
    path = state_path(warehouse_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_state(warehouse_path: str | Path) -> IngestState:
    path = state_path(warehouse_path)
    if not Path(warehouse_path).exists() or not path.exists():
        return IngestState()
    data = json.loads(path.read_text(encoding="utf-8"))
    return IngestState(
        fingerprints={date.fromisoformat(d): fp for d, fp in data["fingerprints"].items()},
        unknown_tenants={date.fromisoformat(d): frozenset(t) for d, t in data["unknown_tenants"].items()},
    )
