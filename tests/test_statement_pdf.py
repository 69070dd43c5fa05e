"""The white-label PDF beside each statement CSV: the billing scenario of tests/scenario.py, closed through
`partner-billing run`, with a non-Latin master reseller name and a formula-like sub-partner name."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from dagster_project.cli import main
from exports import statements
from exports.statement_pdf import NotWhiteLabel
from tests.conftest import clear_pipeline_environment
from tests.landing import write_csv
from tests.scenario import PARTNERS, write_scenario

PLATFORM = "Skyline Billing Cloud"
NON_LATIN = "Ωμέγα Партнёр"
FORMULA = "=HYPERLINK(\"http://x\")"
FILES = ["--landing", "landing", "--warehouse", "w.duckdb", "--ledger", "l.duckdb",
         "--analytics", "a.duckdb", "--exports", "exports"]
REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "partner-statement-example.png"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("statement_pdf")
    write_scenario(root / "landing")
    names = {"PA": NON_LATIN, "PB": FORMULA}
    write_csv(root / "landing/accounts/partners.csv",
              ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency", "country",
               "tier_floor", "stripe_customer_id"],
              [[p[0], names.get(p[0], p[1]), *p[2:]] for p in PARTNERS])
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.chdir(root)
        mp.setenv("PLATFORM_NAME", PLATFORM)
        assert main(["run", "--through", "2025-02", *FILES]) == 0
        yield root, mp


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)


def _statements(root: Path) -> list[Path]:
    return sorted((root / "exports").glob("*/*.csv"))


def test_a_pdf_is_written_beside_every_statement_csv(exported):
    root, _ = exported
    csvs = _statements(root)
    assert [p.relative_to(root / "exports").as_posix() for p in csvs] == [
        "2025-01/PA.csv", "2025-01/PC.csv", "2025-01/PD.csv", "2025-01/PE.csv",
        "2025-02/PA.csv", "2025-02/PD.csv", "2025-02/PE.csv"]
    assert sorted(p.with_suffix(".pdf") for p in csvs) == sorted((root / "exports").glob("*/*.pdf"))


def test_the_pdf_holds_every_amount_of_its_csv_and_the_invoice_total(exported):
    root, _ = exported
    with duckdb.connect(str(root / "a.duckdb"), read_only=True) as con:
        totals = dict(((period, account), (total, exponent)) for period, account, total, exponent in con.execute("""
            select strftime(i.invoice_period, '%Y-%m'), i.billing_account_id, i.total_minor, c.minor_unit_exponent
            from marts.fct_invoices i join marts.fct_statement_rows c
              on c.billing_account_id = i.billing_account_id and c.invoice_period = i.invoice_period
            group by all""").fetchall())
    for path in _statements(root):
        text = _text(path.with_suffix(".pdf"))
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        amounts = {row[c] for row in rows for c in ("wholesale_amount", "retail_amount", "margin_amount") if row[c]}
        assert amounts and all(amount in text for amount in amounts), (path, amounts - set(text.split()))
        quantities = {row["quantity"] for row in rows if row["line_type"] == "usage"}
        assert all(quantity in text for quantity in quantities)
        total, exponent = totals[(path.parent.name, path.stem)]
        assert statements.minor_units(total, exponent) in text


def test_the_february_statement_groups_late_usage_by_the_month_it_adjusts(exported):
    root, _ = exported
    text = _text(root / "exports/2025-02/PA.pdf")
    assert "Adjusting 2025-01" in text
    assert "2580.00" in text  # the active_users adjustment of January: 1000 x 7.20 - 4620.00


def test_the_platform_and_the_product_are_named_nowhere_in_the_pdf_or_its_metadata(exported):
    root, _ = exported
    for pdf in (root / "exports").glob("*/*.pdf"):
        reader = PdfReader(str(pdf))
        text = _text(pdf) + " ".join(str(v) for v in (reader.metadata or {}).values())
        for name in (PLATFORM, "partner-billing", "partner billing", "Partner Billing"):
            assert name.lower() not in text.lower(), (pdf, name)
            assert name.encode() not in pdf.read_bytes()


def test_a_non_latin_and_a_formula_like_partner_name_render_as_text(exported):
    root, _ = exported
    reader = PdfReader(str(root / "exports/2025-01/PA.pdf"))
    text = _text(root / "exports/2025-01/PA.pdf")
    assert NON_LATIN in text and FORMULA in text
    assert reader.metadata["/Author"] == NON_LATIN


def test_every_page_renders_to_a_non_blank_image(exported):
    root, _ = exported
    for pdf_path in (root / "exports").glob("*/*.pdf"):
        pdf = pdfium.PdfDocument(str(pdf_path))
        for page in pdf:
            image = page.render(scale=0.5).to_pil().convert("L")
            low, high = image.getextrema()
            assert low < 128 < high, pdf_path


def test_re_exporting_writes_identical_bytes(exported, tmp_path):
    root, mp = exported
    mp.chdir(root)
    original = (root / "exports/2025-01/PA.pdf").read_bytes()
    out = tmp_path / "again.csv"
    assert main(["export", "--billing-account", "PA", "--period", "2025-01", "--out", str(out),
                 "--warehouse", "w.duckdb", "--exports", "exports"]) == 0
    assert (tmp_path / "again.pdf").read_bytes() == original
    assert out.read_bytes() == (root / "exports/2025-01/PA.csv").read_bytes()


def test_an_interrupted_pdf_write_leaves_no_partial_file(exported, tmp_path, monkeypatch):
    root, _ = exported

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(statements, "render_pdf", interrupted)
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con, pytest.raises(KeyboardInterrupt):
        statements.write_statements(con, tmp_path, [date(2025, 1, 1)], "PA")
    assert sorted(p.name for p in (tmp_path / "2025-01").iterdir()) == ["PA.csv"]


def test_pdfs_rendered_in_worker_processes_have_the_bytes_of_those_rendered_in_this_process(
        exported, tmp_path, monkeypatch):
    root, _ = exported
    periods = [date(2025, 1, 1), date(2025, 2, 1)]
    written = {}
    for where, parallel_from in (("here", 10**6), ("workers", 1)):
        monkeypatch.setattr(statements, "PARALLEL_FROM", parallel_from)
        with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
            files = statements.write_statements(con, tmp_path / where, periods, platform_name=PLATFORM)
        written[where] = {f.path.relative_to(tmp_path / where).with_suffix(".pdf"): f.path.with_suffix(".pdf").read_bytes()
                          for f in files}
    assert len(written["here"]) > 4
    assert written["workers"] == written["here"]


def test_a_statement_that_would_print_the_platform_name_is_refused(exported, tmp_path):
    root, _ = exported
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con, pytest.raises(NotWhiteLabel, match="PA"):
        statements.write_statements(con, tmp_path, [date(2025, 1, 1)], "PA", platform_name="Ωμέγα")
    assert not (tmp_path / "2025-01" / "PA.pdf").exists()


def test_the_reference_rendering_is_the_first_page_of_the_fixture_statement(exported):
    """docs/partner-statement-example.png is committed for review; this keeps it current."""
    root, _ = exported
    page = pdfium.PdfDocument(str(root / "exports/2025-02/PA.pdf"))[0]
    rendered = page.render(scale=1.2).to_pil().convert("RGB")
    reference = Image.open(REFERENCE).convert("RGB")
    assert reference.size == rendered.size
    assert ImageChops.difference(reference, rendered).getbbox() is None


def test_a_missing_pdf_is_written_again_by_the_next_run_with_the_same_bytes(exported):
    root, mp = exported
    mp.chdir(root)
    pdf = root / "exports/2025-01/PA.pdf"
    original = pdf.read_bytes()
    pdf.unlink()
    assert main(["run", "--through", "2025-02", *FILES]) == 0
    assert pdf.read_bytes() == original
