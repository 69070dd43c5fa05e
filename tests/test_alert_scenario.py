"""The alert scenario of tests/alert_scenario.py, end to end through `partner-billing run`
(Dagster jobs, real dbt, real DuckDB files): evaluation, firing once, delivery."""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import duckdb
import pytest

from dagster_project.cli import main
from tests.alert_scenario import land_february, write_alert_scenario
from tests.conftest import clear_pipeline_environment
from tests.webhook_receiver import Receiver, ReceiverServer

FILES = ["--landing", "landing", "--warehouse", "w.duckdb", "--ledger", "l.duckdb",
         "--analytics", "a.duckdb", "--exports", "exports"]
JANUARY = [
    ("c-pa:2025-01", "2025-01-03", "credit_balance", None, "-408.000000", "8000.000000", "eur"),
    ("s-pa:2025-01", "2025-01-20", "spend", None, "1122.000000", "1122.000000", "eur"),
    ("s-td:2025-01", "2025-01-10", "spend", None, "240.000000", "240.000000", "eur"),
    ("u-at:2025-01", "2025-01-10", "usage", "api_calls", "1000000.000000", "1000000.000000", None),
]
FEBRUARY = [
    ("c-pa:2025-02", "2025-02-05", "credit_balance", None, "7756.000000", "8000.000000", "eur"),
    ("s-pa:2025-02", "2025-02-05", "spend", None, "1122.000000", "1122.000000", "eur"),
    ("u-at:2025-02", "2025-02-05", "usage", "api_calls", "1100000.000000", "1000000.000000", None),
]


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _events(root):
    return _query(root / "l.duckdb", """
        select event_id, landing_date::varchar, measure, metric, value::varchar, threshold::varchar, currency
        from alert_events order by event_id""")


def _run_ids(root):
    return _query(root / "l.duckdb", "select event_id, run_id, fired_at from alert_events order by event_id")


@pytest.fixture(scope="module")
def alerted(tmp_path_factory):
    """January closed, then February landed and closed; the events after January, and February's summary."""
    root = tmp_path_factory.mktemp("alert_scenario")
    write_alert_scenario(root / "landing")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.chdir(root)
        assert main(["run", "--through", "2025-01", *FILES]) == 0
        after_january = _run_ids(root)
        land_february(root / "landing")
        summary = io.StringIO()
        with contextlib.redirect_stdout(summary):
            assert main(["run", "--through", "2025-02", *FILES]) == 0
        yield root, after_january, mp, summary.getvalue()


def test_each_measure_fires_on_the_first_landing_date_it_reaches_its_threshold(alerted):
    root, *_ = alerted
    assert _events(root) == sorted(JANUARY + FEBRUARY)


def test_a_value_exactly_at_the_threshold_fires_and_one_just_below_never_does(alerted):
    root, *_ = alerted
    fired = {event_id.split(":")[0] for event_id, *_ in _events(root)}
    assert {"u-at", "s-td"} <= fired
    assert "u-below" not in fired


def test_late_usage_landing_after_the_month_changes_nothing_of_that_month(alerted):
    root, after_january, *_ = alerted
    january = [row for row in _run_ids(root) if row[0].endswith("2025-01")]
    assert january == after_january


def test_a_new_month_fires_each_rule_again_once(alerted):
    root, *_ = alerted
    counts = _query(root / "l.duckdb", "select alert_id, count(*), count(distinct month) from alert_events "
                                       "group by 1 order by 1")
    assert counts == [("c-pa", 2, 2), ("s-pa", 2, 2), ("s-td", 1, 1), ("u-at", 2, 2)]


def test_a_rule_that_cannot_be_used_is_reported_and_never_evaluated(alerted):
    root, *_ = alerted
    assert _query(root / "w.duckdb", "select alert_id, problem from intermediate.int_alert_rules "
                                     "where problem is not null") == [("bad-metric", "unknown metric page_views")]


