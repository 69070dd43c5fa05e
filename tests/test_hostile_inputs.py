"""Landing zones and settings a careless operator or a hostile user gives the job:
nothing landed is lost or silently ignored, and nothing bad is emitted."""

from __future__ import annotations

from datetime import date
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.cli import main
from dagster_project.defs.ingest.definitions import landing_folder_sensor
from ingest.accounts import load_accounts
from ingest.usage import ingest_usage_partitions
from tests.conftest import clear_pipeline_environment, run_arguments, settings_in
from tests.landing import USAGE_HEADER, write_accounts, write_csv
from tests.scenario import ASSIGNMENTS, PARTNERS, TENANTS, write_scenario

PARTNER_HEADER = ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency", "country",
                  "tier_floor", "stripe_customer_id"]


def _run(root: Path, through: str, landing: Path | None = None, **variables: str) -> int:
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        for name, value in variables.items():
            mp.setenv(name, value)
        return main(run_arguments(root, through, landing))


def _ledger(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "l.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("bad_id", ["../../x", "P\x00Z", "-P1"])
def test_an_account_id_outside_the_id_pattern_blocks_the_close_naming_file_row_and_value(tmp_path, capsys, bad_id):
    landing = tmp_path / "landing"
    write_scenario(landing)
    write_csv(landing / "accounts/partners.csv", PARTNER_HEADER,
              PARTNERS + [[bad_id, "Bad", "", "false", "eur", "", "", ""]])
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name", "currency", "external_ref"],
              TENANTS + [["tx", "Tenant X", "eur", ""]])
    write_csv(landing / "accounts/assignments.csv", ["tenant_id", "partner_id", "valid_from", "valid_to"],
              ASSIGNMENTS + [["tx", bad_id, "2024-12-01", ""]])

    assert _run(tmp_path, "2025-01") == 1

    message = capsys.readouterr().err
    assert "blocking check assert_account_ids_match_the_id_pattern" in message
    assert f"file=accounts/partners.csv, source_row={len(PARTNERS) + 1}, column_name=partner_id, value={bad_id}" in message
    assert (f"file=accounts/assignments.csv, source_row={len(ASSIGNMENTS) + 1}, column_name=partner_id, "
            f"value={bad_id}") in message
    assert _ledger(tmp_path, "select count(*) from invoice_lines") == [(0,)]
    assert _ledger(tmp_path, "select count(*) from closes") == [(0,)]
    assert not (tmp_path / "exports").exists()


def test_usage_outside_landing_date_folders_is_reported_and_never_read_as_another_date(tmp_path, capsys):
    landing = tmp_path / "landing"
    write_scenario(landing)
    for folder in ("20250110", "2025-W02-3", "2019-12-31"):
        write_csv(landing / "usage" / folder / "u.csv", USAGE_HEADER,
                  [[f"odd-{folder}", "ta1", "api_calls", "5", "2025-01-10T01:00Z"]])
    write_csv(landing / "usage" / "stray.csv", USAGE_HEADER, [["stray", "ta1", "api_calls", "5", "2025-01-10T01:00Z"]])

    assert _run(tmp_path, "2025-01") == 0

    out = capsys.readouterr().out
    assert "not read: usage/20250110 (1 file(s)): not a landing date folder (YYYY-MM-DD)" in out
    assert "not read: usage/2025-W02-3 (1 file(s)): not a landing date folder (YYYY-MM-DD)" in out
    assert "not read: usage/2019-12-31 (1 file(s)): dated before the first landing date partition, 2020-01-01" in out
    assert "not read: usage/stray.csv (1 file(s)): a file directly under usage/" in out
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.usage_events where event_id like 'odd-%'").fetchone() == (0,)
    # The landing sensor asks only for real landing dates not ingested yet (February's, after January's close).
    context = dg.build_sensor_context(resources={"settings": settings_in(tmp_path)})
    asked = {r.partition_key for r in landing_folder_sensor(context)}
    assert asked and all(key > "2025-02-01" and (landing / "usage" / key).is_dir() for key in asked)


def test_a_quote_in_every_path_bills_exactly_what_the_scenario_bills(tmp_path):
    root = tmp_path / "o'brien's"
    write_scenario(root / "landing")
    assert _run(root, "2025-02") == 0
    assert _ledger(root, "select count(*), sum(amount_minor) from invoice_lines") == [
        (30, 462000 + 365 + 7 + 29 + 9100 + 150 + 321 + 235 + 12 + 258000 - 52 - 1 - 4 + 10200
         + 9180 + 765 + 5 + 4080 + 5920 + 13 + 1987 + 8160 - 5920 + 2754 + 2246 + 2000 - 100 - 265 - 35 - 920)]
    assert sorted(p.name for p in (root / "exports" / "2025-01").iterdir()) == [
        "PA.csv", "PA.pdf", "PC.csv", "PC.pdf", "PD.csv", "PD.pdf", "PE.csv", "PE.pdf"]


