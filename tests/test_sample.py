from __future__ import annotations

import hashlib

import duckdb

from ingest.sample import SampleSpec, write_sample

SMALL = SampleSpec(seed=3, partners=8, tenants=40, months=3, start="2025-01", events_per_tenant_day=4)


def _digest(root) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_sample_is_byte_identical_for_the_same_seed(tmp_path):
    write_sample(tmp_path / "a", SMALL)
    write_sample(tmp_path / "b", SMALL)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_the_sample_has_hierarchy_direct_tenants_all_formats_and_late_usage(tmp_path):
    counts = write_sample(tmp_path, SMALL)
    assert counts["tenants"] == 40 and counts["partners"] == 8
    partners = (tmp_path / "accounts/partners.csv").read_text().splitlines()
    assert any(",P001,true," in line for line in partners)  # P002 billed via its parent
    assert any(",P002,true," in line for line in partners)  # P004 via P002, hence via P001
    suffixes = {p.suffix for p in (tmp_path / "usage").rglob("*.*")}
    assert suffixes == {".csv", ".ndjson", ".parquet"}
    late = sorted((tmp_path / "usage").rglob("late-2025-01-31.*"))
    assert [p.parent.name for p in late] == ["2025-02-03"]
    total = duckdb.sql(
        f"select count(*) from read_parquet('{tmp_path}/usage/*/*.parquet')"
    ).fetchall()[0][0]
    assert 0 < total < counts["events"]


def test_the_sample_writes_markups_promotions_and_commitments_for_billing_owners(tmp_path):
    write_sample(tmp_path, SMALL)
    promotions = (tmp_path / "billing/promotions.csv").read_text().splitlines()
    commitments = (tmp_path / "billing/commitments.csv").read_text().splitlines()
    markups = (tmp_path / "pricing/partner_markups.csv").read_text().splitlines()
    assert promotions[1:] == [
        "launch-api,partner,,api_calls,10,2025-02,2025-04", "direct-welcome,tenant,,,5,2025-01,2025-03",
        "P001-winter,partner,P001,,15,2025-03,2025-04", "P001-users,partner,P001,active_users,15,2025-03,2025-04",
        "loyal-P001,partner,P001,,10,2025-02,", "loyal-T00022,tenant,T00022,,10,2025-02,",
    ]
    assert commitments[1:] == ["min-P008,partner,P008,SEK,15000.00,2025-02,2025-04"]
    assert (tmp_path / "billing/credit_notes.csv").read_text().splitlines()[1:] == [
        "cn-duplicate-import,partner:P001:2025-01:usage:api_calls:,1.50,duplicate,2025-02-10,events imported twice",
        "cn-goodwill,partner:P001:2025-01:usage:api_calls:,999999.00,product_unsatisfactory,2025-02-10,"
        "more than the line: refused",
    ]
    assert markups[1:] == ["P001,,40,2020-01-01", "P002,,30,2020-01-01", "P003,,25,2020-01-01",
                           "P003,api_calls,60,2020-01-01"]


def test_the_sample_writes_credit_purchases_transfers_down_and_back_and_top_up_rules(tmp_path):
    write_sample(tmp_path, SMALL)
    assert (tmp_path / "billing/credit_purchases.csv").read_text().splitlines()[1:] == [
        "buy-P001-bulk,partner,P001,credits_50k_eur,1,2025-01-02",
        "buy-P003,partner,P003,credits_1k_eur,2,2025-01-05",
        "buy-T00003,tenant,T00003,credits_1k_sek,1,2025-01-03",
    ]
    assert (tmp_path / "billing/credit_transfers.csv").read_text().splitlines()[1:] == [
        "give-P003,P001,P003,EUR,5000.00,2025-01-20",
        "give-P003-too-much,P001,P003,EUR,9999999.00,2025-02-05",
        "return-P001,P003,P001,EUR,100.00,2025-03-03",
    ]
    assert (tmp_path / "billing/credit_top_ups.csv").read_text().splitlines()[1:] == [
        "top-up-P003,partner,P003,credits_1k_eur,1,2000.00",
        "top-up-T00003,tenant,T00003,credits_1k_sek,1,100.00",
    ]
