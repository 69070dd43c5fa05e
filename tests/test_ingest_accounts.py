from __future__ import annotations

import duckdb
import pytest

from ingest.accounts import AccountFileError, load_accounts
from tests.landing import write_accounts, write_csv


def test_account_files_are_loaded_as_trimmed_text_with_empty_values_as_null(tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "accounts/partners.csv", [" PARTNER_ID", "Name ", "currency", "bills_via_parent", "extra"],
              [[" p1 ", " Acme ", "EUR", "", "x"]], bom=True)
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name", "currency"], [["t1", "T", "eur"]])
    write_csv(landing / "accounts/assignments.csv", ["tenant_id", "partner_id", "valid_from"], [["t1", "p1", "2025-01-01"]])
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        loaded = load_accounts(con, landing)
        partners = con.execute("select partner_id, name, currency, bills_via_parent, parent_partner_id from raw.partners").fetchall()
    assert partners == [("p1", "Acme", "EUR", None, None)]
    assert loaded.rows == {"partners": 1, "tenants": 1, "assignments": 1, "partner_rate_cards": 0,
                           "partner_retail_prices": 0, "partner_markups": 0, "promotions": 0, "commitments": 0,
                           "credit_purchases": 0, "credit_transfers": 0, "credit_top_ups": 0, "credit_notes": 0,
                           "alert_rules": 0}
    assert loaded.absent_files == ["pricing/partner_rate_cards.csv", "pricing/partner_retail_prices.csv",
                                   "pricing/partner_markups.csv", "billing/promotions.csv", "billing/commitments.csv",
                                   "billing/credit_purchases.csv", "billing/credit_transfers.csv",
                                   "billing/credit_top_ups.csv", "billing/credit_notes.csv",
                                   "billing/alert_rules.csv"]


def test_a_missing_required_account_column_stops_the_load_naming_the_file(tmp_path):
    landing = tmp_path / "landing"
    write_accounts(landing)
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name"], [["t1", "T"]])
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, pytest.raises(AccountFileError) as error:
        load_accounts(con, landing)
    assert str(error.value) == "accounts/tenants.csv: missing_columns: currency"


def test_a_missing_accounts_file_stops_the_load_and_keeps_the_previous_tables(tmp_path):
    landing = tmp_path / "landing"
    write_accounts(landing)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_accounts(con, landing)
        (landing / "accounts/assignments.csv").unlink()
        with pytest.raises(AccountFileError, match="accounts/assignments.csv: file is missing"):
            load_accounts(con, landing)
        assert con.execute("select count(*) from raw.assignments").fetchone() == (1,)


def test_an_account_row_with_the_wrong_number_of_fields_stops_the_load(tmp_path):
    landing = tmp_path / "landing"
    write_accounts(landing)
    (landing / "accounts/tenants.csv").write_text("tenant_id,name,currency\nt1,T,eur\nt2,T2\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, pytest.raises(AccountFileError, match="rows 2 have the wrong number"):
        load_accounts(con, landing)