def test_outbox_mode_writes_each_request_once_and_the_analytics_file_shows_the_delivery_state(alerted):
    root, *_ = alerted
    outbox = _query(root / "l.duckdb", "select event_id, url, headers, body from alert_outbox order by event_id")
    assert [row[0] for row in outbox] == ["c-pa:2025-01", "c-pa:2025-02", "s-pa:2025-01", "s-pa:2025-02",
                                          "u-at:2025-01", "u-at:2025-02"]
    assert all(url == "http://hooks.example.com/alerts" for _, url, _, _ in outbox)
    assert json.loads(outbox[0][2])["Idempotency-Key"] == "c-pa:2025-01"
    assert json.loads(outbox[0][3])["value"] == "-408"
    assert _query(root / "a.duckdb", """
        select event_id, landing_date::varchar, value::varchar, delivery_state from marts.fct_alert_events
        order by event_id""") == [
        ("c-pa:2025-01", "2025-01-03", "-408.000000", "outbox"),
        ("c-pa:2025-02", "2025-02-05", "7756.000000", "outbox"),
        ("s-pa:2025-01", "2025-01-20", "1122.000000", "outbox"),
        ("s-pa:2025-02", "2025-02-05", "1122.000000", "outbox"),
        ("s-td:2025-01", "2025-01-10", "240.000000", "no_webhook"),
        ("u-at:2025-01", "2025-01-10", "1000000.000000", "outbox"),
        ("u-at:2025-02", "2025-02-05", "1100000.000000", "outbox"),
    ]


def test_the_run_summary_lists_the_alerts_fired_and_their_delivery(alerted):
    *_, out = alerted
    assert "alerts: 7 fired, 6 delivered, 0 failed" in out
    assert "  alert u-at:2025-01 fired on 2025-01-10: usage api_calls 1000000 >= 1000000; delivered (outbox)" in out
    assert "  alert c-pa:2025-02 fired on 2025-02-05: credit_balance 7756 <= 8000; delivered (outbox)" in out
    assert "  alert s-td:2025-01 fired on 2025-01-10: spend 240 >= 240; no webhook_url" in out


def test_nothing_fires_again_when_the_warehouse_is_rebuilt_and_everything_re_ingested(alerted):
    root, _, mp, _ = alerted
    before = _run_ids(root)
    mp.chdir(root)
    (root / "w.duckdb").unlink()
    shutil.rmtree(root / "dbt_target", ignore_errors=True)
    assert main(["run", "--through", "2025-02", *FILES]) == 0
    assert _run_ids(root) == before
    assert _query(root / "l.duckdb", "select count(*) from alert_outbox") == [(6,)]


def test_live_delivery_posts_each_event_signed_once_and_the_secret_is_stored_nowhere(tmp_path, capsys):
    secret = "whsec-scenario-5e4d3c2b1a"
    with ReceiverServer(Receiver(secret)) as server, pytest.MonkeyPatch.context() as mp:
        write_alert_scenario(tmp_path / "landing", hook=server.url)
        clear_pipeline_environment(mp)
        mp.chdir(tmp_path)
        mp.setenv("ALERT_MODE", "live")
        mp.setenv("ALERT_WEBHOOK_SECRET", secret)
        mp.setenv("ALERT_WEBHOOK_HOSTS", "127.0.0.1")
        assert main(["run", "--through", "2025-01", *FILES]) == 0
    received = server.receiver.requests
    assert sorted(r.key for r in received) == ["c-pa:2025-01", "s-pa:2025-01", "u-at:2025-01"]
    assert all(r.signature_valid for r in received)
    assert _query(tmp_path / "a.duckdb", "select event_id, delivery_state from marts.fct_alert_events "
                                         "order by 1") == [("c-pa:2025-01", "delivered"), ("s-pa:2025-01", "delivered"),
                                                           ("s-td:2025-01", "no_webhook"), ("u-at:2025-01", "delivered")]
    assert secret not in capsys.readouterr().out
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