def test_a_file_added_to_an_ingested_date_is_billed_and_deleted_again_is_taken_back(tmp_path):
    landing = tmp_path / "landing"
    write_scenario(landing)
    assert _run(tmp_path, "2025-01") == 0
    late = landing / "usage/2025-01-20/added-later.csv"
    write_csv(late, USAGE_HEADER, [["added-1", "tm", "active_users", "999", "2025-01-20T10:00Z"]])

    assert _run(tmp_path, "2025-02") == 0
    adjustment = "tenant:tm:2025-02:adjustment:active_users:2025-01"
    assert _ledger(tmp_path, f"select quantity, amount_minor from invoice_lines where line_key = '{adjustment}'") == [
        (Decimal("999"), 1198800)]  # 999 x 12.00 EUR

    late.unlink()
    assert _run(tmp_path, "2025-03") == 0
    taken_back = "tenant:tm:2025-03:adjustment:active_users:2025-01"
    assert _ledger(tmp_path, f"select quantity, amount_minor from invoice_lines where line_key = '{taken_back}'") == [
        (Decimal("-999"), -1198800)]


def test_the_landing_sensor_asks_for_a_date_whose_files_changed_and_not_for_one_unchanged(tmp_path):
    landing = tmp_path / "landing"
    write_accounts(landing)
    for day in ("2025-01-01", "2025-01-02"):
        write_csv(landing / f"usage/{day}/u.csv", USAGE_HEADER, [[f"e{day}", "t1", "api_calls", "1", f"{day}T01:00Z"]])
    settings_ = settings_in(tmp_path)
    with duckdb.connect(settings_.warehouse_path) as con:
        load_accounts(con, landing)
        ingest_usage_partitions(con, landing, [date(2025, 1, 1), date(2025, 1, 2)], ["api_calls"], None)
    context = dg.build_sensor_context(resources={"settings": settings_})
    assert list(landing_folder_sensor(context)) == []
    write_csv(landing / "usage/2025-01-02/v.csv", USAGE_HEADER, [["late", "t1", "api_calls", "1", "2025-01-02T02:00Z"]])
    [request] = landing_folder_sensor(context)
    assert request.partition_key == "2025-01-02"


def test_live_sending_without_a_key_stops_the_run_before_anything_is_closed(tmp_path, capsys):
    write_scenario(tmp_path / "landing")
    assert _run(tmp_path, "2025-01", STRIPE_MODE="live") == 1
    assert "STRIPE_MODE=live needs STRIPE_API_KEY" in capsys.readouterr().err
    assert not (tmp_path / "l.duckdb").exists()


_DIGITS = st.text("0123456789", min_size=0, max_size=22)


@st.composite
def quantity_texts(draw) -> str:
    """Plain or exponent notation (SPEC §2): digits, an optional point, an optional exponent up to ±1e17."""
    whole, fraction = draw(_DIGITS), draw(_DIGITS)
    if not whole and not fraction:
        whole = "0"
    point = "." if fraction else draw(st.sampled_from(["", "."]))
    text = draw(st.sampled_from(["", "+"])) + whole + point + fraction
    if draw(st.booleans()):
        exponent = draw(st.one_of(st.integers(-45, 45), st.sampled_from([-10**17, 10**17])))
        text += draw(st.sampled_from("eE")) + ("+" if exponent >= 0 and draw(st.booleans()) else "") + str(exponent)
    return text


def _expected(text: str) -> Decimal | None:
    """What Python's Decimal says the text is, rounded half-up to 6 decimals; None above 1e12."""
    with localcontext() as context:
        context.prec, context.Emin, context.Emax = 100, MIN_EMIN, MAX_EMAX
        value = Decimal(text)
        if value > Decimal("1e12"):
            return None
        return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(quantity_texts(), min_size=1, max_size=30))
def test_text_quantities_are_stored_as_their_exact_value_rounded_half_up_or_rejected_above_1e12(wh, texts):
    write_csv(wh.usage_dir("2025-01-10") / "q.csv", USAGE_HEADER,
              [[f"q{i}", "t1", "api_calls", text, "2025-01-10T01:00Z"] for i, text in enumerate(texts)])
    wh.ingest("2025-01-10")
    stored = dict(wh.rows("select event_id, quantity from raw.usage_events"))
    rejected = dict(wh.rows("select event_id, reason from raw.usage_rejects"))
    for i, text in enumerate(texts):
        expected = _expected(text)
        if expected is None:
            assert rejected.get(f"q{i}") == "bad_quantity", text
        else:
            assert stored.get(f"q{i}") == expected, text


@pytest.mark.parametrize(("text", "stored"), [
    ("0.000000000000000000000000000000000000000001e42", Decimal("1")),
    ("12345678901234567890123456789012345678901234567890e-40", Decimal("1234567890.123457")),
    ("1000000000000.0000001", None),
    ("999999999999.9999995", Decimal("1000000000000")),
    ("1e-99999999999999999999", Decimal("0")),
    ("1e99999999999999999999", None),
])
def test_the_quantity_edge_cases_found_are_exact(wh, text, stored):
    write_csv(wh.usage_dir("2025-01-10") / "q.csv", USAGE_HEADER, [["q", "t1", "api_calls", text, "2025-01-10T01:00Z"]])
    result = wh.ingest("2025-01-10")
    if stored is None:
        assert result.rejects_by_reason == {"bad_quantity": 1}
    else:
        assert wh.rows("select quantity from raw.usage_events") == [(stored,)]
