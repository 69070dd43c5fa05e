"""Helpers that write small landing zones for tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

USAGE_HEADER = ["event_id", "tenant_id", "metric", "quantity", "occurred_at"]


def write_csv(path: Path, header: list[str], rows: list[list], *, bom: bool = False, newline: str = "\r\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_ndjson(path: Path, records: list[dict | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path: Path, columns: dict[str, pa.Array]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def write_accounts(
    landing: Path,
    tenants: list[tuple[str, str]] = (("t1", "eur"), ("t2", "eur")),
    partners: list[list[str]] = (["p1", "Partner One", "", "false", "eur", "", "", ""],),
    assignments: list[list[str]] = (["t1", "p1", "2025-01-01", ""],),
) -> None:
    write_csv(
        landing / "accounts/partners.csv",
        ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency", "country",
         "tier_floor", "stripe_customer_id"],
        [list(p) for p in partners],
    )
    write_csv(
        landing / "accounts/tenants.csv",
        ["tenant_id", "name", "currency"],
        [[t, f"Tenant {t}", c] for t, c in tenants],
    )
    write_csv(
        landing / "accounts/assignments.csv",
        ["tenant_id", "partner_id", "valid_from", "valid_to"],
        [list(a) for a in assignments],
    )
