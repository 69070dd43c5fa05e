"""The rows a failed dbt test returned, on the check a reviewer or `partner-billing run` reads.

A dbt test passes when its query returns no row; when it fails, dbt says
only how many. After dbt has finished (so the warehouse is free), the test's
compiled query is run again for its first rows, which go on the check as
metadata, with the compiled file that returns them all.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import dagster as dg

from dagster_project.defs.settings import PipelineSettings
from ingest.duckdb_sql import literal

SHOWN_ROWS = 10
FIRST_ROWS = "first_failing_rows"
ALL_ROWS = "all_failing_rows_sql"


def _compiled_sql(target_path: Path, manifest_path: Path, test_name: str) -> Path | None:
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    node = next((n for n in nodes if n["resource_type"] == "test" and n["name"] == test_name), None)
    if node is None:
        return None
    return next(target_path.glob(f"compiled/**/{node['path']}"), None)


def _text(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def first_failing_rows(settings: PipelineSettings, target_path: Path, manifest_path: Path,
                       test_name: str) -> tuple[list[dict[str, str]], Path] | None:
    """Up to SHOWN_ROWS rows of the test's query as text, and its compiled file; None if it cannot be found."""
    compiled = _compiled_sql(target_path, manifest_path, test_name)
    if compiled is None:
        return None
    with settings.warehouse(read_only=True) as con:
        if Path(settings.ledger_path).exists():
            con.execute(f"attach {literal(settings.ledger_path)} as ledger (read_only)")
        cursor = con.execute(f"select * from ({compiled.read_text()}) limit {SHOWN_ROWS}")
        names = [column[0] for column in cursor.description]
        rows = [{n: _text(v) for n, v in zip(names, values)} for values in cursor.fetchall()]
    return rows, compiled


def as_markdown(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "(none)"
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row[c].replace("|", "\\|") for c in header) + " |" for row in rows]
    return "\n".join(lines)


def with_failing_rows(result: dg.AssetCheckResult, settings: PipelineSettings, target_path: Path,
                      manifest_path: Path) -> dg.AssetCheckResult:
    """The failed check with its first rows; unchanged when they cannot be read (the check still fails)."""
    try:
        found = first_failing_rows(settings, target_path, manifest_path, result.check_name)
    except Exception as exc:  # noqa: BLE001 - reporting must never hide the failure it reports
        return result.with_metadata({**result.metadata, "failing_rows_error": dg.MetadataValue.text(str(exc))})
    if found is None:
        return result
    rows, compiled = found
    return result.with_metadata({
        **result.metadata,
        FIRST_ROWS: dg.MetadataValue.md(as_markdown(rows)),
        f"{FIRST_ROWS}_json": dg.MetadataValue.json(rows),
        ALL_ROWS: dg.MetadataValue.path(str(compiled)),
    })


def blocked_markdown(failed: list[tuple[dg.AssetCheckResult, dg.AssetCheckSpec]]) -> str:
    """The failed blocking checks of a close, each with the asset it checks, what it holds and its first rows."""
    parts = [f"The close was stopped by {len(failed)} blocking check(s)."]
    for result, spec in failed:
        rows = result.metadata[FIRST_ROWS].value if FIRST_ROWS in result.metadata else "(rows not read)"
        parts += ["", f"**{result.check_name}** on {result.asset_key.to_user_string()}", "",
                  spec.description or "", "", rows]
    return "\n".join(parts)
