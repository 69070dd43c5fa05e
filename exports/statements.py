"""Partner usage statements: one CSV per partner billing owner and closed month, and its PDF beside it.

Reads only `marts.fct_statement_rows` (emitted rows). Every amount is already
computed in dbt in minor units; this module only formats (SPEC §6): plain
decimals without trailing zeros, amounts with exactly the currency's minor
digits, upper-case currency, RFC 4180 with CRLF and quotes only where needed,
a leading ' before formula-like text. Beside each CSV, the readable PDF of
exports/statement_pdf.py. Files appear atomically (temporary file renamed)
and the same rows always give the same bytes.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, NamedTuple

import duckdb
import polars as pl

from exports.formatting import minor_units, plain_decimal
from exports.statement_pdf import StatementContent, render_pdf, statement_content

COLUMNS = (
    "period", "billing_account_id", "partner_id", "partner_name", "tenant_id", "tenant_name",
    "tenant_external_ref", "metric", "unit", "line_type", "adjusts_period", "quantity", "currency",
    "tier", "list_unit_price", "wholesale_unit_price", "wholesale_amount", "retail_unit_price",
    "retail_amount", "margin_amount", "line_key",
)
TEXT_COLUMNS = frozenset({
    "billing_account_id", "partner_id", "partner_name", "tenant_id", "tenant_name",
    "tenant_external_ref", "metric", "unit", "line_type", "tier", "line_key",
})
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# A call writing at least this many statements renders their PDFs in up to MAX_RENDER_PROCESSES processes:
# starting them costs ~2.5 s and a PDF ~0.2 s, so below ~30 statements one process is faster.
PARALLEL_FROM = 40
MAX_RENDER_PROCESSES = 4

_QUERY = """
select invoice_period, billing_account_id, partner_id, partner_name, tenant_id, tenant_name,
       tenant_external_ref, metric, unit, line_type, adjusts_period, quantity, currency, tier,
       list_unit_price, wholesale_unit_price, wholesale_amount_minor, retail_unit_price,
       retail_amount_minor, margin_amount_minor, minor_unit_exponent, line_key
from marts.fct_statement_rows
where invoice_period = $period {account_filter}
order by billing_account_id, line_key, tenant_id
"""


class UnsafeExportPath(ValueError):
    pass


@dataclass(frozen=True)
class ExportedFile:
    billing_account_id: str
    path: Path
    rows: int
    currency: str
    wholesale_total_minor: int
    pdf_seconds: float


def safe_text(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def export_path(exports_dir: Path, period: date, billing_account_id: str) -> Path:
    """Where a statement goes; refuses any name that could leave the export folder."""
    if not SAFE_FILE_NAME.match(billing_account_id) or billing_account_id in (".", ".."):
        raise UnsafeExportPath(f"billing account id {billing_account_id!r} is not a safe file name")
    folder = (exports_dir / f"{period:%Y-%m}").resolve()
    path = (folder / f"{billing_account_id}.csv").resolve()
    if path.parent != folder:
        raise UnsafeExportPath(f"{path} is outside {folder}")
    return path


class StatementRow(NamedTuple):
    """One row of _QUERY, by column name. An account-level row (a line without a
    metric) has no tenant, metric, unit, list or retail price, retail or margin."""

    invoice_period: date
    billing_account_id: str
    partner_id: str
    partner_name: str
    tenant_id: str | None
    tenant_name: str | None
    tenant_external_ref: str | None
    metric: str | None
    unit: str | None
    line_type: str
    adjusts_period: date | None
    quantity: Decimal
    currency: str
    tier: str | None
    list_unit_price: Decimal | None
    wholesale_unit_price: Decimal
    wholesale_amount_minor: int
    retail_unit_price: Decimal | None
    retail_amount_minor: int | None
    margin_amount_minor: int | None
    minor_unit_exponent: int
    line_key: str


def _format_row(row: StatementRow) -> dict[str, str]:
    exponent = row.minor_unit_exponent
    cells = {
        "period": f"{row.invoice_period:%Y-%m}",
        "billing_account_id": row.billing_account_id,
        "partner_id": row.partner_id,
        "partner_name": row.partner_name,
        "tenant_id": row.tenant_id,
        "tenant_name": row.tenant_name,
        "tenant_external_ref": row.tenant_external_ref,
        "metric": row.metric,
        "unit": row.unit,
        "line_type": row.line_type,
        "adjusts_period": f"{row.adjusts_period:%Y-%m}" if row.adjusts_period else "",
        "quantity": plain_decimal(row.quantity),
        "currency": row.currency.upper(),
        "tier": row.tier,
        "list_unit_price": plain_decimal(row.list_unit_price),
        "wholesale_unit_price": plain_decimal(row.wholesale_unit_price),
        "wholesale_amount": minor_units(row.wholesale_amount_minor, exponent),
        "retail_unit_price": plain_decimal(row.retail_unit_price),
        "retail_amount": minor_units(row.retail_amount_minor, exponent),
        "margin_amount": minor_units(row.margin_amount_minor, exponent),
        "line_key": row.line_key,
    }
    formatted = {c: safe_text(v) if c in TEXT_COLUMNS else v for c, v in cells.items()}
    # polars quotes an empty string ("") to tell it from null; an empty cell is written as null.
    return {c: v or None for c, v in formatted.items()}


def _write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """The file appears whole or not at all: written to a temporary name beside it, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _statement_rows(con: duckdb.DuckDBPyConnection, period: date, billing_account_id: str | None
                    ) -> dict[str, list[StatementRow]]:
    account_filter = "and billing_account_id = $account" if billing_account_id else ""
    params: dict = {"period": period}
    if billing_account_id:
        params["account"] = billing_account_id
    cursor = con.execute(_QUERY.format(account_filter=account_filter), params)
    names = [column[0] for column in cursor.description]
    by_account: dict[str, list[StatementRow]] = {}
    for values in cursor.fetchall():
        row = StatementRow(**dict(zip(names, values)))
        by_account.setdefault(row.billing_account_id, []).append(row)
    return by_account


