"""What the file-error tests share: headers, good rows, and a close that must be blocked by one bad file."""

from __future__ import annotations

import duckdb

from dagster_project.cli import main
from tests.conftest import clear_pipeline_environment
from tests.landing import USAGE_HEADER, write_accounts, write_csv

PROMOTION_HEADER = ["promotion_id", "billing_account_type", "billing_account_id", "metric", "percent_off",
                    "valid_from", "valid_to"]
COMMITMENT_HEADER = ["commitment_id", "billing_account_type", "billing_account_id", "currency", "monthly_minimum",
                     "valid_from", "valid_to"]
MARKUP_HEADER = ["partner_id", "metric", "markup_pct", "effective_from"]
CREDIT_NOTE_HEADER = ["credit_note_id", "line_key", "amount", "reason", "issued_on", "memo"]
GOOD_CREDIT_NOTE = ["cn-1", "tenant:t2:2025-01:usage:api_calls:", "0.05", "duplicate", "2025-01-20", ""]
GOOD_PROMOTION = ["promo-1", "partner", "p1", "", "10", "2025-01", ""]
GOOD_COMMITMENT = ["cm-1", "partner", "p1", "EUR", "100.00", "2025-01", "2025-04"]
PURCHASE_HEADER = ["purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"]
TRANSFER_HEADER = ["transfer_id", "from_partner_id", "to_partner_id", "currency", "amount", "transferred_on"]
TOP_UP_HEADER = ["rule_id", "billing_account_type", "billing_account_id", "package", "quantity", "threshold"]
GOOD_PURCHASE = ["buy-1", "partner", "p1", "credits_1k_eur", "1", "2025-01-02"]
TWO_ROOT_PARTNERS = (["p1", "Partner One", "", "false", "eur", "", "", ""],
                     ["p2", "Partner Two", "", "false", "eur", "", "", ""])


def assert_blocks_the_close(case: tuple, tmp_path, monkeypatch, capsys) -> None:
    """Close January with the case's file landed: the close fails on its check naming file, row and problem,
    and nothing is emitted."""
    path, header, rows, check, problem, *partners = case
    landing = tmp_path / "landing"
    if partners:
        write_accounts(landing, partners=partners[0])
    else:
        write_accounts(landing)
    write_csv(landing / "usage/2025-01-05/u.csv", USAGE_HEADER,
              [["e1", "t1", "api_calls", "100", "2025-01-05T10:00:00Z"],
               ["e2", "t2", "api_calls", "100", "2025-01-05T10:00:00Z"]])
    write_csv(landing / path, header, rows)
    clear_pipeline_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)

    code = main(["run", "--through", "2025-01", "--landing", "landing", "--warehouse", "w.duckdb",
                 "--ledger", "l.duckdb"])

    message = capsys.readouterr().err
    assert code == 1
    assert f"blocking check {check} on " in message
    assert f"file={path}" in message
    assert problem in message
    with duckdb.connect(str(tmp_path / "l.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from invoice_lines").fetchone() == (0,)
        assert con.execute("select count(*) from closes").fetchone() == (0,)