def _timed_pdf(content: StatementContent, platform_name: str) -> tuple[bytes, float]:
    started = time.perf_counter()
    pdf = render_pdf(content, platform_name)
    return pdf, time.perf_counter() - started


@contextmanager
def _pdf_renderer(statements: int) -> Iterator[Callable]:
    """`map` over the PDFs to render: in this process for a few, in a process per core for many.

    vl-convert and Typst render one PDF at a time in a process; a new process
    costs its imports, so only a call with PARALLEL_FROM statements or more
    starts them, once for the whole call. Each PDF is a function of its
    content alone, so the bytes are the same wherever it is rendered.
    """
    workers = min(os.cpu_count() or 1, MAX_RENDER_PROCESSES)
    if statements < PARALLEL_FROM or workers < 2:
        yield map
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool.map


def write_statements(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    periods: Sequence[date],
    billing_account_id: str | None = None,
    out: Path | None = None,
    platform_name: str = "",
) -> list[ExportedFile]:
    """Write the statements of the invoice periods (all partner owners, or one): each CSV, then its PDF."""
    statements = [(period, account, rows, out if out is not None else export_path(exports_dir, period, account))
                  for period in periods
                  for account, rows in _statement_rows(con, period, billing_account_id).items()]
    contents = []
    for period, _, rows, path in statements:
        frame = pl.DataFrame([_format_row(r) for r in rows], schema={c: pl.String for c in COLUMNS})
        _write_atomically(path, lambda handle: frame.write_csv(handle, line_terminator="\r\n",
                                                                quote_style="necessary"))
        contents.append(statement_content(con, rows, period))
    written = []
    with _pdf_renderer(len(statements)) as render:
        for (_, account, rows, path), (pdf, seconds) in zip(
                statements, render(partial(_timed_pdf, platform_name=platform_name), contents)):
            _write_atomically(path.with_suffix(".pdf"), lambda handle: handle.write(pdf))
            written.append(ExportedFile(account, path, len(rows), rows[0].currency,
                                        sum(r.wholesale_amount_minor for r in rows), seconds))
    return written


def periods_missing_statements(con: duckdb.DuckDBPyConnection, exports_dir: Path, through: date) -> list[date]:
    """Closed invoice periods up to `through` with a partner owner whose statement CSV or PDF is not there.

    Statement rows are emitted and never change, so a file that is there is
    current; one that is not (a run killed before it, an export folder that
    could not be written) is written by the next publication.
    """
    owners = con.execute(
        "select distinct invoice_period, billing_account_id from marts.fct_statement_rows where invoice_period <= ?",
        [through],
    ).fetchall()
    return sorted({period for period, account in owners
                   if not all(p.exists() for p in _both(export_path(exports_dir, period, account)))})


def _both(csv_path: Path) -> tuple[Path, Path]:
    return csv_path, csv_path.with_suffix(".pdf")
